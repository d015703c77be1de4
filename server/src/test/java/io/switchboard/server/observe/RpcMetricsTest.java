package io.switchboard.server.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.trace.ReadableSpan;
import org.junit.jupiter.api.Test;

/**
 * A request's server span: a child of the caller's W3C traceparent when valid, else the root of a new trace.
 */
class RpcMetricsTest {

    private static Metadata with(String traceparent) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent);
        return m;
    }

    @Test
    void theCallersTraceIsJoinedAndABadTraceparentStartsANewOne() {
        Span joined = RpcMetrics.span("switchboard.v1.AgentService/GetAgent",
                with("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", joined.getSpanContext().getTraceId());
        assertNotEquals("00f067aa0ba902b7", joined.getSpanContext().getSpanId());
        assertEquals("00f067aa0ba902b7", ((ReadableSpan) joined).getParentSpanContext().getSpanId());
        joined.end();

        String fresh = RpcMetrics.span("m", new Metadata()).getSpanContext().getTraceId();
        assertTrue(fresh.matches("[0-9a-f]{32}"), fresh);
        assertNotEquals(fresh, RpcMetrics.span("m", new Metadata()).getSpanContext().getTraceId());
        for (String bad : new String[] {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "garbage",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}) {
            Span s = RpcMetrics.span("m", with(bad));
            assertTrue(s.getSpanContext().isValid(), bad);
            assertNotEquals("4bf92f3577b34da6a3ce929d0e0e4736", s.getSpanContext().getTraceId(), bad);
            assertFalse(((ReadableSpan) s).getParentSpanContext().isValid(), "a root span for " + bad);
        }
    }
}
