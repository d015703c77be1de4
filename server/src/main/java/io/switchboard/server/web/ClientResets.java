package io.switchboard.server.web;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import io.helidon.http.http2.FlowControl;

/**
 * The streams one client has reset, as its frames tell, so that what it still sends on them costs nothing but itself.
 * <p>
 * When a server ends a gRPC call before the client has finished sending (the agent hangs up, a message is refused, an
 * idle call times out), grpc-java's client answers the trailers with RST_STREAM(CANCEL) (grpc/grpc-java#4222) and may
 * still write the DATA it had queued after that reset (grpc/grpc-java#6560): a caller's audio in flight. RFC 9113
 * §5.1 makes such a frame at worst a stream error. Helidon 4.5's HTTP/2 connection makes it a connection error:
 * {@code Http2Connection.dataFrame()} (helidon-webserver-http2 4.5.0, {@code Http2Connection.java} lines 693-694)
 * finds the stream CLOSED ({@code Http2ServerStream.checkDataReceivable()}, {@code Http2ServerStream.java} lines
 * 170-175: "Received data for stream N in state CLOSED"), or already forgotten ({@code Http2Connection.stream()},
 * lines 1034-1046: STREAM_CLOSED, or "was never created"), and answers GOAWAY(PROTOCOL_ERROR) (lines 231-246). Every
 * other call multiplexed on the connection dies with it. Helidon already discards such frames for streams it reset
 * itself ({@code discardDataForLocallyResetStream}, lines 742-756), not for streams its client reset (related, still
 * open: helidon-io/helidon#7498, locally half-closed streams must still receive frames).
 * <p>
 * {@link PseudoHeaderNormalizingReader} asks this class about each client frame before Helidon reads it: a second reset
 * of a stream is dropped, and so is DATA on a stream the client has reset, its bytes still counted in the
 * connection's flow-control window as Helidon counts the DATA it discards itself (taken from the window, then given
 * back: a WINDOW_UPDATE follows as for any DATA read), or the client's window would shrink for good and the
 * connection stall. They are counted through the inbound window of a gRPC stream the client has reset (the gRPC
 * sub-protocol reports each stream's window as the stream starts, {@link #opened}): the connection's part is shared by
 * all streams, and the stream's own part no longer matters. Until the client has reset a gRPC stream whose window is
 * known, DATA after a reset is left to Helidon as before.
 * <p>
 * Delete this class and the reader's dropping of DATA once Helidon's HTTP/2 server ignores frames on streams its client
 * has reset (at most a stream error) and still counts their bytes, as its web client does for the streams it resets
 * since helidon-io/helidon#12480. To check a new Helidon: make {@link #dropped} return false and run
 * {@code LateAudioOnEndedCallsTest} (devtools); its raw HTTP/2 test fails on GOAWAY while Helidon still has the bug.
 */
final class ClientResets {

    /** Streams reset by the client, remembered for their late frames: the newest this many are enough. */
    static final int RESETS_REMEMBERED = 4096;
    /**
     * Streams the client ended before their thread reported their window, remembered until it does (within moments;
     * the streams of requests that are not gRPC are remembered too, never being reported).
     */
    static final int ENDS_REMEMBERED = 1024;

    /** The inbound windows of the gRPC streams still open on the client's side. */
    private final Map<Integer, FlowControl.Inbound> open = new HashMap<>();
    /** Streams the client ended (END_STREAM) before their window was reported: it is not kept then. */
    private final Set<Integer> endedEarly = remembered(ENDS_REMEMBERED);
    private final Set<Integer> reset = remembered(RESETS_REMEMBERED);
    /** The inbound window of a gRPC stream the client has reset, where the DATA dropped is counted. */
    private FlowControl.Inbound spent;

    private static Set<Integer> remembered(int newest) {
        return Collections.newSetFromMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                return size() > newest;
            }
        });
    }

    /** A gRPC stream has started (on its own thread): {@code window} counts the DATA it receives. */
    synchronized void opened(int streamId, FlowControl.Inbound window) {
        if (reset.contains(streamId)) {
            spent = window;
        } else if (!endedEarly.remove(streamId)) {
            open.put(streamId, window);
        }
    }

    /** The client has ended its side of the stream (END_STREAM): nothing more may come on it. */
    synchronized void ended(int streamId) {
        if (open.remove(streamId) == null) {
            endedEarly.add(streamId);
        }
    }

    /**
     * The client resets the stream.
     *
     * @return false when it had already reset it: that reset is dropped (Helidon would take it for a stream never
     *         created, and answer GOAWAY)
     */
    synchronized boolean reset(int streamId) {
        if (!reset.add(streamId)) {
            return false;
        }
        endedEarly.remove(streamId);
        FlowControl.Inbound window = open.remove(streamId);
        if (window != null) {
            spent = window;
        }
        return true;
    }

    /** Streams whose window is held: the gRPC streams the client may still send on. */
    synchronized int open() {
        return open.size();
    }

    /**
     * A DATA frame of {@code length} bytes (padding included) from the client.
     *
     * @return true when it comes after the client reset its stream: it is dropped, its bytes counted and given back
     */
    boolean dropped(int streamId, int length) {
        FlowControl.Inbound window;
        synchronized (this) {
            window = reset.contains(streamId) ? spent : null;
        }
        if (window == null) {
            return false;
        }
        if (length > 0) {
            window.decrementWindowSize(length);
            window.incrementWindowSize(length);
        }
        return true;
    }
}
