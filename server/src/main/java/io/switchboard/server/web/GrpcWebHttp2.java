package io.switchboard.server.web;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.http.http2.Http2Headers;
import io.helidon.http.http2.Http2Settings;
import io.helidon.http.http2.Http2StreamState;
import io.helidon.http.http2.Http2StreamWriter;
import io.helidon.http.http2.StreamFlowControl;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.Router;
import io.helidon.webserver.grpc.GrpcConfig;
import io.helidon.webserver.grpc.GrpcProtocolSelector;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.http2.Http2ConnectionSelector;
import io.helidon.webserver.http2.spi.Http2SubProtocolSelector;
import io.helidon.webserver.http2.spi.SubProtocolResult;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * Lets grpc-web over HTTP/2 reach {@link GrpcWebBridge}. Helidon's gRPC protocol takes every HTTP/2
 * {@code POST} whose content type starts with {@code application/grpc}, grpc-web's included, and would answer
 * it as plain gRPC: status in HTTP trailers, which a browser cannot read, and no base64 for
 * {@code grpc-web-text}. This is Helidon's HTTP/2 connection selector with the gRPC sub-protocol behind a
 * filter that declines grpc-web, which then goes to the HTTP routing like any request. Given to the listener
 * before the discovered selectors, it serves HTTP/2 with prior knowledge (h2c) and, with TLS, ALPN {@code h2}.
 * An HTTP/1.1 {@code Upgrade: h2c} never carries a grpc-web call: Helidon does not upgrade a request with a
 * body, so such a call is answered over HTTP/1.1.
 */
public final class GrpcWebHttp2 {

    private GrpcWebHttp2() {
    }

    /** The HTTP/2 connection selector for the API's listener, gRPC configured by {@code grpc}. */
    public static ServerConnectionSelector connectionSelector(GrpcConfig grpc) {
        return Http2ConnectionSelector.builder()
                .http2Config(Http2Config.create())
                .addSubProtocolSelector(new GrpcButNotGrpcWeb(GrpcProtocolSelector.create(grpc)))
                .build();
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
            return grpc.subProtocol(ctx, prologue, headers, streamWriter, streamId, serverSettings, clientSettings,
                    flowControl, currentStreamState, router);
        }
    }
}
