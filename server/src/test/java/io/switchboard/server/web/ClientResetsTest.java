package io.switchboard.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.http.http2.ConnectionFlowControl;
import io.helidon.http.http2.FlowControl;
import io.helidon.webserver.http2.Http2Config;
import org.junit.jupiter.api.Test;

/** What a connection remembers of its client's streams: their windows only while the client may send on them. */
class ClientResetsTest {

    private final Http2Config config = Http2Config.create();
    private final ConnectionFlowControl connection = ConnectionFlowControl.serverBuilder((stream, update) -> { })
            .initialWindowSize(config.initialWindowSize()).maxFrameSize(config.maxFrameSize()).build();

    private FlowControl.Inbound window(int stream) {
        return connection.createStreamFlowControl(stream, config.initialWindowSize(), config.maxFrameSize()).inbound();
    }

    @Test
    void aStreamsWindowIsHeldOnlyUntilTheClientEndsOrResetsIt() {
        ClientResets streams = new ClientResets();
        streams.opened(1, window(1));
        streams.opened(3, window(3));
        streams.ended(5); // a unary call's whole request, read before its thread reported the window
        streams.opened(5, window(5));
        assertEquals(2, streams.open(), "streams 1 and 3");

        streams.ended(1);
        assertTrue(streams.reset(3));
        assertEquals(0, streams.open());
        assertFalse(streams.reset(3), "a second reset of the same stream is to be dropped");
    }

    @Test
    void dataIsDroppedOnlyOnStreamsTheClientReset() {
        ClientResets streams = new ClientResets();
        streams.opened(1, window(1));
        streams.opened(3, window(3));
        assertTrue(streams.reset(1));
        assertTrue(streams.dropped(1, 16_000));
        assertFalse(streams.dropped(3, 16_000), "stream 3 is open");
        streams.ended(3);
        assertFalse(streams.dropped(3, 16_000), "after END_STREAM the client may not send: Helidon says so itself");
    }
}
