package io.switchboard.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Environment variable names as the README documents them: {@code _} is {@code .}, {@code __} is {@code -}. */
class ConfigsTest {

    @Test
    void doubleUnderscoreIsADashAndSingleUnderscoreADot() {
        var config = Configs.load(null, Map.of(
                "S3_ACCESS__KEY", "access", "S3_SECRET__KEY", "secret",
                "AUDIT_SIGNING__KEY__FILE", "/keys/audit.key", "DB_POOL__SIZE", "7", "DB_URL", "jdbc:postgresql://db/x",
                "TRANSCRIPTION_VOSK_MODEL__PATH", "/models/vosk"));
        assertEquals("access", config.get("s3.access-key").asString().orElseThrow());
        assertEquals("secret", config.get("s3.secret-key").asString().orElseThrow());
        assertEquals("/keys/audit.key", config.get("audit.signing-key-file").asString().orElseThrow());
        assertEquals(7, config.get("db.pool-size").asInt().orElseThrow());
        assertEquals("jdbc:postgresql://db/x", config.get("db.url").asString().orElseThrow());
        assertEquals("/models/vosk", config.get("transcription.vosk.model-path").asString().orElseThrow());
    }

    @Test
    void theVariableOfAKeyIsTheOneThatSetsIt() {
        for (String key : List.of("server.grpc-web.cors.allowed-origins", "s3.server-side-encryption", "db.url",
                "encryption.previous-master-key-files", "compliance.national-dnc.country-code")) {
            assertEquals(Optional.of(key), Configs.key(Configs.variable(key)), key);
        }
        assertEquals("SERVER_GRPC__WEB_CORS_ALLOWED__ORIGINS", Configs.variable("server.grpc-web.cors.allowed-origins"));
    }

    @Test
    void variablesOutsideSwitchboardsSectionsAreNotSettings() {
        assertEquals(Optional.empty(), Configs.key("JAVA_HOME"));
        assertEquals(Optional.empty(), Configs.key("SWITCHBOARD_API_KEY"));
        assertEquals(Optional.empty(), Configs.key("PATH"));
        assertEquals(Optional.empty(), Configs.key("db_url"));
        var config = Configs.load(null, Map.of("XDG_RUNTIME_DIR", "/run/user/0", "KUBERNETES_SERVICE_HOST", "10.0.0.1"));
        assertFalse(config.get("xdg.runtime.dir").exists());
        assertFalse(config.get("kubernetes.service.host").exists());
    }

    @Test
    void dockerLinkVariablesBesideASettingDoNotBreakLoading() {
        // a Service named "server" would inject these (the manifests turn service links off; compose does not)
        var config = Configs.load(null, Map.of("SERVER_PORT", "50052", "SERVER_PORT_50051_TCP_ADDR", "10.0.0.9"));
        assertEquals(50052, config.get("server.port").asInt().orElseThrow());
    }

    @Test
    void aListIsOneCommaSeparatedVariableOrAYamlList(@TempDir Path dir) throws Exception {
        var fromEnvironment = Configs.load(null, Map.of("ENCRYPTION_PREVIOUS__MASTER__KEY__FILES", "/k/2024.key, /k/2025.key"));
        assertEquals(List.of("/k/2024.key", "/k/2025.key"),
                Configs.list(fromEnvironment.get("encryption.previous-master-key-files")));
        Path yaml = dir.resolve("app.yaml");
        Files.writeString(yaml, "encryption:\n  previous-master-key-files: [/y/a.key, /y/b.key]\n");
        assertEquals(List.of("/y/a.key", "/y/b.key"),
                Configs.list(Configs.load(yaml, Map.of()).get("encryption.previous-master-key-files")));
        assertEquals(List.of("/k/only.key"), Configs.list(Configs.load(yaml,
                Map.of("ENCRYPTION_PREVIOUS__MASTER__KEY__FILES", "/k/only.key"))
                .get("encryption.previous-master-key-files")), "the environment overrides the file");
        assertEquals(List.of(), Configs.list(Configs.defaults().get("encryption.previous-master-key-files")));
    }
}
