package io.switchboard.server.web;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.http.http2.Http2Headers;
import io.helidon.http.http2.Http2Settings;
import io.helidon.http.http2.Http2StreamState;
import io.helidon.http.http2.Http2StreamWriter;
import io.helidon.http.http2.StreamFlowControl;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.grpc.GrpcConfig;
import io.helidon.webserver.grpc.GrpcProtocolSelector;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.http2.Http2ConnectionSelector;
import io.helidon.webserver.http2.spi.Http2SubProtocolSelector;
import io.helidon.webserver.http2.spi.SubProtocolResult;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * Lets grpc-web over HTTP/2 reach {@link GrpcWebBridge}. Helidon's gRPC protocol takes every HTTP/2
 * {@code POST} whose content type starts with {@code application/grpc}, grpc-web's included, and would answer
 * it as plain gRPC: status in HTTP trailers, which a browser cannot read, and no base64 for
 * {@code grpc-web-text}. This is Helidon's HTTP/2 connection selector with the gRPC sub-protocol behind a
 * filter that declines grpc-web, which then goes to the HTTP routing like any request. Given to the listener
 * before the discovered selectors, it serves HTTP/2 with prior knowledge (h2c) and, with TLS, ALPN {@code h2}.
 * An HTTP/1.1 {@code Upgrade: h2c} never carries a grpc-web call: Helidon does not upgrade a request with a
 * body, so such a call is answered over HTTP/1.1. Each gRPC stream is let go once answered
 * ({@link AnsweredStreamsReleased}), so a connection that lives for days does not keep its finished calls; and what a
 * client still sends on a call it has reset is dropped before Helidon sees it ({@link ClientResets}), so a call ended
 * by the server while the caller's audio is in flight does not take the connection's other calls with it.
 */
public final class GrpcWebHttp2 {

    private GrpcWebHttp2() {
    }

    /** The HTTP/2 connection selector for the API's listener, gRPC configured by {@code grpc}. */
    public static ServerConnectionSelector connectionSelector(GrpcConfig grpc) {
        return new LiteralPseudoHeadersAccepted(Http2ConnectionSelector.builder()
                .http2Config(Http2Config.create())
                .addSubProtocolSelector(new GrpcButNotGrpcWeb(new AnsweredStreamsReleased(GrpcProtocolSelector.create(grpc))))
                .build());
    }

    /**
     * Helidon's HTTP/2 connection, reading the client's bytes through {@link PseudoHeaderNormalizingReader}: gRPC
     * C-core clients (Python, C++, Ruby, PHP) send {@code :path} as an HPACK literal with a literal name, which
     * Helidon 4.5 refuses with GOAWAY(PROTOCOL_ERROR) before the first call (see {@link HpackPseudoHeaders}).
     */
    private record LiteralPseudoHeadersAccepted(ServerConnectionSelector http2) implements ServerConnectionSelector {
        @Override
        public int bytesToIdentifyConnection() {
            return http2.bytesToIdentifyConnection();
        }

        @Override
        public Support supports(BufferData data) {
            return http2.supports(data);
        }

        @Override
        public Set<String> supportedApplicationProtocols() {
            return http2.supportedApplicationProtocols();
        }

        @Override
        public ServerConnection connection(ConnectionContext ctx) {
            ClientResets resets = new ClientResets();
            return http2.connection(new NormalizedContext(ctx, PseudoHeaderNormalizingReader.wrap(ctx.dataReader(),
                    resets), resets));
        }
    }

    /**
     * The connection's context with the normalising reader in place of the socket's, and what it knows of the streams
     * the client has reset (the gRPC streams report their inbound windows to it as they start).
     */
    private record NormalizedContext(ConnectionContext socket, DataReader dataReader, ClientResets resets)
            implements ConnectionContext {
        @Override
        public ListenerContext listenerContext() {
            return socket.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return socket.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return socket.dataWriter();
        }

        @Override
        public Router router() {
            return socket.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return socket.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return socket.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return socket.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return socket.localPeer();
        }

        @Override
        public boolean isSecure() {
            return socket.isSecure();
        }

        @Override
        public String socketId() {
            return socket.socketId();
        }

        @Override
        public String childSocketId() {
            return socket.childSocketId();
        }
    }

    private record GrpcButNotGrpcWeb(Http2SubProtocolSelector grpc) implements Http2SubProtocolSelector {
        @Override
        public SubProtocolResult subProtocol(ConnectionContext ctx, HttpPrologue prologue, Http2Headers headers,
                                             Http2StreamWriter streamWriter, int streamId, Http2Settings serverSettings,
                                             Http2Settings clientSettings, StreamFlowControl flowControl,
                                             Http2StreamState currentStreamState, Router router) {
            if (GrpcWebBridge.isGrpcWeb(headers.httpHeaders().first(HeaderNames.CONTENT_TYPE).orElse(""))) {
                return NOT_SUPPORTED;
            }
            SubProtocolResult result = grpc.subProtocol(ctx, prologue, uncompressedAnswer(headers), streamWriter, streamId,
                    serverSettings, clientSettings, flowControl, currentStreamState, router);
            if (result.supported() && ctx instanceof NormalizedContext connection) {
                connection.resets().opened(streamId, flowControl.inbound());
            }
            return result;
        }
    }

    static final HeaderName GRPC_ENCODING = HeaderNames.create("grpc-encoding");
    static final HeaderName GRPC_ACCEPT_ENCODING = HeaderNames.create("grpc-accept-encoding");

    /**
     * The request's headers without {@code grpc-accept-encoding} when its own messages are not compressed, so that
     * the answer is not either. Helidon gzips every response to a client that accepts gzip (grpc-java, grpc-js and
     * C-core clients all say they do), with a new {@code Deflater} and buffers per message: on a small unary read
     * that was a few per cent of the server's CPU, and 14 % of its allocation, besides the client's inflating, for a
     * message of a few hundred bytes. gRPC lets a server answer uncompressed whatever the client accepts (grpc-java's
     * server does by default). A request that is itself compressed ({@code grpc-encoding}) is answered as Helidon
     * does, in the same encoding.
     */
    static Http2Headers uncompressedAnswer(Http2Headers headers) {
        Headers h = headers.httpHeaders();
        if (!h.contains(GRPC_ACCEPT_ENCODING) || h.contains(GRPC_ENCODING)) {
            return headers;
        }
        WritableHeaders<?> kept = WritableHeaders.create(h);
        kept.remove(GRPC_ACCEPT_ENCODING);
        Http2Headers copy = Http2Headers.create(kept);
        if (headers.path() != null) {
            copy.path(headers.path());
        }
        if (headers.method() != null) {
            copy.method(headers.method());
        }
        if (headers.scheme() != null) {
            copy.scheme(headers.scheme());
        }
        if (headers.authority() != null) {
            copy.authority(headers.authority());
        }
        return copy;
    }
}
