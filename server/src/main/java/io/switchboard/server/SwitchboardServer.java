package io.switchboard.server;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.logging.Logger;

import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import io.helidon.health.HealthCheck;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.grpc.GrpcConfig;
import io.helidon.webserver.grpc.GrpcReflectionFeature;
import io.helidon.webserver.grpc.GrpcRouting;
import io.helidon.webserver.websocket.WsRouting;
import io.switchboard.ControlPlane;
import io.switchboard.common.Notifications;
import io.switchboard.server.agents.AgentGrpcService;
import io.switchboard.server.audit.AuditGrpcService;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.server.campaigns.CampaignGrpcService;
import io.switchboard.server.compliance.ComplianceGrpcService;
import io.switchboard.server.console.ConsoleRoutes;
import io.switchboard.server.contacts.ContactGrpcService;
import io.switchboard.server.grpc.ApiInterceptor;
import io.switchboard.server.grpc.RateLimiter;
import io.switchboard.server.plans.PlanGrpcService;
import io.switchboard.server.retention.RetentionGrpcService;
import io.switchboard.server.tenancy.ApiKeyGrpcService;
import io.switchboard.server.tenancy.OrganizationGrpcService;
import io.switchboard.server.tenancy.UserGrpcService;
import io.switchboard.server.usage.UsageGrpcService;
import io.switchboard.server.observe.Observability;
import io.switchboard.server.observe.RpcMetrics;
import io.switchboard.server.telephony.TwilioBridge;
import io.switchboard.server.web.GrpcWebBridge;
import io.switchboard.server.web.GrpcWebCors;
import io.switchboard.server.web.GrpcWebHttp2;
import io.switchboard.server.webhooks.WebhookGrpcService;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.tenancy.VerifiedKeys;

/**
 * The API server: Helidon SE's HTTP/2 webserver carrying the switchboard.v1 gRPC services, the standard
 * gRPC health service and server reflection, all on one port, where browsers reach the same services with
 * grpc-web ({@link GrpcWebBridge}). Every API call passes {@link ApiInterceptor} (authentication, rate limit,
 * error mapping).
 */
public final class SwitchboardServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SwitchboardServer.class.getName());

    private final WebServer webServer;
    private final HealthStatusManager health;

    private final java.util.Optional<CallGrpcService> calls;
    private final GrpcWebBridge web;
    private final java.util.Optional<Notifications> ownNotifications;

    private SwitchboardServer(WebServer webServer, HealthStatusManager health, java.util.Optional<CallGrpcService> calls,
                              GrpcWebBridge web, java.util.Optional<Notifications> ownNotifications) {
        this.webServer = webServer;
        this.health = health;
        this.calls = calls;
        this.web = web;
        this.ownNotifications = ownNotifications;
    }

    /** Starts on {@code host:port}; port 0 picks a free port (see {@link #port()}). */
    public static SwitchboardServer start(ControlPlane plane, String host, int port) {
        return start(plane, java.util.Optional.empty(), host, port);
    }

    /** With {@code calls}, also serves the live call API (it needs object storage and a recogniser). */
    public static SwitchboardServer start(ControlPlane plane, java.util.Optional<CallGrpcService> calls, String host,
                                          int port) {
        return start(plane, calls, List.of(), host, port);
    }

    /** @param more services that need more than the control plane (call content: privacy) */
    public static SwitchboardServer start(ControlPlane plane, java.util.Optional<CallGrpcService> calls,
                                          List<BindableService> more, String host, int port) {
        return start(plane, calls, more, java.util.Optional.empty(), host, port);
    }

    /**
     * @param carrier the carrier bridge (status callbacks over HTTP/1.1 and the media-stream WebSocket), served
     *                on the same port as the gRPC API
     */
    public static SwitchboardServer start(ControlPlane plane, java.util.Optional<CallGrpcService> calls,
                                          List<BindableService> more, java.util.Optional<TwilioBridge> carrier,
                                          String host, int port) {
        return start(plane, calls, more, carrier, List.of(), host, port);
    }

    /**
     * @param readiness checks beside the database's for {@code /observe/health/ready} (object store,
     *                  recogniser)
     */
    public static SwitchboardServer start(ControlPlane plane, java.util.Optional<CallGrpcService> calls,
                                          List<BindableService> more, java.util.Optional<TwilioBridge> carrier,
                                          List<HealthCheck> readiness, String host, int port) {
        return start(plane, calls, more, carrier, readiness, GrpcWebCors.sameOriginOnly(), Listener.plaintext(host, port));
    }

    /**
     * @param cors     the web origins, besides the API's own, whose pages may call it with grpc-web
     * @param listener the address, port and TLS of the API's one listener
     */
    public static SwitchboardServer start(ControlPlane plane, java.util.Optional<CallGrpcService> calls,
                                          List<BindableService> more, java.util.Optional<TwilioBridge> carrier,
                                          List<HealthCheck> readiness, GrpcWebCors cors, Listener listener) {
        Notifications own = Notifications.start(plane.database().dataSource());
        try {
            return start(plane, own, java.util.Optional.of(own), calls, more, carrier, readiness, cors, listener);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * @param notifications this process's LISTEN connection (the caller's to close, after the server): the cache
     *                      of verified API keys hears revocations on every server through it
     */
    public static SwitchboardServer start(ControlPlane plane, Notifications notifications,
                                          java.util.Optional<CallGrpcService> calls,
                                          List<BindableService> more, java.util.Optional<TwilioBridge> carrier,
                                          List<HealthCheck> readiness, GrpcWebCors cors, Listener listener) {
        return start(plane, notifications, java.util.Optional.empty(), calls, more, carrier, readiness, cors, listener);
    }

    private static SwitchboardServer start(ControlPlane plane, Notifications notifications,
                                           java.util.Optional<Notifications> own,
                                           java.util.Optional<CallGrpcService> calls,
                                           List<BindableService> more, java.util.Optional<TwilioBridge> carrier,
                                           List<HealthCheck> readiness, GrpcWebCors cors, Listener listener) {
        HealthStatusManager health = new HealthStatusManager();
        RateLimiter rateLimiter = new RateLimiter(org -> plane.plans().effectivePolicy(org).limits(), System::nanoTime);
        // outermost first, as GrpcRouting applies them; grpc-web calls pass the same ones. Metrics and the trace
        // span outermost, so that refusals by authentication and rate limits are counted and traced too.
        List<ServerInterceptor> edge = List.of(new RpcMetrics(),
                new ApiInterceptor(new VerifiedKeys(plane.apiKeys(), notifications), rateLimiter));
        List<BindableService> api = new ArrayList<>();
        api.add(health.getHealthService());
        api.addAll(services(plane));
        calls.ifPresent(api::add);
        api.addAll(more);
        GrpcRouting.Builder grpc = GrpcRouting.builder();
        edge.forEach(grpc::intercept);
        api.forEach(grpc::service);
        // Helidon's default gRPC protocol settings; a grpc-web request message may be as large as a gRPC one
        GrpcConfig grpcProtocol = GrpcConfig.create();
        GrpcWebBridge web = GrpcWebBridge.start(api, edge, cors, grpcProtocol.maxReadBufferSize());
        var builder = WebServer.builder()
                .shutdownHook(false) // the process's one shutdown hook stops it, in order (close)
                .host(listener.host())
                .port(listener.port())
                .addConnectionSelector(GrpcWebHttp2.connectionSelector(grpcProtocol))
                .addFeature(GrpcReflectionFeature.builder().enabled(true).build())
                .addFeature(Observability.feature(Stream.concat(Stream.of(Observability.database(
                        plane.database().dataSource())), readiness.stream()).toList()))
                .addFeature(ConsoleRoutes.feature())
                .addRouting(grpc)
                .routing(http -> {
                    http.register(web);
                    carrier.ifPresent(http::register);
                });
        calls.ifPresent(c -> Services.get(MeterRegistry.class).getOrCreate(Gauge.builder("switchboard_live_calls",
                c::liveCalls).description("Live call streams on this server")));
        carrier.ifPresent(bridge -> builder
                .addRouting(WsRouting.builder().endpoint(TwilioTelephony.MEDIA_PATH, bridge::mediaStream)));
        listener.tls().ifPresent(files -> builder.tls(files.load()));
        WebServer server = builder.build().start();
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        LOG.info(() -> "gRPC API (and grpc-web) listening on " + listener.host() + ":" + server.port()
                + (listener.tls().isPresent() ? " with TLS" : " (plaintext)"));
        return new SwitchboardServer(server, health, calls, web, own);
    }

    static List<BindableService> services(ControlPlane plane) {
        return List.of(
                new AuditGrpcService(plane.auditLog()),
                new RetentionGrpcService(plane.retention(), plane.legalHolds()),
                new WebhookGrpcService(plane.webhooks()),
                new ComplianceGrpcService(plane.doNotCall()),
                new AgentGrpcService(plane.agents()),
                new OrganizationGrpcService(plane.organizations()),
                new UserGrpcService(plane.users()),
                new ApiKeyGrpcService(plane.apiKeys()),
                new PlanGrpcService(plane.plans()),
                new CampaignGrpcService(plane.campaigns(), plane.campaignProgress()),
                new UsageGrpcService(plane.usage()),
                new ContactGrpcService(plane.contacts(), plane.contactTransfer()));
    }

    public int port() {
        return webServer.port();
    }

    /**
     * Reports NOT_SERVING to health checks and opens no call any more, hangs up the live calls (their audio
     * stored, their pipelines queued; a caller is told the call ended), then stops accepting and closes
     * connections.
     */
    @Override
    public void close() {
        health.enterTerminalState();
        calls.ifPresent(c -> c.endLiveCalls(java.time.Duration.ofSeconds(30)));
        webServer.stop();
        web.close();
        calls.ifPresent(CallGrpcService::close);
        ownNotifications.ifPresent(Notifications::close);
    }
}
