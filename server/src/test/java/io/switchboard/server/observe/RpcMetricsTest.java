package io.switchboard.server.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import org.junit.jupiter.api.Test;

/** A request's trace id: the caller's W3C traceparent when valid, else a fresh one. */
class RpcMetricsTest {

    private static Metadata with(String traceparent) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent);
        return m;
    }

    @Test
    void theCallersTraceIdIsKeptAndABadOneReplaced() {
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736",
                RpcMetrics.traceId(with("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")));
        String fresh = RpcMetrics.traceId(new Metadata());
        assertTrue(fresh.matches("[0-9a-f]{32}"), fresh);
        assertNotEquals(fresh, RpcMetrics.traceId(new Metadata()));
        for (String bad : new String[] {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "garbage",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}) {
            assertTrue(RpcMetrics.traceId(with(bad)).matches("[0-9a-f]{32}"), bad);
            assertNotEquals("00000000000000000000000000000000", RpcMetrics.traceId(with(bad)));
        }
    }
}
