package io.switchboard.server.web;

import java.util.concurrent.CountDownLatch;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.HttpPrologue;
import io.helidon.http.http2.FlowControl;
import io.helidon.http.http2.Http2Flag;
import io.helidon.http.http2.Http2FrameData;
import io.helidon.http.http2.Http2FrameHeader;
import io.helidon.http.http2.Http2FrameType;
import io.helidon.http.http2.Http2FrameTypes;
import io.helidon.http.http2.Http2Headers;
import io.helidon.http.http2.Http2RstStream;
import io.helidon.http.http2.Http2Settings;
import io.helidon.http.http2.Http2StreamState;
import io.helidon.http.http2.Http2StreamWriter;
import io.helidon.http.http2.Http2WindowUpdate;
import io.helidon.http.http2.StreamFlowControl;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.Router;
import io.helidon.webserver.http2.spi.Http2SubProtocolSelector;
import io.helidon.webserver.http2.spi.SubProtocolResult;

/**
 * Helidon 4.5's gRPC sub-protocol, with every stream let go by its connection once the call has been answered.
 * <p>
 * Helidon keeps a stream in its connection's table ({@code Http2ConnectionStreams.streams}) until the stream's
 * thread, which runs {@code Http2ServerStream.handle()}, ends in state CLOSED. For a sub-protocol that thread loops
 * {@code while (state != CLOSED) { frame = inboundData.take(); handler.data(frame); state = handler.streamState(); }}
 * (helidon-webserver-http2 4.5.0, {@code Http2ServerStream.java} lines 752-768): it looks at the gRPC handler's state
 * only after a frame from the client. When the client half-closes first, its last frame leaves the handler
 * HALF_CLOSED_REMOTE; the service answers later from another thread ({@code GrpcProtocolHandler}'s
 * {@code ServerCall.close}, which moves the handler to CLOSED), but no frame comes any more to wake the loop, so the
 * thread waits in {@code take()} for ever and the stream, its handler, the service's call observer and all they hold
 * (a live call with its buffers, its trace span, its domain call) stay reachable until the client closes the
 * connection. Every live call a bridge ends ("end", then its half of the stream closed, then the server's ended
 * message) and every call answered asynchronously after its request did so: about 215 KB a live call.
 * <p>
 * Here the handler's thread, instead of going back to that loop after the client's last frame, waits until the
 * call's answer has ended the stream (a frame with END_STREAM or a RST_STREAM written) or the client resets it,
 * then reports the stream CLOSED: the loop ends, and Helidon's {@code StreamRunnable} removes the stream
 * ({@code Http2Connection.java} line 1139; the table drops it when the next stream opens). The wait is on the
 * stream's own thread, which has nothing else to do (the client has nothing more to send on it).
 */
final class AnsweredStreamsReleased implements Http2SubProtocolSelector {

    private final Http2SubProtocolSelector grpc;

    AnsweredStreamsReleased(Http2SubProtocolSelector grpc) {
        this.grpc = grpc;
    }

    @Override
    public SubProtocolResult subProtocol(ConnectionContext ctx, HttpPrologue prologue, Http2Headers headers,
                                         Http2StreamWriter streamWriter, int streamId, Http2Settings serverSettings,
                                         Http2Settings clientSettings, StreamFlowControl flowControl,
                                         Http2StreamState currentStreamState, Router router) {
        CountDownLatch answered = new CountDownLatch(1);
        SubProtocolResult result = grpc.subProtocol(ctx, prologue, headers, new EndNoticed(streamWriter, answered),
                streamId, serverSettings, clientSettings, flowControl, currentStreamState, router);
        return result.supported() ? new SubProtocolResult(true, new Released(result.subProtocol(), answered)) : result;
    }

    /** The handler, waiting on the stream's thread after the client's last frame until the call is answered. */
    private record Released(SubProtocolHandler handler, CountDownLatch answered) implements SubProtocolHandler {
        @Override
        public void init() {
            handler.init();
        }

        @Override
        public void data(Http2FrameHeader header, BufferData data) {
            handler.data(header, data);
            // only after the client's last frame: a stream whose frames all arrived before its thread started is
            // HALF_CLOSED_REMOTE from the first one, and the frames still queued must reach the call first
            if ((header.flags() & Http2Flag.END_OF_STREAM) != 0 && handler.streamState() == Http2StreamState.HALF_CLOSED_REMOTE) {
                try {
                    answered.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // Helidon's loop sees it in take() and ends the stream's thread
                }
            }
        }

        /** CLOSED as soon as both sides have ended; the handler itself says so a moment after the answer's write. */
        @Override
        public Http2StreamState streamState() {
            Http2StreamState state = handler.streamState();
            return state == Http2StreamState.HALF_CLOSED_REMOTE && answered.getCount() == 0 ? Http2StreamState.CLOSED : state;
        }

        @Override
        public void rstStream(Http2RstStream rstStream) {
            try {
                handler.rstStream(rstStream);
            } finally {
                answered.countDown();
            }
        }

        @Override
        public void windowUpdate(Http2WindowUpdate update) {
            handler.windowUpdate(update);
        }
    }

    /** The stream's writer, noticing the frame that ends the server's side of the stream (written or failed). */
    private record EndNoticed(Http2StreamWriter writer, CountDownLatch answered) implements Http2StreamWriter {
        @Override
        public void write(Http2FrameData frame) {
            try {
                writer.write(frame);
            } finally {
                if (frame.header().type() == Http2FrameType.RST_STREAM) {
                    answered.countDown();
                }
            }
        }

        @Override
        public void writeData(Http2FrameData frame, FlowControl.Outbound flowControl) {
            try {
                writer.writeData(frame, flowControl);
            } finally {
                if (frame.header().flags(Http2FrameTypes.DATA).endOfStream()) {
                    answered.countDown();
                }
            }
        }

        @Override
        public int writeHeaders(Http2Headers headers, int streamId, Http2Flag.HeaderFlags flags,
                                FlowControl.Outbound flowControl) {
            try {
                return writer.writeHeaders(headers, streamId, flags, flowControl);
            } finally {
                if (flags.endOfStream()) {
                    answered.countDown();
                }
            }
        }

        @Override
        public int writeHeaders(Http2Headers headers, int streamId, Http2Flag.HeaderFlags flags, Http2FrameData dataFrame,
                                FlowControl.Outbound flowControl) {
            try {
                return writer.writeHeaders(headers, streamId, flags, dataFrame, flowControl);
            } finally {
                if (flags.endOfStream() || dataFrame.header().flags(Http2FrameTypes.DATA).endOfStream()) {
                    answered.countDown();
                }
            }
        }
    }
}
