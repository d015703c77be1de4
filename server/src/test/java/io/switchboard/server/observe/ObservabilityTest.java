package io.switchboard.server.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Optional;

import io.helidon.health.HealthCheckResponse;
import io.switchboard.storage.ObjectStore;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Readiness reads as down, within its time bound, when a dependency is gone. */
class ObservabilityTest {

    @Test
    void unreachableDependenciesAreDownWithTheReason() throws IOException {
        int closed = freePort();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl("jdbc:postgresql://127.0.0.1:" + closed + "/switchboard");
        ds.setConnectTimeout(1);
        HealthCheckResponse db = Observability.database(ds).call();
        assertEquals(HealthCheckResponse.Status.DOWN, db.status());
        assertTrue(String.valueOf(db.details().get("error")).contains("Connection"), db.details().toString());

        ObjectStore store = new ObjectStore("http://127.0.0.1:" + closed, "k", "s", "us-east-1", "switchboard");
        long t0 = System.nanoTime();
        HealthCheckResponse s3 = Observability.objectStore(store).call();
        assertEquals(HealthCheckResponse.Status.DOWN, s3.status());
        assertTrue(System.nanoTime() - t0 < Observability.TIMEOUT.toNanos() + 1_000_000_000L, "bounded by the timeout");

        HealthCheckResponse speech = Observability.recognizer(Optional.empty()).call();
        assertEquals(HealthCheckResponse.Status.DOWN, speech.status());
        assertEquals("none: failed to load", speech.details().get("engine"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
