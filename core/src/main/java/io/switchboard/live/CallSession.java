package io.switchboard.live;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.StreamDecoder;
import io.switchboard.audio.Wav;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.common.LogContext;
import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.Principal;
import io.switchboard.transcription.Expectation;
import io.switchboard.transcription.TranscriptEvent;

/**
 * One live call, whatever carries it: {@link CallInput}s in, {@link CallOutput}s out. Its audio is decoded,
 * recorded in segments ({@link SegmentedRecorder}), transcribed per channel ({@link LiveTranscriber}, events
 * saved and published to the watchers through {@link CallEvents}), and ending the call hands it to the worker.
 * An attached {@link CallAgent} hears the caller and speaks on the agent channel.
 *
 * <p>A transport's thread only queues: a transport may deliver many calls on one thread (Helidon delivers
 * every stream of an HTTP/2 connection on that connection's thread), so decoding there would serialise them
 * onto one core. Everything else runs, in order, on the call's own virtual thread, which alone owns the call's
 * state; the idle timer, hang-ups and the agent's voice queue their work there too. Audio queued but not yet
 * handled is bounded ({@code maxBacklog} bytes): past it the stream is refused at once. The recording's segments
 * are stored on the object store's upload threads: the call's thread never waits for the store until the call
 * ends, when {@link SegmentedRecorder#finish} waits (for the store grace) for what is still on its way.
 */
public final class CallSession {

    private static final Logger LOG = Logger.getLogger(CallSession.class.getName());
    /** Largest audio frame a transport may hand in. */
    public static final int MAX_FRAME = 64 * 1024;
    static final int SEGMENT_SECONDS = 5;
    /** The caller's channel of a call an agent speaks on (channel 0 is the agent's). */
    static final int AGENT = 0;
    static final int CALLER = 1;

    /** The call was ended because no message came for the idle timeout; its audio was kept. */
    public static final class IdleTimeout extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IdleTimeout(String message) {
            super(message, null, false, false);
        }
    }

    private enum State { NEW, OPEN, DONE }

    private final LiveCalls registry;
    private final CallService calls;
    private final Principal actor;
    private final Output out;
    private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final AtomicLong backlog = new AtomicLong(); // audio bytes received, not yet handled
    private final AtomicInteger pending = new AtomicInteger(); // work queued or running
    private volatile long lastMessage;
    private volatile boolean stopped; // no more input will be handled
    private final Map<String, String> requestIds = Map.copyOf(LogContext.current());
    private final Runnable stopIdle;
    private final Thread worker;

    // owned by the call's thread
    private State state = State.NEW;
    private Call call;
    private StreamDecoder decoder;
    private SegmentedRecorder recorder;
    private LiveTranscriber transcriber;
    private CallEvents events;
    private CallAgent agent;
    private AgentTrack agentTrack;
    private long arrivedNanos; // when the transport handed in the audio being handled
    private boolean endUtterance; // the agent asked for the caller's final while handling the audio

    CallSession(LiveCalls registry, Principal actor, SessionListener listener) {
        this.registry = registry;
        this.calls = registry.calls();
        this.actor = actor;
        this.out = new Output(listener, () -> enqueue(this::handleUnreachable));
        this.lastMessage = registry.nanoTime();
        this.stopIdle = registry.watchIdle(this);
        this.worker = Thread.ofVirtual().name("live-call").start(this::handleInOrder);
    }

    // ------------------------------------------------------------------ the transport's side (any thread)

    /** Queues one input; audio beyond the backlog bound refuses the stream at once. */
    public void accept(CallInput input) {
        if (stopped) {
            return;
        }
        lastMessage = registry.nanoTime();
        if (input instanceof CallInput.Audio a) {
            // an oversized frame is refused in turn (after the audio before it) and not counted
            int size = a.bytes().length <= MAX_FRAME ? a.bytes().length : 0;
            long max = registry.maxBacklog();
            if (backlog.addAndGet(size) > max) {
                // refuse this frame and what follows at once; the audio already queued is still handled and kept
                backlog.addAndGet(-size);
                fail(new SwitchboardException.ResourceExhausted("calls:backlog", "the stream ran more than "
                        + max + " bytes ahead of transcription; stream in real time, or send finished "
                        + "recordings with UploadRecording", Duration.ofSeconds(1)));
                enqueue(this::endAfterOverflow);
                return;
            }
            registry.received(size);
            long arrived = System.nanoTime();
            enqueue(() -> {
                backlog.addAndGet(-size);
                arrivedNanos = arrived;
                handle(input);
            });
            return;
        }
        enqueue(() -> handle(input));
    }

    /** A message the transport could not translate: refused in turn, as a stream error. */
    public void refuse(RuntimeException why) {
        if (!stopped) {
            enqueue(() -> abort(why));
        }
    }

    /** The transport's input ended without {@link CallInput.End}: the call ends with what arrived. */
    public void inputEnded() {
        enqueue(this::handleInputEnded);
    }

    /**
     * The transport went away ({@code reason} becomes the call's end reason): the call fails, its audio kept,
     * and nothing more is sent.
     */
    public void transportFailed(String reason) {
        enqueue(() -> handleTransportFailed(reason));
    }

    /** Hangs up as if the caller had, after the audio already received; the other party is told. */
    void hangUp(String reason) {
        enqueue(() -> {
            if (state == State.OPEN) {
                stopped = true;
                finish(Call.State.ENDED, reason, true);
            }
        });
    }

    /**
     * Hands the call over to {@code phoneNumber} through the transport, after the audio already received, and
     * ends it here; a transport that cannot transfer has the call hung up instead.
     */
    void transfer(String phoneNumber) {
        enqueue(() -> {
            if (state == State.OPEN) {
                stopped = true;
                boolean moved = out.transfer(phoneNumber);
                finish(Call.State.ENDED, moved ? "transferred to " + phoneNumber
                        : "transfer to " + phoneNumber + " is not possible on this call; hung up", true);
            }
        });
    }

    /** The carrier's answering-machine detection, for the agent, in turn with the audio. */
    void answeredBy(CallInput.AnsweredBy answered) {
        enqueue(() -> {
            if (state == State.OPEN) {
                tellAgent(answered);
            }
        });
    }

    /** The idle timer's check: queues the timeout once no message came for the idle timeout. */
    void checkIdle() {
        if (registry.nanoTime() - lastMessage >= registry.idleTimeout().toNanos()) {
            enqueue(this::idleTimeout);
        }
    }

    private void enqueue(Runnable work) {
        pending.incrementAndGet();
        inbox.add(work);
    }

    /** Work queued or running (tests: the call has caught up when it is 0). */
    int pending() {
        return pending.get();
    }

    /** Audio bytes received and not yet handled. */
    long backlog() {
        return backlog.get();
    }

    // ------------------------------------------------------------------ the call's thread

    /** Handles queued work in order; after a stop, what was queued before it still runs. */
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
            Map<String, String> ids = new LinkedHashMap<>(requestIds);
            ids.putAll(LogContext.of("call_id", call == null ? null : call.id().toString(),
                    "organization_id", actor.organizationId().toString()));
            try {
                LogContext.run(ids, task);
            } catch (RuntimeException e) {
                // whatever failed, an open call still ends here: its recogniser, row and hold are let go of now
                LOG.log(Level.WARNING, "live call " + (call == null ? "(not open)" : call.id()) + " failed", e);
                abort(e);
            } catch (Error e) {
                // a native recogniser's UnsatisfiedLinkError, a brain's StackOverflowError: left to unwind, it would
                // end this thread with the call's row open, its decoder out of the pool and its hold kept until the
                // sweeper; the call ends here as failed, and only the other party hears why in general terms
                LOG.log(Level.SEVERE, "live call " + (call == null ? "(not open)" : call.id()) + " failed", e);
                try {
                    abort(new IllegalStateException("the call failed inside the server", e));
                } catch (RuntimeException | Error again) {
                    LOG.log(Level.SEVERE, "could not end live call " + (call == null ? "(not open)" : call.id())
                            + " after an error", again);
                }
            }
            lastMessage = registry.nanoTime(); // a stream whose backlog is being worked off is not idle
            pending.decrementAndGet();
        }
    }

    private void handle(CallInput input) {
        if (state == State.DONE) {
            return;
        }
        try {
            switch (input) {
                case CallInput.Open o -> open(o);
                case CallInput.Audio a -> audio(a.bytes());
                case CallInput.Dtmf d -> {
                    requireOpen();
                    tellAgent(d);
                }
                case CallInput.Mark m -> {
                    requireOpen();
                    tellAgent(m);
                }
                case CallInput.AnsweredBy a -> {
                    requireOpen();
                    tellAgent(a);
                }
                case CallInput.End e -> {
                    requireOpen();
                    finish(Call.State.ENDED, e.reason().isBlank() ? "hangup" : e.reason(), true);
                }
            }
        } catch (RuntimeException e) {
            abort(e);
        }
    }

    private void open(CallInput.Open o) {
        if (state != State.NEW) {
            throw new SwitchboardException.InvalidArgument("open", "the call is already open; send audio or end");
        }
        if (registry.draining()) {
            throw new SwitchboardException.Unavailable("this server is shutting down; open the call again",
                    Duration.ofSeconds(1));
        }
        CallSpec spec = o.spec();
        if (o.agentSpeaks() && spec.channels() != 1) {
            throw new SwitchboardException.InvalidArgument("open.format.channels", "an agent speaks only on a mono "
                    + "call (the recording puts it on channel 0 beside the caller); send 1 channel, got "
                    + spec.channels());
        }
        Optional<CallAgent> speaking = spec.channels() == 1 ? registry.agents().attach(actor, o, new Voice())
                : Optional.empty();
        CallSpec stored = speaking.isEmpty() ? spec : new CallSpec(spec.agentId(), spec.campaignId(),
                spec.contactId(), spec.direction(), spec.fromNumber(), spec.toNumber(), spec.encoding(),
                spec.sampleRate(), 2, spec.container());
        try {
            call = calls.open(actor, stored, o.origin());
        } catch (RuntimeException e) {
            speaking.ifPresent(a -> a.onInput(new CallInput.End("refused: " + e.getMessage())));
            throw e;
        }
        registry.hold(call.id(), this);
        try {
            events = registry.events(call);
            AudioFormat declared = new AudioFormat(spec.encoding(), spec.sampleRate(), spec.channels(),
                    spec.container());
            int rate = registry.recognizerRate();
            decoder = new StreamDecoder(declared, rate);
            Call c = call;
            recorder = new SegmentedRecorder((n, audio) -> calls.storeSegment(c.organizationId(), c.id(), n, audio),
                    registry.uploads(), c.id().toString(), SegmentedRecorder.segmentBytes(SEGMENT_SECONDS,
                    c.format().sampleRate() * c.format().bytesPerFrame()), registry.maxBacklog(), registry.storeGrace());
            // an agent's channel is not recognised: the agent keeps the text it spoke (the caller is channel 1)
            transcriber = LiveTranscriber.open(registry.recognizer(), registry.language(c),
                    speaking.isPresent() ? 1 : c.format().channels(), spec.sampleRate(), c.id().toString(),
                    new LiveTranscriber.Listener() {
                        @Override
                        public void submitted() {
                            pending.incrementAndGet(); // the call has not caught up while its audio is being decoded
                        }

                        @Override
                        public void decoded() {
                            enqueue(CallSession.this::transcribed);
                            pending.decrementAndGet();
                        }
                    });
            if (speaking.isPresent()) {
                agent = speaking.get();
                agentTrack = new AgentTrack(declared);
            }
        } catch (RuntimeException e) {
            registry.release(call.id());
            calls.end(call.organizationId(), call.id(), Call.State.FAILED, "stream error: " + e.getMessage());
            speaking.ifPresent(a -> a.onInput(new CallInput.End("stream error: " + e.getMessage())));
            throw e;
        }
        state = State.OPEN;
        out.send(new CallOutput.Accepted(call));
        if (agent != null) {
            try {
                agent.onOpen(call);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the agent of call " + call.id() + " could not start; the call goes on "
                        + "listen-only", e);
                agent = null;
            }
        }
    }

    private void requireOpen() {
        if (state != State.OPEN) {
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
        if (agentTrack == null) {
            recorder.write(d.audio());
            transcriber.accept(d.channels());
            return;
        }
        AgentTrack.Mixed m = agentTrack.mix(d.audio());
        recorder.write(m.stereo());
        transcriber.accept(d.channels());
        if (agent != null) {
            try {
                agent.onCallerAudio(d.channels()[0], registry.recognizerRate(), arrivedNanos);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the agent of call " + call.id() + " failed on caller audio", e);
            }
        }
        if (endUtterance) {
            endCallerUtterance(); // before the next frame: with audio queued behind this one, a task would come late
        }
    }

    /** The agent's {@link AgentVoice#endCallerUtterance}: the caller's utterance ends now, its final to all. */
    private void endCallerUtterance() {
        endUtterance = false;
        if (state == State.OPEN && transcriber.live()) {
            transcriber.endpoint(0);
        }
    }

    /** What the recogniser decoded since the last time, to the call's listeners (the decoding thread has more). */
    private void transcribed() {
        if (state == State.OPEN) {
            transcribe(transcriber.take()); // a failure fails the call, as when decoding ran on this thread
        }
    }

    private void tellAgent(CallInput input) {
        if (agent != null) {
            try {
                agent.onInput(input);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the agent of call " + call.id() + " failed on " + input, e);
            }
        }
    }

    private void transcribe(List<LiveTranscriber.ChannelEvent> events) {
        for (LiveTranscriber.ChannelEvent recognised : events) {
            LiveTranscriber.ChannelEvent e = agentTrack == null ? recognised
                    : new LiveTranscriber.ChannelEvent(CALLER, recognised.event(), recognised.seq());
            String speaker = speaker(e.channel());
            if (e.event().isFinal()) {
                calls.saveSegment(call.organizationId(), call.id(), new TranscriptSegment(e.channel(), e.seq(), speaker,
                        e.event().start().toMillis(), e.event().end().toMillis(), e.event().text(), e.event().words(),
                        "live"));
            }
            CallOutput.Transcript t = new CallOutput.Transcript(e.channel(), speaker, e.event());
            out.send(t);
            this.events.transcript(t);
            if (agent != null) {
                try {
                    agent.onTranscript(t);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "the agent of call " + call.id() + " failed on a transcript", ex);
                }
            }
        }
    }

    private String speaker(int channel) {
        return call.format().channels() == 1 ? "unknown" : channel == 0 ? "agent" : "customer";
    }

    private void idleTimeout() {
        if (state == State.DONE || registry.nanoTime() - lastMessage < registry.idleTimeout().toNanos()) {
            return; // a message came meanwhile
        }
        String why = "no message for " + registry.idleTimeout().toSeconds() + " s; the call was ended and its audio kept";
        finish(Call.State.FAILED, "idle timeout: " + why, false);
        stopped = true;
        out.close(Optional.of(new IdleTimeout(why)));
    }

    private void endAfterOverflow() {
        if (state == State.OPEN) {
            finish(Call.State.FAILED, "refused: the stream ran ahead of transcription by more than "
                    + registry.maxBacklog() + " bytes", false);
        }
        state = State.DONE;
        stopIdle.run();
    }

    private void handleTransportFailed(String reason) {
        out.gone(); // the other party is gone: nothing can be sent any more
        stopped = true;
        if (state == State.OPEN) {
            finish(Call.State.FAILED, reason, false);
        }
        state = State.DONE;
        stopIdle.run();
    }

    /**
     * The transport could not deliver an output: the other party closed the stream (a carrier hanging up while
     * the agent speaks or hangs up), so the call ends as hung up, with what arrived, and nothing more is sent.
     */
    private void handleUnreachable() {
        stopped = true;
        if (state == State.OPEN) {
            finish(Call.State.ENDED, "hangup: the other party closed the stream", false);
        }
        state = State.DONE;
        stopIdle.run();
    }

    private void handleInputEnded() {
        stopped = true;
        if (state == State.NEW) {
            state = State.DONE;
            stopIdle.run();
            fail(new SwitchboardException.InvalidArgument("open", "the stream closed before opening a call"));
        } else if (state == State.OPEN) {
            finish(Call.State.ENDED, "stream closed", true);
        }
    }

    /** Tells the other party at once, and ends the call (which may wait on the object store). */
    private void abort(RuntimeException e) {
        fail(e);
        if (state == State.OPEN) {
            try {
                finish(Call.State.FAILED, "stream error: " + e.getMessage(), false);
            } catch (RuntimeException again) {
                LOG.log(Level.WARNING, "could not end call " + call.id() + " after an error", again);
            }
        }
        state = State.DONE;
        stopIdle.run();
    }

    /** Refuses the stream: the other party hears once; the call itself is ended in turn. */
    private void fail(RuntimeException e) {
        stopped = true;
        out.close(Optional.of(e));
    }

    /** Keeps whatever audio arrived, ends the call, and tells the watchers, the agent and (if asked) the caller. */
    private void finish(Call.State endState, String endReason, boolean reply) {
        Call.State s = endState;
        String reason = endReason;
        state = State.DONE;
        stopIdle.run();
        SwitchboardException.Unavailable storeFailure = null;
        try {
            try {
                transcribe(transcriber.finish(decoder.finish()));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "finishing the live transcript of call " + call.id() + " failed", e);
            }
            try {
                recorder.finish();
            } catch (SwitchboardException.Unavailable e) {
                s = Call.State.FAILED;
                reason = e.getMessage();
                storeFailure = e;
            }
            if (transcriber.live() && s == Call.State.ENDED) {
                calls.setStage(call.organizationId(), call.id(), CallService.TRANSCRIBE_STAGE, "succeeded",
                        "live, by " + transcriber.engine());
            }
        } finally {
            // each step runs whatever the one before did: the recogniser goes back to its pool exactly once, and
            // the call is held until its row is ended (LiveCalls.endLiveCalls waits on the hold)
            transcriber.close();
            Call ended = null;
            try {
                ended = calls.end(call.organizationId(), call.id(), s, reason);
            } finally {
                registry.release(call.id());
                try {
                    events.ended();
                } finally {
                    tellAgent(new CallInput.End(reason));
                    release();
                    if (reply) {
                        stopped = true;
                        if (storeFailure == null && ended != null) {
                            out.send(new CallOutput.Ended(ended));
                            out.close(Optional.empty());
                        } else {
                            // the other party learns its audio was not all kept
                            out.close(Optional.of(storeFailure != null ? storeFailure
                                    : new SwitchboardException.Unavailable("the call could not be ended; its audio "
                                    + "was kept", Duration.ofSeconds(1))));
                        }
                    }
                }
            }
        }
    }

    /**
     * Lets go of the call's buffers once it has ended: a transport may keep a finished stream (and so this
     * session) reachable for a while, and a segment buffer keeps its capacity.
     */
    private void release() {
        decoder = null;
        recorder = null;
        transcriber = null;
        agentTrack = null;
    }

    /**
     * The agent's voice: its requests run on the call's thread, in order with the caller's audio; asked from that
     * thread (while the agent hears an input), at once, before the next input.
     */
    private final class Voice implements AgentVoice {
        private void onCallThread(Runnable work) {
            if (Thread.currentThread() == worker) {
                work.run();
            } else {
                enqueue(work);
            }
        }

        @Override
        public void play(short[] pcm16, int sampleRate, String mark) {
            onCallThread(() -> {
                if (state == State.OPEN) {
                    agentTrack.play(pcm16, sampleRate);
                    out.send(new CallOutput.PlayAudio(pcm16, sampleRate, mark == null ? "" : mark));
                }
            });
        }

        @Override
        public void clear() {
            onCallThread(() -> {
                if (state == State.OPEN) {
                    agentTrack.clear();
                    out.send(new CallOutput.ClearAudio());
                }
            });
        }

        @Override
        public void said(TranscriptEvent heard, boolean interrupted) {
            onCallThread(() -> {
                if (state == State.OPEN) {
                    var t = new CallOutput.Transcript(AGENT, "agent", heard, interrupted);
                    out.send(t);
                    events.transcript(t);
                }
            });
        }

        @Override
        public void expect(Expectation expectation) {
            onCallThread(() -> {
                if (state == State.OPEN) {
                    transcriber.expect(expectation);
                }
            });
        }

        @Override
        public void endCallerUtterance() {
            if (Thread.currentThread() == worker) {
                endUtterance = true; // once the agent is done with the audio it is handling: not inside its own turn
            } else {
                enqueue(CallSession.this::endCallerUtterance);
            }
        }

        @Override
        public void hangUp(String reason) {
            CallSession.this.hangUp(reason);
        }

        @Override
        public void transfer(String phoneNumber) {
            CallSession.this.transfer(phoneNumber);
        }
    }

    /**
     * The transport's listener, closed once; the only state two threads share besides the inbox. A listener that
     * throws (its socket closed under it) is not called again, and {@code unreachable} hears of it once: a failed
     * write never unwinds the caller's work (an agent's playout, a hang-up) half done.
     */
    private static final class Output {
        private final SessionListener listener;
        private final Runnable unreachable;
        private boolean closed;

        Output(SessionListener listener, Runnable unreachable) {
            this.listener = listener;
            this.unreachable = unreachable;
        }

        synchronized void send(CallOutput o) {
            if (!closed) {
                try {
                    listener.on(o);
                } catch (RuntimeException e) {
                    lost(e);
                }
            }
        }

        synchronized void close(Optional<RuntimeException> failure) {
            if (!closed) {
                closed = true;
                try {
                    listener.closed(failure);
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "the transport failed closing; the other party is gone", e);
                }
            }
        }

        synchronized boolean transfer(String phoneNumber) {
            if (closed) {
                return false;
            }
            try {
                return listener.transfer(phoneNumber);
            } catch (RuntimeException e) {
                lost(e);
                return false;
            }
        }

        private void lost(RuntimeException e) {
            closed = true;
            LOG.log(Level.INFO, "the transport could not send; the other party is gone", e);
            unreachable.run();
        }

        synchronized void gone() {
            closed = true;
        }
    }
}
