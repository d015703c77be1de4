package io.switchboard.server.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Which pages may call: the API's own origin always, listed ones, ports of a listed host, or all. */
class GrpcWebCorsTest {

    @Test
    void theApisOwnOriginIsAlwaysAllowed() {
        GrpcWebCors none = GrpcWebCors.sameOriginOnly();
        assertTrue(none.allows("https://api.example.com", Optional.of("api.example.com")));
        assertTrue(none.allows("http://127.0.0.1:50051", Optional.of("127.0.0.1:50051")));
        assertTrue(none.allows("https://api.example.com:443", Optional.of("api.example.com")));
        assertFalse(none.allows("http://127.0.0.1:5173", Optional.of("127.0.0.1:50051")));
        assertFalse(none.allows("https://evil.example", Optional.of("api.example.com")));
        assertFalse(none.allows("null", Optional.of("api.example.com")));
        assertFalse(none.allows("https://api.example.com", Optional.empty()));
    }

    @Test
    void listedOriginsPortWildcardsAndStar() {
        GrpcWebCors cors = new GrpcWebCors(List.of(" https://Console.example.com ", "http://localhost:*"));
        assertTrue(cors.allows("https://console.example.com", Optional.empty()));
        assertTrue(cors.allows("http://localhost:5173", Optional.empty()));
        assertTrue(cors.allows("http://localhost", Optional.empty()));
        assertFalse(cors.allows("https://localhost:5173", Optional.empty()));
        assertFalse(cors.allows("http://localhost.evil.example:80", Optional.empty()));
        assertFalse(cors.allows("https://console.example.com.evil.example", Optional.empty()));
        assertTrue(new GrpcWebCors(List.of("*")).allows("https://anything.example", Optional.empty()));
    }

    @Test
    void anEntryThatIsNoOriginIsAConfigurationError() {
        assertThrows(IllegalArgumentException.class, () -> new GrpcWebCors(List.of("console.example.com")));
        assertThrows(IllegalArgumentException.class, () -> new GrpcWebCors(List.of("https://x.example/app")));
    }
}
