package io.switchboard.common;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Loads configuration in precedence order: system properties, environment variables, the deployment's
 * YAML file (if any), then the built-in {@code switchboard-defaults.yaml}.
 * <p>
 * Environment variables map to keys by the README's rule: upper case, {@code _} is {@code .} and {@code __} is
 * {@code -}, so {@code DB_POOL__SIZE} is {@code db.pool-size} and {@code S3_ACCESS__KEY} is {@code s3.access-key}.
 * Helidon 4's own environment source does not know that rule (it reads {@code db.pool-size} from
 * {@code DB_POOL_SIZE} or {@code DB_POOL_dash_SIZE}, and ignores any name containing {@code __}), so this class
 * maps the documented names itself, for the variables of Switchboard's own sections ({@link #SECTIONS}); Helidon's
 * source stays behind it, so its spellings keep working.
 */
public final class Configs {

    /** The top-level keys of Switchboard's configuration: only variables starting with one of these are mapped. */
    static final Set<String> SECTIONS = Set.of("server", "db", "s3", "plans", "calls", "transcription", "summaries",
            "worker", "retention", "encryption", "webhooks", "audit", "telephony", "dialer", "compliance", "tracing",
            "dev", "tts", "conversation", "messaging");

    private static final Pattern DOCUMENTED_NAME = Pattern.compile("[A-Z0-9]+(__?[A-Z0-9]+)+");

    private Configs() {
    }

    public static Config load(Path yaml) {
        return load(yaml, System.getenv(), true);
    }

    /**
     * As {@link #load(Path)}, with {@code environment} in place of the process's environment variables (and without
     * Helidon's spellings, which only read the real environment).
     */
    public static Config load(Path yaml, Map<String, String> environment) {
        return load(yaml, environment, false);
    }

    private static Config load(Path yaml, Map<String, String> environment, boolean helidonSpellings) {
        var builder = Config.builder()
                .disableSystemPropertiesSource()
                .disableEnvironmentVariablesSource()
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.create(fromEnvironment(environment), "environment variables"));
        if (helidonSpellings) {
            builder.addSource(ConfigSources.environmentVariables());
        }
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

    /** The key an environment variable sets ({@code DB_POOL__SIZE} → {@code db.pool-size}), if it is one of ours. */
    static Optional<String> key(String variable) {
        if (!DOCUMENTED_NAME.matcher(variable).matches()) {
            return Optional.empty();
        }
        String key = variable.toLowerCase(Locale.ROOT).replace("__", "-").replace('_', '.');
        return SECTIONS.contains(key.substring(0, key.indexOf('.'))) ? Optional.of(key)
                : Optional.empty();
    }

    /** The environment variable that sets {@code key} ({@code db.pool-size} → {@code DB_POOL__SIZE}). */
    public static String variable(String key) {
        return key.toUpperCase(Locale.ROOT).replace("-", "__").replace('.', '_');
    }

    /**
     * A list setting: a YAML list, or one comma-separated value (as an environment variable or a system property
     * gives it); blank entries dropped, empty when unset.
     */
    public static List<String> list(Config node) {
        if (node.isLeaf() || node.hasValue()) {
            return Arrays.stream(node.asString().orElse("").split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .toList();
        }
        return node.asList(String.class).orElse(List.of()).stream().map(String::strip).filter(s -> !s.isEmpty())
                .toList();
    }

    /** An ISO-8601 duration setting ({@code PT2S}), or {@code fallback} when unset. */
    public static Duration duration(Config node, Duration fallback) {
        return node.asString().map(v -> Duration.parse(v.strip())).orElse(fallback);
    }

    /**
     * The non-blank value of {@code key}'s last segment under {@code parent}.
     *
     * @param key the full key, named in the error
     * @throws IllegalStateException when it is unset or blank
     */
    public static String required(Config parent, String key) {
        String value = parent.get(key.substring(key.lastIndexOf('.') + 1)).asString().orElse("").strip();
        if (value.isEmpty()) {
            throw new IllegalStateException(key + " must be set");
        }
        return value;
    }

    private static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> settings = new HashMap<>();
        environment.forEach((name, value) -> key(name).ifPresent(k -> settings.put(k, value)));
        return settings;
    }
}
