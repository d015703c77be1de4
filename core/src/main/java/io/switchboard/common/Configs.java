package io.switchboard.common;

import java.nio.file.Files;
import java.nio.file.Path;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Loads configuration in precedence order: system properties, environment variables, the deployment's
 * YAML file (if any), then the built-in {@code switchboard-defaults.yaml}. Environment variables map to
 * keys by Helidon's rule: {@code DB_URL} is {@code db.url}, {@code DB_POOL__SIZE} is {@code db.pool-size}.
 */
public final class Configs {

    private Configs() {
    }

    public static Config load(Path yaml) {
        var builder = Config.builder()
                .disableSystemPropertiesSource()
                .disableEnvironmentVariablesSource()
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.environmentVariables());
        if (yaml != null && Files.isRegularFile(yaml)) {
            builder.addSource(ConfigSources.file(yaml));
        } else if (yaml != null) {
            throw new IllegalStateException("configuration file " + yaml.toAbsolutePath() + " does not exist");
        }
        return builder.addSource(ConfigSources.classpath("switchboard-defaults.yaml")).build();
    }

    /** Only the built-in defaults, for tests. */
    public static Config defaults() {
        return Config.builder().disableSystemPropertiesSource().disableEnvironmentVariablesSource()
                .addSource(ConfigSources.classpath("switchboard-defaults.yaml")).build();
    }
}
