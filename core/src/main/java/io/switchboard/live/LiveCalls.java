package io.switchboard.live;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

import io.switchboard.agents.AgentService;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.LiveEvents;
import io.switchboard.tenancy.Principal;
import io.switchboard.transcription.SpeechRecognizer;

/**
 * The live calls of this process, whatever transport carries them (gRPC {@code StreamCall}, a carrier's media
 * stream): opens their {@link CallSession}s, holds them by call id so that a hang-up reaches the one holding a
 * call, counts them for the gauge, runs their idle timer, and ends them all when the server shuts down.
 */
public final class LiveCalls implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LiveCalls.class.getName());
    /** Default audio a stream may run ahead of its handling: about 17 minutes of 16 kHz PCM, 70 of μ-law. */
    public static final long DEFAULT_MAX_BACKLOG = 32L << 20;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_STORE_GRACE = Duration.ofSeconds(30);

    private final CallService calls;
    private final LiveEvents liveEvents;
    private final Function<CallOutput.Transcript, byte[]> eventEncoding;
    private final Optional<SpeechRecognizer> recognizer;
    private final Function<Call, String> languages;
    private final CallAgents agents;
    private final Duration idleTimeout;
    private final long maxBacklog;
    private final Duration storeGrace;
    private final LongSupplier nanoTime;
    private final ScheduledExecutorService timers;
    private final Map<UUID, CallSession> held = new ConcurrentHashMap<>();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicLong audioReceived = new AtomicLong();
    private volatile boolean draining;

    private LiveCalls(Builder b) {
        this.calls = b.calls;
        this.liveEvents = b.events;
        this.eventEncoding = Objects.requireNonNull(b.eventEncoding, "eventEncoding");
        this.recognizer = b.recognizer;
        this.languages = b.languages;
        this.agents = b.agents;
        this.idleTimeout = b.idleTimeout;
        this.maxBacklog = b.maxBacklog;
        this.storeGrace = b.storeGrace;
        this.nanoTime = b.nanoTime;
        this.timers = b.idleTimer ? Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("call-idle-timer").unstarted(r)) : null;
    }

    /**
     * @param events where the calls' events are published for the watchers on every server
     */
    public static Builder builder(CallService calls, LiveEvents events) {
        return new Builder(calls, events);
    }

    /** Opens a session for one transport stream, on behalf of {@code actor}; its first input must open the call. */
    public CallSession open(Principal actor, SessionListener listener) {
        return new CallSession(this, actor, listener);
    }

    /** Calls open in this process right now. */
    public int count() {
        return live.get();
    }

    /**
     * Caller audio bytes the live calls of this process have received and accepted since it started (each is
     * kept, whatever happens next): a counter for the ingest rate, and how a test knows the server holds what
     * it sent.
     */
    public long audioBytesReceived() {
        return audioReceived.get();
    }

    /**
     * Hangs up a live call a session of this process holds, as if its caller had ended it, after the audio
     * already received: the audio is kept, the call ends and is processed, and the other party is told.
     *
     * @return false if no session of this process holds the call
     */
    public boolean hangUp(UUID callId, String reason) {
        CallSession s = held.get(callId);
        if (s == null) {
            return false;
        }
        s.hangUp(reason);
        return true;
    }

    /**
     * Hands the carrier's answering-machine verdict to a live call a session of this process holds.
     *
     * @return false if no session of this process holds the call
     */
    public boolean answeredBy(UUID callId, CallInput.AnsweredBy answered) {
        CallSession s = held.get(callId);
        if (s == null) {
            return false;
        }
        s.answeredBy(answered);
        return true;
    }

    /** Whether call {@code callId} of {@code org} is still live, wherever it is held. */
    public boolean active(UUID org, UUID callId) {
        return calls.find(org, callId).map(c -> c.state() == Call.State.ACTIVE).orElse(false);
    }

    /**
     * The first step of a server's shutdown, once it stops accepting: no call opens any more (UNAVAILABLE, so
     * clients call another server), and every live call is hung up as if its caller had ended it, its audio
     * stored and its pipeline queued. Returns when all have ended, or after {@code wait}.
     *
     * @return the calls still live when the wait ran out (each is then ended by the abandoned-call sweep)
     */
    public int endLiveCalls(Duration wait) {
        draining = true;
        held.keySet().forEach(id -> hangUp(id, "hung up: the server is shutting down"));
        long deadline = System.nanoTime() + wait.toNanos();
        while (!held.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!held.isEmpty()) {
            LOG.warning(held.size() + " live call(s) did not end within " + wait.toSeconds() + " s of the shutdown");
        }
        return held.size();
    }

    /** Stops the idle timer (server shutdown). */
    @Override
    public void close() {
        if (timers != null) {
            timers.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ for the sessions

    CallService calls() {
        return calls;
    }

    /** Where the live calls' recording segments are stored from (the pending-uploads gauge reads it too). */
    public io.switchboard.storage.Uploads uploads() {
        return calls.segmentUploads();
    }

    long nanoTime() {
        return nanoTime.getAsLong();
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    long maxBacklog() {
        return maxBacklog;
    }

    Duration storeGrace() {
        return storeGrace;
    }

    void received(int bytes) {
        audioReceived.addAndGet(bytes);
    }

    boolean draining() {
        return draining;
    }

    CallAgents agents() {
        return agents;
    }

    Optional<SpeechRecognizer> recognizer() {
        return recognizer;
    }

    int recognizerRate() {
        return recognizer.map(SpeechRecognizer::sampleRate).orElse(16_000);
    }

    String language(Call call) {
        return languages.apply(call);
    }

    CallEvents events(Call call) {
        return new CallEvents(liveEvents.publisher(call.organizationId(), call.id(), calls.hipaaMode(call.organizationId())),
                eventEncoding, call.id().toString());
    }

    void hold(UUID callId, CallSession s) {
        live.incrementAndGet();
        held.put(callId, s);
    }

    void release(UUID callId) {
        live.decrementAndGet();
        held.remove(callId);
    }

    /**
     * One periodic check per call rather than a timer re-armed on every frame: at 50 frames a second,
     * cancelling and rescheduling cost more than decoding the audio. The timeout fires between idleTimeout and
     * idleTimeout + a quarter of it after the last message. Returns how to stop it.
     */
    Runnable watchIdle(CallSession s) {
        if (timers == null) {
            return () -> { };
        }
        long period = Math.max(50, idleTimeout.toMillis() / 4);
        ScheduledFuture<?> f = timers.scheduleWithFixedDelay(s::checkIdle, period, period, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    public static final class Builder {
        private final CallService calls;
        private final LiveEvents events;
        private Function<CallOutput.Transcript, byte[]> eventEncoding;
        private Optional<SpeechRecognizer> recognizer = Optional.empty();
        private Function<Call, String> languages = c -> "en-US";
        private CallAgents agents = CallAgents.NONE;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private long maxBacklog = DEFAULT_MAX_BACKLOG;
        private Duration storeGrace = DEFAULT_STORE_GRACE;
        private LongSupplier nanoTime = System::nanoTime;
        private boolean idleTimer = true;

        private Builder(CallService calls, LiveEvents events) {
            this.calls = calls;
            this.events = events;
        }

        /** How a transcript event is published for the watchers: the API's own encoding (required). */
        public Builder eventEncoding(Function<CallOutput.Transcript, byte[]> encoding) {
            this.eventEncoding = encoding;
            return this;
        }

        /** Transcribes calls as they go; without one, the worker transcribes their recordings afterwards. */
        public Builder recognizer(Optional<SpeechRecognizer> recognizer) {
            this.recognizer = recognizer;
            return this;
        }

        /** Recognises a call in its agent's language (the version the call pinned), en-US if it is gone. */
        public Builder languages(AgentService agents) {
            this.languages = c -> agents.version(c.organizationId(), c.agentId(), c.agentVersion())
                    .map(a -> a.spec().language()).orElse("en-US");
            return this;
        }

        public Builder agents(CallAgents agents) {
            this.agents = agents;
            return this;
        }

        /** A call with no message for this long is ended, its audio kept. */
        public Builder idleTimeout(Duration idleTimeout) {
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("calls.idle-timeout must be positive; it is " + idleTimeout);
            }
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** Audio bytes a stream may send ahead of their handling (or buffer while the store is down). */
        public Builder maxBacklog(long maxBacklog) {
            if (maxBacklog < 1) {
                throw new IllegalArgumentException("calls.max-backlog must be at least 1 byte; it is " + maxBacklog);
            }
            this.maxBacklog = maxBacklog;
            return this;
        }

        /** How long a call that ends while the object store is down keeps trying to store its buffered audio. */
        public Builder storeGrace(Duration storeGrace) {
            this.storeGrace = storeGrace;
            return this;
        }

        /** Tests: time as this clock says, and no idle timer of its own ({@link CallSession#checkIdle} by hand). */
        Builder manualTime(LongSupplier nanoTime) {
            this.nanoTime = nanoTime;
            this.idleTimer = false;
            return this;
        }

        public LiveCalls build() {
            return new LiveCalls(this);
        }
    }
}
