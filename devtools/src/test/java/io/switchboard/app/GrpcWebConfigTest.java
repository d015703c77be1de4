package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.devtools.DevStack;
import org.junit.jupiter.api.Test;

/** server.grpc-web.cors.allowed-origins as YAML writes it (a list) and as the environment does (one value). */
class GrpcWebConfigTest {

    private static Config of(Map<String, String> values) {
        return Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(values)).build();
    }

    @Test
    void allowedOriginsComeAsAListOrCommaSeparatedAndDefaultToTheCallersChoice() {
        assertEquals(List.of("https://a.example", "http://localhost:*"), Main.grpcWebCors(of(Map.of(
                "server.grpc-web.cors.allowed-origins.0", "https://a.example",
                "server.grpc-web.cors.allowed-origins.1", "http://localhost:*")), List.of()).allowedOrigins());
        assertEquals(List.of("https://a.example", "https://b.example"), Main.grpcWebCors(of(Map.of(
                "server.grpc-web.cors.allowed-origins", "https://a.example, https://b.example")), List.of())
                .allowedOrigins());
        assertEquals(DevStack.DEV_ORIGINS, Main.grpcWebCors(of(Map.of("server.port", "0")), DevStack.DEV_ORIGINS)
                .allowedOrigins());
        assertEquals(List.of(), Main.grpcWebCors(of(Map.of("server.grpc-web.cors.allowed-origins", "")),
                DevStack.DEV_ORIGINS).allowedOrigins());
    }
}
