package io.switchboard.server.calls;

import static io.switchboard.server.grpc.Replies.reply;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.StreamDecoder;
import io.switchboard.audio.Wav;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.LiveEvents;
import io.switchboard.calls.Stage;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.common.Notifications;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.server.grpc.ErrorMapping;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.Principal;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;
import io.switchboard.transcription.Word;
import io.switchboard.v1.CallEvent;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.DeleteCallRequest;
import io.switchboard.v1.DeleteCallResponse;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetRecordingUrlRequest;
import io.switchboard.v1.ListCallsRequest;
import io.switchboard.v1.ListCallsResponse;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.PipelineStage;
import io.switchboard.v1.RecordingUrl;
import io.switchboard.v1.RestoreCallRequest;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.v1.Summary;
import io.switchboard.v1.UploadRecordingRequest;
import io.switchboard.v1.WatchCallRequest;

/**
 * Translates {@code switchboard.v1.CallService}. A live call's audio is decoded, transcribed per channel as
 * it arrives (events go back on the stream, and through {@link LiveEvents} to the watchers on every server, see
 * {@link CallWatchers}), and stored in segments of
 * {@link #SEGMENT_SECONDS} seconds; ending the call hands it to the worker pool.
 */
public final class CallGrpcService extends CallServiceGrpc.CallServiceImplBase {

    private static final Logger LOG = Logger.getLogger(CallGrpcService.class.getName());
    public static final int MAX_FRAME = 64 * 1024;
    /** Default audio a stream may run ahead of its handling: about 17 minutes of 16 kHz PCM, 70 of μ-law. */
    public static final long DEFAULT_MAX_BACKLOG = 32L << 20;
    /** Default events a watcher may fall behind a call before it is cut off (minutes of a busy call). */
    public static final int DEFAULT_WATCHER_BACKLOG = 1024;
    static final int SEGMENT_SECONDS = 5;

    private final CallService calls;
    private final Optional<SpeechRecognizer> recognizer;
    private final Duration idleTimeout;
    private final long maxBacklog;
    private final Duration storeGrace;
    public static final Duration DEFAULT_STORE_GRACE = Duration.ofSeconds(30);
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("call-idle-timer").unstarted(r));
    private final LiveEvents events;
    private final CallWatchers watchers;
    /** The live calls this server's streams hold, by call id. */
    private final Map<UUID, LiveCall> held = new ConcurrentHashMap<>();
    /** Shutting down: no call opens any more. */
    private volatile boolean draining;
    private final java.util.concurrent.atomic.AtomicInteger live = new java.util.concurrent.atomic.AtomicInteger();

    /** Calls open on this server right now. */
    public int liveCalls() {
        return live.get();
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

    /**
     * @param events        where live calls' events are published, and read by the watchers on every server
     * @param notifications this server's LISTEN connection (wakes the watchers when another server publishes)
     * @param maxBacklog    audio bytes a live stream may send ahead of their handling before it is refused
     * @param storeGrace    how long a call that ends while the object store is down keeps trying to store the
     *                      audio it buffered before it gives up (and tells the client so)
     * @param maxWatcherBacklog events a watcher may fall behind before it is cut off
     */
    public CallGrpcService(CallService calls, LiveEvents events, Notifications notifications,
                           Optional<SpeechRecognizer> recognizer, Duration idleTimeout, long maxBacklog,
                           Duration storeGrace, int maxWatcherBacklog) {
        if (maxWatcherBacklog < 1) {
            throw new IllegalArgumentException("calls.max-watcher-backlog must be at least 1 (events a watcher may"
                    + " fall behind); it is " + maxWatcherBacklog);
        }
        this.calls = calls;
        this.events = events;
        this.watchers = new CallWatchers(calls, events, notifications, maxWatcherBacklog);
        notifications.listen(CallHangUps.CHANNEL, new Notifications.Listener() {
            @Override
            public void notified(String payload) {
                CallHangUps.Request.parse(payload).ifPresent(r -> {
                    if (hangUp(r.callId(), r.reason())) {
                        LOG.info(() -> "hanging up call " + r.callId() + " as another server asked: " + r.reason());
                    }
                });
            }

            @Override
            public void reset() {
                // a hang-up missed while the connection was down is asked again by its sender, who waits for the end
            }
        });
        this.recognizer = recognizer;
        this.idleTimeout = idleTimeout;
        this.maxBacklog = maxBacklog;
        this.storeGrace = storeGrace;
    }

    // ------------------------------------------------------------------ live calls

    @Override
    public StreamObserver<StreamCallRequest> streamCall(StreamObserver<StreamCallResponse> out) {
        return live(Principals.current(), out);
    }

    /**
     * A live call for another transport (a carrier's media stream): the same protocol as
     * {@code StreamCall}, the same handling, on behalf of {@code actor}.
     */
    public StreamObserver<StreamCallRequest> live(Principal actor, StreamObserver<StreamCallResponse> out) {
        return new LiveCall(actor, out);
    }

    /**
     * Hangs up a live call a stream of this server holds, as if its caller had ended it, after the audio
     * already received: the audio is kept, the call ends and is processed, and the other party is told
     * ({@code StreamCall}: the ended message and the end of the stream; a carrier's media stream: its
     * WebSocket closes, and the carrier ends the phone call).
     *
     * @return false if no stream of this server holds the call
     */
    public boolean hangUp(UUID callId, String reason) {
        LiveCall c = held.get(callId);
        if (c == null) {
            return false;
        }
        c.inbox.add(() -> c.hangUp(reason));
        return true;
    }

    /** Whether call {@code callId} of {@code org} is still live, wherever it is held. */
    boolean active(UUID org, UUID callId) {
        return calls.find(org, callId).map(c -> c.state() == Call.State.ACTIVE).orElse(false);
    }

    /**
     * One live call. Helidon delivers every stream of an HTTP/2 connection on that connection's thread, so
     * decoding a call's audio there would serialise all the calls a bridge multiplexes on one connection
     * onto one core. Messages are therefore only queued on the transport thread and handled, in order, by
     * the call's own virtual thread; every handler holds the call's lock, the idle timer included.
     */
    private final class LiveCall implements StreamObserver<StreamCallRequest> {
        private final Principal actor;
        private final StreamObserver<StreamCallResponse> out;
        private Call call;
        private LiveEvents.Publisher publisher;
        private StreamDecoder decoder;
        private final List<SpeechRecognizer.Session> sessions = new ArrayList<>();
        private final List<Integer> seqs = new ArrayList<>();
        private boolean liveTranscription;
        private final ByteArrayOutputStream segment = new ByteArrayOutputStream();
        private int segmentBytes;
        private int segments;
        private long storeDownSince; // nanoTime of the first failed store of the current outage, 0 if none
        private boolean done;
        private ScheduledFuture<?> idle;
        private volatile long lastMessage = System.nanoTime();
        private volatile boolean stopped; // no more messages will be handled
        private final Object outLock = new Object(); // guards the response stream, apart from the call's lock
        private boolean replied; // the response stream is closed (guarded by outLock)
        private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
        private final AtomicLong backlog = new AtomicLong(); // audio bytes received, not yet handled

        // the stream's trace and span, for the log lines and the pipeline job of work done on other threads
        private final java.util.Map<String, String> requestIds = java.util.Map.copyOf(
                io.switchboard.common.LogContext.current());

        LiveCall(Principal actor, StreamObserver<StreamCallResponse> out) {
            this.actor = actor;
            this.out = out;
            armIdleTimer();
            Thread.ofVirtual().name("live-call").start(this::handleInOrder);
        }

        /** Handles queued messages in order; after a stop, what was queued before it still runs. */
        private void handleInOrder() {
            while (!(stopped && inbox.isEmpty())) {
                Runnable task;
                try {
                    task = inbox.poll(1, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                if (task == null) {
                    continue;
                }
                try {
                    java.util.Map<String, String> ids = new java.util.LinkedHashMap<>(requestIds);
                    ids.putAll(io.switchboard.common.LogContext.of("call_id", call == null ? null : call.id().toString(),
                            "organization_id", actor.organizationId().toString()));
                    io.switchboard.common.LogContext.run(ids, task);
                } catch (RuntimeException e) {
                    fail(e);
                }
                lastMessage = System.nanoTime(); // a stream whose backlog is being worked off is not idle
            }
        }

        /**
         * Tells the client, once; the call itself is ended by whoever failed. Holds only the response lock,
         * never the call's: the transport thread calls this, and must not wait behind audio being decoded.
         */
        private void fail(RuntimeException e) {
            stopped = true;
            synchronized (outLock) {
                if (!replied) {
                    replied = true;
                    out.onError(ErrorMapping.toStatus(e));
                }
            }
        }

        private void send(StreamCallResponse r) {
            synchronized (outLock) {
                if (!replied) {
                    out.onNext(r);
                }
            }
        }

        private void complete(Throwable error) {
            synchronized (outLock) {
                if (!replied) {
                    replied = true;
                    if (error == null) {
                        out.onCompleted();
                    } else {
                        out.onError(error);
                    }
                }
            }
        }

        @Override
        public void onNext(StreamCallRequest req) {
            if (stopped) {
                return;
            }
            lastMessage = System.nanoTime();
            // an oversized frame is refused in turn (INVALID_ARGUMENT, after the audio before it) and not counted
            int size = req.getAudio().size() <= MAX_FRAME ? req.getAudio().size() : 0;
            if (backlog.addAndGet(size) > maxBacklog) {
                // refuse this frame and what follows at once; the audio already queued is still handled and kept
                fail(new SwitchboardException.ResourceExhausted("calls:backlog", "the stream ran more than "
                        + maxBacklog + " bytes ahead of transcription; stream in real time, or send finished "
                        + "recordings with UploadRecording", Duration.ofSeconds(1)));
                inbox.add(() -> endAfterOverflow());
                return;
            }
            inbox.add(() -> {
                backlog.addAndGet(-size);
                handleNext(req);
            });
        }

        private synchronized void hangUp(String reason) {
            if (call != null && !done) {
                stopped = true;
                finish(Call.State.ENDED, reason, true);
            }
        }

        private synchronized void endAfterOverflow() {
            if (call != null && !done) {
                finish(Call.State.FAILED, "refused: the stream ran ahead of transcription by more than "
                        + maxBacklog + " bytes", false);
            }
            done = true;
        }

        @Override
        public void onError(Throwable t) {
            inbox.add(() -> handleError(t));
        }

        @Override
        public void onCompleted() {
            inbox.add(this::handleCompleted);
        }

        /**
         * One periodic check per call rather than a timer re-armed on every frame: at 50 frames a second,
         * cancelling and rescheduling cost more than decoding the audio. The timeout fires between
         * idleTimeout and idleTimeout + a quarter of it after the last message.
         */
        private void armIdleTimer() {
            long period = Math.max(50, idleTimeout.toMillis() / 4);
            idle = timers.scheduleWithFixedDelay(this::checkIdle, period, period, TimeUnit.MILLISECONDS);
        }

        private void checkIdle() {
            if (System.nanoTime() - lastMessage >= idleTimeout.toNanos()) {
                idleTimeout();
            }
        }

        private synchronized void idleTimeout() {
            if (done || System.nanoTime() - lastMessage < idleTimeout.toNanos()) {
                return; // a message slipped in while the timer waited for the lock
            }
            String why = "no message for " + idleTimeout.toSeconds() + " s; the call was ended and its audio kept";
            finish(Call.State.FAILED, "idle timeout: " + why, false);
            stopped = true;
            complete(Status.DEADLINE_EXCEEDED.withDescription(why).asRuntimeException());
        }

        private synchronized void handleNext(StreamCallRequest req) {
            if (done) {
                return;
            }
            try {
                switch (req.getPayloadCase()) {
                    case OPEN -> open(req.getOpen());
                    case AUDIO -> audio(req.getAudio().toByteArray());
                    case END -> {
                        requireOpen();
                        finish(Call.State.ENDED, req.getEnd().getReason().isBlank() ? "hangup" : req.getEnd().getReason(), true);
                    }
                    case PAYLOAD_NOT_SET -> throw new SwitchboardException.InvalidArgument("payload",
                            "each message carries open, audio or end");
                }
            } catch (RuntimeException e) {
                abort(e);
            }
        }

        private void open(OpenCall o) {
            if (call != null) {
                throw new SwitchboardException.InvalidArgument("open", "the call is already open; send audio or end");
            }
            if (draining) {
                throw new SwitchboardException.Unavailable("this server is shutting down; open the call again",
                        Duration.ofSeconds(1));
            }
            call = OpenCallErrors.open(calls, actor, spec(o));
            live.incrementAndGet();
            publisher = events.publisher(call.organizationId(), call.id(), calls.hipaaMode(call.organizationId()));
            held.put(call.id(), this);
            AudioFormat declared = new AudioFormat(call.format().encoding(), call.format().sampleRate(),
                    call.format().channels(), container(o.getFormat().getContainer()));
            decoder = new StreamDecoder(declared, recognizer.map(SpeechRecognizer::sampleRate).orElse(16_000));
            segmentBytes = Math.max(4096, SEGMENT_SECONDS * declared.sampleRate() * declared.bytesPerFrame());
            liveTranscription = recognizer.isPresent();
            try {
                for (int c = 0; c < declared.channels() && recognizer.isPresent(); c++) {
                    sessions.add(recognizer.get().open("en-US", declared.sampleRate(), Duration.ZERO));
                    seqs.add(0);
                }
            } catch (RuntimeException e) {
                // no decoder free: the call goes on, and the worker transcribes the recording afterwards
                LOG.log(Level.WARNING, "no live transcription for call " + call.id() + ": " + e.getMessage());
                sessions.forEach(SpeechRecognizer.Session::close);
                sessions.clear();
                liveTranscription = false;
            }
            send(StreamCallResponse.newBuilder().setAccepted(toProto(call)).build());
        }

        private void requireOpen() {
            if (call == null) {
                throw new SwitchboardException.InvalidArgument("open", "the first message must open the call");
            }
        }

        private void audio(byte[] bytes) {
            requireOpen();
            if (bytes.length > MAX_FRAME) {
                throw new SwitchboardException.InvalidArgument("audio", "frame of " + bytes.length
                        + " bytes exceeds the " + MAX_FRAME + "-byte limit; send 20-100 ms per frame");
            }
            StreamDecoder.Decoded d;
            try {
                d = decoder.accept(bytes);
            } catch (Wav.MalformedWav e) {
                throw new SwitchboardException.InvalidArgument("audio", e.getMessage());
            }
            segment.writeBytes(d.audio());
            if (segment.size() >= segmentBytes) {
                flushSegment();
            }
            transcribe(d.channels(), false);
        }

        private void transcribe(short[][] pcm, boolean last) {
            for (int c = 0; c < sessions.size(); c++) {
                List<TranscriptEvent> events = new ArrayList<>(sessions.get(c).accept(pcm[c], 0, pcm[c].length));
                if (last) {
                    events.addAll(sessions.get(c).finish());
                }
                for (TranscriptEvent e : events) {
                    io.switchboard.v1.TranscriptEvent p = event(e, c, speaker(c));
                    if (e.isFinal()) {
                        int seq = seqs.get(c);
                        seqs.set(c, seq + 1);
                        calls.saveSegment(call.organizationId(), call.id(), new TranscriptSegment(c, seq, speaker(c),
                                e.start().toMillis(), e.end().toMillis(), e.text(), e.words(), "live"));
                    }
                    send(StreamCallResponse.newBuilder().setTranscript(p).build());
                    publish(CallEvent.newBuilder().setTranscript(p).build());
                }
            }
        }

        /** For the watchers, on every server; a failure costs them the event, never the call its audio. */
        private void publish(CallEvent event) {
            try {
                publisher.publish(event.toByteArray());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "publishing a live event of call " + call.id() + " failed; watchers miss it", e);
            }
        }

        private String speaker(int channel) {
            return call.format().channels() == 1 ? "unknown" : channel == 0 ? "agent" : "customer";
        }

        /**
         * Stores the buffered audio as the next segment. While the object store is down the audio stays
         * buffered (the next flush tries again with more), up to the stream's backlog bound; past it the stream
         * is refused with UNAVAILABLE — never silently dropped.
         */
        private void flushSegment() {
            if (segment.size() == 0) {
                return;
            }
            try {
                calls.storeSegment(call.organizationId(), call.id(), segments, segment.toByteArray());
                segments++;
                segment.reset();
                if (storeDownSince != 0) {
                    LOG.info("object store back for call " + call.id() + "; the audio buffered meanwhile is stored");
                    storeDownSince = 0;
                }
            } catch (io.switchboard.storage.ObjectStore.StorageException e) {
                if (storeDownSince == 0) {
                    storeDownSince = System.nanoTime();
                    LOG.warning("object store unavailable for call " + call.id() + "; buffering its audio: " + e.getMessage());
                }
                if (segment.size() > maxBacklog) {
                    throw new SwitchboardException.Unavailable("object storage has been unavailable for "
                            + (System.nanoTime() - storeDownSince) / 1_000_000_000L + " s and " + segment.size()
                            + " bytes of this call's audio are waiting; the call was ended, the audio stored before"
                            + " the outage is kept", Duration.ofSeconds(5));
                }
            }
        }

        /** At the end of a call: the buffered audio must be stored; keeps trying for the store grace. */
        private void flushSegmentFinally() {
            long deadline = System.nanoTime() + storeGrace.toNanos();
            while (true) {
                flushSegment();
                if (segment.size() == 0) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    int lost = segment.size();
                    segment.reset();
                    throw new SwitchboardException.Unavailable("object storage stayed unavailable for "
                            + storeGrace.toSeconds() + " s after the call ended; its last " + lost + " bytes of audio"
                            + " could not be stored (the audio before them is kept)", Duration.ofSeconds(5));
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        /** Keeps whatever audio arrived, ends the call, and tells watchers. */
        private void finish(Call.State state, String reason, boolean reply) {
            done = true;
            if (idle != null) {
                idle.cancel(false);
            }
            if (call == null) {
                return;
            }
            SwitchboardException.Unavailable storeFailure = null;
            try {
                if (decoder != null) {
                    try {
                        transcribe(decoder.finish(), true);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "finishing the live transcript of call " + call.id() + " failed", e);
                        liveTranscription = false;
                    }
                }
                try {
                    flushSegmentFinally();
                } catch (SwitchboardException.Unavailable e) {
                    state = Call.State.FAILED;
                    reason = e.getMessage();
                    storeFailure = e;
                }
                if (liveTranscription && state == Call.State.ENDED) {
                    calls.setStage(call.organizationId(), call.id(), CallService.TRANSCRIBE_STAGE, "succeeded",
                            "live, by " + recognizer.map(SpeechRecognizer::engine).orElse("?"));
                }
            } finally {
                sessions.forEach(SpeechRecognizer.Session::close);
                sessions.clear();
                live.decrementAndGet();
                held.remove(call.id());
                Call ended = calls.end(call.organizationId(), call.id(), state, reason);
                io.switchboard.v1.Call p = toProto(ended);
                try {
                    if (publisher != null) {
                        publisher.ended(); // watchers read the ending from the call's row; this wakes them at once
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "announcing the end of call " + call.id() + " failed; watchers find it"
                            + " within a second", e);
                }
                if (reply) {
                    if (storeFailure == null) {
                        send(StreamCallResponse.newBuilder().setEnded(p).build());
                        complete(null);
                    } else {
                        complete(ErrorMapping.toStatus(storeFailure)); // the client learns its audio was not all kept
                    }
                    stopped = true;
                }
            }
        }

        private void abort(RuntimeException e) {
            fail(e); // the client hears at once; ending the call may wait on the object store
            if (call != null && !done) {
                try {
                    finish(Call.State.FAILED, "stream error: " + e.getMessage(), false);
                } catch (RuntimeException again) {
                    LOG.log(Level.WARNING, "could not end call " + call.id() + " after an error", again);
                }
            }
            done = true;
            if (idle != null) {
                idle.cancel(false);
            }
            throw e; // handleInOrder reports it to the client, as a status naming the field
        }

        private synchronized void handleError(Throwable t) {
            synchronized (outLock) {
                replied = true; // the client is gone: nothing can be sent any more
            }
            stopped = true;
            if (!done && call != null) {
                finish(Call.State.FAILED, "client went away: " + Status.fromThrowable(t).getCode(), false);
            }
            done = true;
            if (idle != null) {
                idle.cancel(false);
            }
        }

        private synchronized void handleCompleted() {
            stopped = true;
            if (!done) {
                if (call == null) {
                    done = true;
                    if (idle != null) {
                        idle.cancel(false);
                    }
                    throw new SwitchboardException.InvalidArgument("open", "the stream closed before opening a call");
                }
                finish(Call.State.ENDED, "stream closed", true);
            }
        }
    }

    // ------------------------------------------------------------------ watchers

    /**
     * Live events of a call in progress on any server, from the moment the watch starts (no catch-up of what was
     * said before it: GetCall has that), then the ended call; a finished call replays its transcript and ends.
     */
    @Override
    public void watchCall(WatchCallRequest req, StreamObserver<CallEvent> out) {
        Principal actor = Principals.current();
        Call call = calls.get(actor, req.getId());
        if (call.state() == Call.State.ACTIVE) {
            calls.auditLiveRead(actor, call);
            Watcher w = watchers.watch(call, out);
            if (out instanceof ServerCallStreamObserver<CallEvent> s) {
                s.setOnCancelHandler(() -> {
                    w.cancel();
                    watchers.unwatch(call.id(), w);
                });
            }
            return;
        }
        for (TranscriptSegment s : calls.content(actor, call, "WatchCall").transcript()) {
            out.onNext(CallEvent.newBuilder().setTranscript(event(s)).build());
        }
        out.onNext(CallEvent.newBuilder().setEnded(toProto(call)).build());
        out.onCompleted();
    }

    // ------------------------------------------------------------------ uploads

    @Override
    public StreamObserver<UploadRecordingRequest> uploadRecording(StreamObserver<io.switchboard.v1.Call> out) {
        Principal actor = Principals.current();
        return new StreamObserver<>() {
            private Call call;
            private StreamDecoder decoder;
            private final ByteArrayOutputStream segment = new ByteArrayOutputStream();
            private int segments;
            private RuntimeException failure;

            @Override
            public void onNext(UploadRecordingRequest req) {
                if (failure != null) {
                    return;
                }
                try {
                    switch (req.getPayloadCase()) {
                        case OPEN -> {
                            if (call != null) {
                                throw new SwitchboardException.InvalidArgument("open", "sent twice");
                            }
                            call = OpenCallErrors.open(calls, actor, spec(req.getOpen()));
                            decoder = new StreamDecoder(new AudioFormat(call.format().encoding(), call.format().sampleRate(),
                                    call.format().channels(), container(req.getOpen().getFormat().getContainer())), 16_000);
                        }
                        case CHUNK -> {
                            if (call == null) {
                                throw new SwitchboardException.InvalidArgument("open", "the first message must open the call");
                            }
                            if (req.getChunk().size() > 4 * MAX_FRAME) {
                                throw new SwitchboardException.InvalidArgument("chunk", "at most " + 4 * MAX_FRAME
                                        + " bytes per chunk");
                            }
                            try {
                                segment.writeBytes(decoder.accept(req.getChunk().toByteArray()).audio());
                            } catch (Wav.MalformedWav e) {
                                throw new SwitchboardException.InvalidArgument("chunk", e.getMessage());
                            }
                            if (segment.size() >= 1024 * 1024) {
                                flush();
                            }
                        }
                        case PAYLOAD_NOT_SET -> throw new SwitchboardException.InvalidArgument("payload",
                                "each message carries open or a chunk");
                    }
                } catch (RuntimeException e) {
                    failure = e;
                }
            }

            private void flush() {
                if (segment.size() > 0) {
                    calls.storeSegment(call.organizationId(), call.id(), segments++, segment.toByteArray());
                    segment.reset();
                }
            }

            @Override
            public void onError(Throwable t) {
                if (call != null) {
                    String lost = "";
                    try {
                        flush();
                    } catch (RuntimeException e) {
                        lost = "; its last " + segment.size() + " bytes could not be stored";
                    }
                    calls.end(call.organizationId(), call.id(), Call.State.FAILED, "upload interrupted" + lost);
                }
            }

            @Override
            public void onCompleted() {
                if (call != null) {
                    if (failure == null) { // after a refusal the rest is not stored: the call ends FAILED with what was
                        try {
                            flush();
                        } catch (RuntimeException e) {
                            failure = e;
                        }
                    }
                    // the reason as the client is told it (a store's or database's own message stays in the log)
                    Call ended = calls.end(call.organizationId(), call.id(), failure == null ? Call.State.ENDED
                            : Call.State.FAILED, failure == null ? "uploaded"
                            : "upload refused: " + ErrorMapping.toStatus(failure).getStatus().getDescription());
                    if (failure == null) {
                        reply(out, toProto(ended));
                        return;
                    }
                }
                throw failure != null ? failure
                        : new SwitchboardException.InvalidArgument("open", "the upload closed before opening a call");
            }
        };
    }

    // ------------------------------------------------------------------ reads

    @Override
    public void getCall(GetCallRequest req, StreamObserver<io.switchboard.v1.Call> out) {
        Principal actor = Principals.current();
        Call call = calls.get(actor, req.getId());
        io.switchboard.v1.Call.Builder b = toProto(call).toBuilder();
        CallService.Content content = calls.content(actor, call, "GetCall");
        content.transcript().forEach(s -> b.addTranscript(event(s)));
        content.summary().ifPresent(s -> b.setSummary(Summary.newBuilder()
                .setText(s.summary().orElse("")).putAllVariables(s.variables()).setDisposition(s.disposition().orElse(""))
                .setProvider(s.provider()).putAllNotProduced(s.notProduced())));
        for (Stage s : calls.stages(call.organizationId(), call.id())) {
            b.addStages(PipelineStage.newBuilder().setName(s.name()).setState(s.state()).setDetail(s.detail()));
        }
        reply(out, b.build());
    }

    @Override
    public void listCalls(ListCallsRequest req, StreamObserver<ListCallsResponse> out) {
        Optional<Call.State> state = switch (req.getState()) {
            case STATE_UNSPECIFIED -> Optional.empty();
            case STATE_ACTIVE -> Optional.of(Call.State.ACTIVE);
            case STATE_ENDED -> Optional.of(Call.State.ENDED);
            case STATE_FAILED -> Optional.of(Call.State.FAILED);
            case UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument("state", "unknown value " + req.getStateValue());
        };
        Page<Call> page = calls.list(Principals.current(), req.getCampaignId(), req.getAgentId(), state,
                req.getPageSize(), req.getPageToken());
        reply(out, ListCallsResponse.newBuilder().addAllCalls(page.items().stream().map(CallGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void getRecordingUrl(GetRecordingUrlRequest req, StreamObserver<RecordingUrl> out) {
        Optional<Duration> ttl = req.hasTtl() ? Optional.of(Duration.ofSeconds(req.getTtl().getSeconds(), req.getTtl().getNanos()))
                : Optional.empty();
        CallService.RecordingUrl url = calls.recordingUrl(Principals.current(), req.getId(), ttl);
        reply(out, RecordingUrl.newBuilder().setUrl(url.url()).setExpireTime(Protos.timestamp(url.expiresAt())).build());
    }

    @Override
    public void deleteCall(DeleteCallRequest req, StreamObserver<DeleteCallResponse> out) {
        reply(out, DeleteCallResponse.newBuilder().setPurgeTime(Protos.timestamp(
                calls.delete(Principals.current(), req.getId()))).build());
    }

    @Override
    public void restoreCall(RestoreCallRequest req, StreamObserver<io.switchboard.v1.Call> out) {
        reply(out, toProto(calls.restore(Principals.current(), req.getId())));
    }

    // ------------------------------------------------------------------ mapping

    static CallSpec spec(OpenCall o) {
        Call.Direction direction = switch (o.getDirection()) {
            case DIRECTION_INBOUND -> Call.Direction.INBOUND;
            case DIRECTION_OUTBOUND -> Call.Direction.OUTBOUND;
            case DIRECTION_UNSPECIFIED, UNRECOGNIZED -> null;
        };
        AudioFormat.Encoding encoding = switch (o.getFormat().getEncoding()) {
            case ENCODING_MULAW -> AudioFormat.Encoding.MULAW;
            case ENCODING_PCM16 -> AudioFormat.Encoding.PCM16;
            case ENCODING_UNSPECIFIED, UNRECOGNIZED -> null;
        };
        return new CallSpec(o.getAgentId(), o.getCampaignId(), o.getContactId(), direction, o.getFromNumber(),
                o.getToNumber(), encoding, o.getFormat().getSampleRate(), o.getFormat().getChannels(),
                container(o.getFormat().getContainer()));
    }

    static AudioFormat.Container container(io.switchboard.v1.AudioFormat.Container c) {
        return c == io.switchboard.v1.AudioFormat.Container.CONTAINER_WAV ? AudioFormat.Container.WAV : AudioFormat.Container.RAW;
    }

    static io.switchboard.v1.TranscriptEvent event(TranscriptEvent e, int channel, String speaker) {
        io.switchboard.v1.TranscriptEvent.Builder b = io.switchboard.v1.TranscriptEvent.newBuilder().setIsFinal(e.isFinal())
                .setChannel(channel).setSpeaker(speaker).setText(e.text())
                .setStartOffset(duration(e.start())).setEndOffset(duration(e.end()));
        for (Word w : e.words()) {
            b.addWords(io.switchboard.v1.Word.newBuilder().setText(w.text()).setStartOffset(duration(w.start()))
                    .setEndOffset(duration(w.end())).setConfidence(w.confidence()));
        }
        return b.build();
    }

    static io.switchboard.v1.TranscriptEvent event(TranscriptSegment s) {
        return event(new TranscriptEvent(true, s.text(), Duration.ofMillis(s.startMs()), Duration.ofMillis(s.endMs()),
                s.words()), s.channel(), s.speaker());
    }

    static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    public static io.switchboard.v1.Call toProto(Call c) {
        io.switchboard.v1.Call.Builder b = io.switchboard.v1.Call.newBuilder().setId(c.id().toString())
                .setAgentId(c.agentId().toString()).setAgentVersion(c.agentVersion())
                .setCampaignId(c.campaignId().map(UUID::toString).orElse(""))
                .setContactId(c.contactId().map(UUID::toString).orElse(""))
                .setDirection(c.direction() == Call.Direction.INBOUND ? OpenCall.Direction.DIRECTION_INBOUND
                        : OpenCall.Direction.DIRECTION_OUTBOUND)
                .setFromNumber(c.fromNumber()).setToNumber(c.toNumber())
                .setState(io.switchboard.v1.Call.State.valueOf("STATE_" + c.state().name()))
                .setEndReason(c.endReason())
                .setFormat(io.switchboard.v1.AudioFormat.newBuilder()
                        .setEncoding(c.format().encoding() == AudioFormat.Encoding.MULAW
                                ? io.switchboard.v1.AudioFormat.Encoding.ENCODING_MULAW
                                : io.switchboard.v1.AudioFormat.Encoding.ENCODING_PCM16)
                        .setSampleRate(c.format().sampleRate()).setChannels(c.format().channels()))
                .setStartTime(Protos.timestamp(c.startedAt()))
                .setAudioDuration(duration(Duration.ofMillis(Math.round(c.audioSeconds() * 1000))));
        c.endedAt().ifPresent(t -> b.setEndTime(Protos.timestamp(t)));
        c.recording().ifPresent(r -> b.setRecording(io.switchboard.v1.Recording.newBuilder().setContentType(r.contentType())
                .setSizeBytes(r.bytes()).setSha256(r.sha256())));
        return b.build();
    }

    /** Stops the idle timers (server shutdown). */
    public void close() {
        timers.shutdownNow();
        watchers.close();
    }
}
