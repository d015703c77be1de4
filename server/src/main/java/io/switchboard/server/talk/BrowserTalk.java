package io.switchboard.server.talk;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.websocket.WsListener;
import io.switchboard.live.LiveCalls;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.server.web.GrpcWebCors;
import io.switchboard.talk.TalkTokens;

/**
 * A web page talking to an agent: the WebSocket {@value CallGrpcService#TALK_PATH} on the API's port, a third
 * transport of live calls beside gRPC {@code StreamCall} and the carrier's media streams (one {@link TalkEndpoint}
 * per socket). A request that is not upgraded — a refused {@code Origin}, or plain HTTP — is answered here over
 * HTTP, saying why.
 */
public final class BrowserTalk implements HttpService {

    private final TalkTokens tokens;
    private final LiveCalls sessions;
    private final GrpcWebCors cors;

    /** @param cors the pages that may open the socket: the API's grpc-web policy */
    public BrowserTalk(TalkTokens tokens, LiveCalls sessions, GrpcWebCors cors) {
        this.tokens = tokens;
        this.sessions = sessions;
        this.cors = cors;
    }

    /** A new listener per WebSocket connection. */
    public WsListener endpoint() {
        return new TalkEndpoint(tokens, sessions, cors);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get(CallGrpcService.TALK_PATH, this::notUpgraded);
    }

    private void notUpgraded(ServerRequest req, ServerResponse res) {
        if (!cors.admitsWebSocket(req.headers().first(HeaderNames.ORIGIN), req.headers().first(HeaderNames.HOST))) {
            res.status(Status.FORBIDDEN_403).send("Origin: " + TalkEndpoint.abbreviate(req.headers()
                    .first(HeaderNames.ORIGIN).orElse("")) + " may not talk to agents on this server (it is not in"
                    + " server.grpc-web.cors.allowed-origins)");
            return;
        }
        res.status(Status.UPGRADE_REQUIRED_426).header(HeaderNames.UPGRADE, "websocket")
                .send(CallGrpcService.TALK_PATH + " is a WebSocket: open it with ?token= from CreateTalkToken");
    }
}
