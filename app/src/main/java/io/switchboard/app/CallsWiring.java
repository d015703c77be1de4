package io.switchboard.app;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

import io.grpc.BindableService;
import io.helidon.config.Config;
import io.switchboard.ControlPlane;
import io.switchboard.calls.CallService;
import io.switchboard.calls.LiveEvents;
import io.switchboard.common.Notifications;
import io.switchboard.conversation.ConversationEngine;
import io.switchboard.conversation.Conversations;
import io.switchboard.conversation.LlmTokens;
import io.switchboard.conversation.StoredConversations;
import io.switchboard.conversation.greeting.PreparedGreetings;
import io.switchboard.conversation.brain.FlowBrain;
import io.switchboard.conversation.brain.llm.LlmBrains;
import io.switchboard.conversation.vad.SileroVad;
import io.switchboard.dialer.NationalDoNotCall;
import io.switchboard.live.LiveCalls;
import io.switchboard.privacy.Consents;
import io.switchboard.privacy.SubjectRights;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.server.calls.CallHangUps;
import io.switchboard.server.messaging.MessagingWebhooks;
import io.switchboard.server.observe.ConversationMetrics;
import io.switchboard.server.privacy.PrivacyGrpcService;
import io.switchboard.server.telephony.TwilioBridge;
import io.switchboard.talk.TalkTokens;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.SpeechRecognizers;

/** The call side of the wiring, shared by dev (devtools), server and worker. */
public final class CallsWiring {

    private static final Logger LOG = Logger.getLogger(CallsWiring.class.getName());

    private CallsWiring() {
    }

    /** The configured recogniser; without one, calls still work and are transcribed by a worker that has it. */
    public static Optional<SpeechRecognizer> recognizer(Config config) {
        try {
            return Optional.of(SpeechRecognizers.fromConfig(config));
        } catch (RuntimeException | LinkageError e) {
            LOG.warning("speech recognition is off: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The services that read or erase call content besides the call API itself. An erasure hangs up the
     * contact's live calls through the carrier, or through this server's streams.
     */
    public static List<BindableService> contentServices(ControlPlane plane, CallService calls, CallGrpcService streams,
                                                 Optional<TwilioTelephony.Settings> carrier) {
        Consents consents = new Consents(plane.database().dsl(), plane.clock(), plane.audit());
        CallHangUps hangUps = new CallHangUps(plane.dialAttempts(), carrier.map(TwilioTelephony::new), streams.sessions(),
                plane.database().dsl());
        return List.of(new PrivacyGrpcService(consents, new SubjectRights(plane.database().dsl(), plane.clock(), calls,
                plane.recordings(), consents, plane.audit(), hangUps, plane.messaging())));
    }

    /** The carrier account, when {@code telephony.twilio.*} and {@code telephony.public-url} are configured. */
    public static Optional<TwilioTelephony.Settings> twilio(Config config) {
        Config t = config.get("telephony");
        Optional<String> token = t.get("twilio.auth-token").asString().asOptional().filter(s -> !s.isBlank());
        if (token.isEmpty()) {
            return Optional.empty();
        }
        String publicUrl = t.get("public-url").asString().orElseThrow(() -> new IllegalArgumentException(
                "telephony.public-url is required with telephony.twilio.auth-token: the URL the carrier reaches this"
                        + " platform at (signatures are computed over it)"));
        return Optional.of(new TwilioTelephony.Settings(
                URI.create(t.get("twilio.api-url").asString().orElse("https://api.twilio.com")),
                t.get("twilio.account-sid").asString().orElse(""), token.get(), URI.create(publicUrl),
                t.get("ring-timeout").as(Duration.class).orElse(Duration.ofSeconds(60))));
    }

    /** The national do-not-call registry: {@code compliance.national-dnc.dir} of registry files, or none. */
    public static NationalDoNotCall nationalDoNotCall(Config config) {
        Config n = config.get("compliance.national-dnc");
        return n.get("dir").asString().asOptional().filter(s -> !s.isBlank())
                .map(d -> NationalDoNotCall.fromFiles(Path.of(d), n.get("country-code").asString().orElse("1")))
                .orElse(NationalDoNotCall.none());
    }

    public static TwilioBridge bridge(TwilioTelephony.Settings s, ControlPlane plane, CallGrpcService calls) {
        return new TwilioBridge(s.authToken(), s.publicUrl(), plane.dialAttempts(), calls.sessions(),
                plane.agents()::organizationOf, new TwilioTelephony(s), plane.database().dsl());
    }

    /** The carrier's messaging webhooks, on the same account (and public URL) as its voice side. */
    public static MessagingWebhooks messagingWebhooks(TwilioTelephony.Settings s, ControlPlane plane) {
        return new MessagingWebhooks(s.authToken(), s.publicUrl(), plane.messaging());
    }

    /**
     * The agents that talk on live calls: Silero VAD (loaded once; a missing model fails the start), the
     * deployment's voices, the flow brain and the LLM brain of {@code conversation.llm.*} when configured. They
     * talk on a client's {@code StreamCall} that asks for it, and on the carrier's calls unless
     * {@code conversation.carrier-calls} is off.
     */
    static Conversations conversations(Config config, ControlPlane plane, CallService calls) {
        var stored = new StoredConversations(calls, plane.agents(), plane.contacts(), plane.campaigns(),
                plane.doNotCall(), plane.usage(), Optional.of(plane.followUps()), Optional.of(new PreparedGreetings(
                plane.database().dsl(), plane.clock(), plane.plans(), plane.contentSeal())));
        LlmTokens tokens = new LlmTokens(stored::lateTokens);
        FlowBrain flow = FlowBrain.create();
        Thread.ofVirtual().name("meaning-model-warm-up").start(flow::warmUp);
        var parts = new ConversationEngine.Parts(sharedVad(), plane.agents().voiceRegistry(),
                Conversations.brains(flow, LlmBrains.fromConfig(config, plane.clock(), tokens)),
                new ConversationMetrics(stored), tokens);
        return new Conversations(parts, config.get("conversation.carrier-calls").asBoolean().orElse(true));
    }

    private static SileroVad vad;

    private static synchronized SileroVad sharedVad() {
        if (vad == null) {
            vad = SileroVad.load();
        }
        return vad;
    }

    /** @param notifications the server process's LISTEN connection (live calls' watchers on every server) */
    public static CallGrpcService grpc(Config config, ControlPlane plane, CallService calls,
                                Optional<SpeechRecognizer> recognizer, Notifications notifications) {
        LiveEvents events = new LiveEvents(plane.database().dsl(), plane.contentSeal());
        LiveCalls sessions = LiveCalls.builder(calls, events).eventEncoding(CallGrpcService::eventEncoding)
                .recognizer(recognizer).languages(plane.agents())
                .idleTimeout(config.get("calls.idle-timeout").as(Duration.class).orElse(LiveCalls.DEFAULT_IDLE_TIMEOUT))
                .maxBacklog(config.get("calls.max-backlog").asLong().orElse(LiveCalls.DEFAULT_MAX_BACKLOG))
                .storeGrace(config.get("calls.store-grace").as(Duration.class).orElse(LiveCalls.DEFAULT_STORE_GRACE))
                .agents(conversations(config, plane, calls))
                .build();
        return new CallGrpcService(calls, sessions, events, notifications,
                config.get("calls.max-watcher-backlog").asInt().orElse(CallGrpcService.DEFAULT_WATCHER_BACKLOG),
                new TalkTokens(plane.database().dsl(), plane.clock(), plane.audit()), Optional.of(plane.followUps()));
    }
}
