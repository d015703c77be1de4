package io.switchboard.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.logging.Logger;

import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import io.helidon.health.HealthCheck;
import io.helidon.metrics.api.FunctionalCounter;
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
import io.switchboard.live.LiveCalls;
import io.switchboard.server.agents.AgentGrpcService;
import io.switchboard.server.audit.AuditGrpcService;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.server.campaigns.CampaignGrpcService;
import io.switchboard.server.compliance.ComplianceGrpcService;
import io.switchboard.server.console.ConsoleRoutes;
import io.switchboard.server.contacts.ContactGrpcService;
import io.switchboard.server.grpc.ApiInterceptor;
import io.switchboard.server.grpc.RateLimiter;
import io.switchboard.server.messaging.FollowUpGrpcService;
import io.switchboard.server.messaging.MessagingGrpcService;
import io.switchboard.server.messaging.MessagingWebhooks;
import io.switchboard.server.plans.PlanGrpcService;
import io.switchboard.server.retention.RetentionGrpcService;
import io.switchboard.server.tenancy.ApiKeyGrpcService;
import io.switchboard.server.tenancy.OrganizationGrpcService;
import io.switchboard.storage.Uploads;
import io.switchboard.server.tenancy.UserGrpcService;
import io.switchboard.server.usage.UsageGrpcService;
import io.switchboard.server.observe.Observability;
import io.switchboard.server.observe.RpcMetrics;
import io.switchboard.server.talk.BrowserTalk;
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

    private final Optional<CallGrpcService> calls;
    private final GrpcWebBridge web;
    private final Optional<Notifications> ownNotifications;

    private SwitchboardServer(WebServer webServer, HealthStatusManager health, Optional<CallGrpcService> calls,
                              GrpcWebBridge web, Optional<Notifications> ownNotifications) {
        this.webServer = webServer;
        this.health = health;
        this.calls = calls;
        this.web = web;
        this.ownNotifications = ownNotifications;
    }

    /** The one way to make a server: name its parts, then {@link Builder#start()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * What the server carries, part by part, in the style of Helidon's {@code WebServer.builder()} and
     * db-scheduler's {@code SchedulerBuilder}: the control plane and the listener are required; everything
     * else is optional and says what it adds.
     */
    public static final class Builder {

        private ControlPlane plane;
        private Listener listener;
        private Optional<Notifications> notifications = Optional.empty();
        private Optional<CallGrpcService> calls = Optional.empty();
        private Optional<TwilioBridge> carrier = Optional.empty();
        private Optional<MessagingWebhooks> messagingCarrier = Optional.empty();
        private final List<BindableService> more = new ArrayList<>();
        private final List<HealthCheck> readiness = new ArrayList<>();
        private GrpcWebCors cors = GrpcWebCors.sameOriginOnly();

        private Builder() {
        }

        /** The domain services the API serves (required). */
        public Builder controlPlane(ControlPlane plane) {
            this.plane = Objects.requireNonNull(plane, "plane");
            return this;
        }

        /**
         * The address, port (0 picks a free one, see {@link SwitchboardServer#port()}) and TLS of the API's one
         * listener (required).
         */
        public Builder listener(Listener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * This process's LISTEN connection (the caller's to close, after the server): the cache of verified API
         * keys hears revocations on every server through it. Without one the server opens its own and closes it.
         */
        public Builder notifications(Notifications notifications) {
            this.notifications = Optional.of(notifications);
            return this;
        }

        /** Also serves the live call API (it needs object storage and a recogniser). */
        public Builder calls(CallGrpcService calls) {
            this.calls = Optional.of(calls);
            return this;
        }

        /** A service that needs more than the control plane (call content: privacy). */
        public Builder addService(BindableService service) {
            more.add(Objects.requireNonNull(service, "service"));
            return this;
        }

        /** @see #addService(BindableService) */
        public Builder addServices(List<? extends BindableService> services) {
            services.forEach(this::addService);
            return this;
        }

        /**
         * The carrier bridge (status callbacks over HTTP/1.1 and the media-stream WebSocket), served on the same
         * port as the gRPC API.
         */
        public Builder carrier(TwilioBridge bridge) {
            this.carrier = Optional.of(bridge);
            return this;
        }

        /** The carrier's messaging webhooks (status callbacks, inbound texts), on the same port as the API. */
        public Builder messagingCarrier(MessagingWebhooks webhooks) {
            this.messagingCarrier = Optional.of(webhooks);
            return this;
        }

        /** A check beside the database's for {@code /observe/health/ready} (object store, recogniser). */
        public Builder addReadiness(HealthCheck check) {
            readiness.add(Objects.requireNonNull(check, "check"));
            return this;
        }

        /** @see #addReadiness(HealthCheck) */
        public Builder addReadiness(List<? extends HealthCheck> checks) {
            checks.forEach(this::addReadiness);
            return this;
        }

        /** The web origins, besides the API's own, whose pages may call it with grpc-web (default: none). */
        public Builder cors(GrpcWebCors cors) {
            this.cors = Objects.requireNonNull(cors, "cors");
            return this;
        }

        /** Binds the listener and serves; {@link SwitchboardServer#close()} stops it again. */
        public SwitchboardServer start() {
            if (plane == null) {
                throw new IllegalStateException("a server needs its control plane: call controlPlane(...) first");
            }
            if (listener == null) {
                throw new IllegalStateException("a server needs a listener: call listener(...) first");
            }
            if (notifications.isPresent()) {
                return SwitchboardServer.start(this, notifications.get(), Optional.empty());
            }
            Notifications own = Notifications.start(plane.database().dataSource());
            try {
                return SwitchboardServer.start(this, own, Optional.of(own));
            } catch (RuntimeException e) {
                own.close();
                throw e;
            }
        }
    }

    private static SwitchboardServer start(Builder b, Notifications notifications, Optional<Notifications> own) {
        ControlPlane plane = b.plane;
        Listener listener = b.listener;
        HealthStatusManager health = new HealthStatusManager();
        RateLimiter rateLimiter = new RateLimiter(org -> plane.plans().effectivePolicy(org).limits(), System::nanoTime);
        // outermost first, as GrpcRouting applies them; grpc-web calls pass the same ones. Metrics and the trace
        // span outermost, so that refusals by authentication and rate limits are counted and traced too.
        List<ServerInterceptor> edge = List.of(new RpcMetrics(),
                new ApiInterceptor(new VerifiedKeys(plane.apiKeys(), notifications), rateLimiter));
        List<BindableService> api = new ArrayList<>();
        api.add(health.getHealthService());
        api.addAll(services(plane));
        b.calls.ifPresent(api::add);
        api.addAll(b.more);
        GrpcRouting.Builder grpc = GrpcRouting.builder();
        edge.forEach(grpc::intercept);
        api.forEach(grpc::service);
        // Helidon's default gRPC protocol settings; a grpc-web request message may be as large as a gRPC one
        GrpcConfig grpcProtocol = GrpcConfig.create();
        GrpcWebBridge web = GrpcWebBridge.start(api, edge, b.cors, grpcProtocol.maxReadBufferSize());
        // pages talk to agents over a WebSocket, admitted by the same origins as grpc-web
        Optional<BrowserTalk> talk = b.calls.map(c -> new BrowserTalk(c.talkTokens(), c.sessions(), b.cors));
        var builder = WebServer.builder()
                .shutdownHook(false) // the process's one shutdown hook stops it, in order (close)
                .host(listener.host())
                .port(listener.port())
                .addConnectionSelector(GrpcWebHttp2.connectionSelector(grpcProtocol))
                .addFeature(GrpcReflectionFeature.builder().enabled(true).build())
                .addFeature(Observability.feature(Stream.concat(Stream.of(Observability.database(
                        plane.database().dataSource())), b.readiness.stream()).toList()))
                .addFeature(ConsoleRoutes.feature())
                .addRouting(grpc)
                .routing(http -> {
                    http.register(web);
                    b.carrier.ifPresent(http::register);
                    talk.ifPresent(http::register);
                    b.messagingCarrier.ifPresent(http::register);
                });
        b.calls.ifPresent(c -> {
            MeterRegistry meters = Services.get(MeterRegistry.class);
            meters.getOrCreate(Gauge.builder("switchboard_live_calls", c::liveCalls)
                    .description("Live call streams on this server"));
            meters.getOrCreate(FunctionalCounter.builder("switchboard_live_audio_received_bytes", c.sessions(),
                    LiveCalls::audioBytesReceived).description("Caller audio received on this server's live calls"));
            Uploads uploads = c.sessions().uploads();
            meters.getOrCreate(Gauge.builder("switchboard_recording_uploads_pending", uploads::pending)
                    .description("Recording segments handed to the object store's upload threads and not yet stored"));
            meters.getOrCreate(FunctionalCounter.builder("switchboard_recording_upload_failures", uploads,
                    Uploads::failures).description("Segment uploads that failed or were refused (each is tried again)"));
        });
        WsRouting.Builder sockets = WsRouting.builder();
        b.carrier.ifPresent(bridge -> sockets.endpoint(TwilioTelephony.MEDIA_PATH, bridge::mediaStream));
        talk.ifPresent(t -> sockets.endpoint(CallGrpcService.TALK_PATH, t::endpoint));
        if (b.carrier.isPresent() || talk.isPresent()) {
            builder.addRouting(sockets);
        }
        listener.tls().ifPresent(files -> builder.tls(files.load()));
        WebServer server;
        try {
            server = builder.build().start();
        } catch (RuntimeException e) {
            web.close();
            throw e;
        }
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        LOG.info(() -> "gRPC API (and grpc-web) listening on " + listener.host() + ":" + server.port()
                + (listener.tls().isPresent() ? " with TLS" : " (plaintext)"));
        return new SwitchboardServer(server, health, b.calls, web, own);
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
                new ContactGrpcService(plane.contacts(), plane.contactTransfer()),
                new MessagingGrpcService(plane.messaging()),
                new FollowUpGrpcService(plane.followUps()));
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
