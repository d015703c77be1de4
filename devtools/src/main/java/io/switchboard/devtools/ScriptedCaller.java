package io.switchboard.devtools;

import static com.google.protobuf.util.Durations.toMillis;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.switchboard.audio.G711;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.Mark;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.v1.TranscriptEvent;

/**
 * A person on a {@code StreamCall} an agent talks on, for tests and benchmarks: sends 8 kHz mu-law in real time
 * (its clock is the 20 ms frames it sends), plays the agent's audio as a phone would (echoing each chunk's mark once
 * that chunk has played, dropping what it has not played on a clear), and speaks its script: a line once the
 * agent has been quiet for a moment, or over the agent. It measures, as the anchors define it, each reply's latency
 * from the end of its line to the first agent audio after it, the greeting's from the call's acceptance, and each
 * barge-in's reaction in two parts ({@link BargeIn}).
 */
public final class ScriptedCaller {

    /**
     * One line of the script, PCM16 at 8 kHz: said once the agent has been quiet for a moment, or over it once it has
     * spoken for {@code overAfterMillis}.
     */
    public record Answer(short[] audio, boolean overAgent, int overAfterMillis) {
        public Answer(short[] audio, boolean overAgent) {
            this(audio, overAgent, OVER_AFTER * 20);
        }

        /** Where the line's last voiced sample ends (its trailing silence is not part of it). */
        int voicedEnd() {
            int end = audio.length;
            while (end > 0 && Math.abs(audio[end - 1]) < 300) {
                end--;
            }
            return end;
        }

        public static Answer after(short[] audio) {
            return new Answer(audio, false);
        }

        public static Answer over(short[] audio) {
            return new Answer(audio, true);
        }

        /** Said over the agent this soon into its speech: the callee's "Hello?" as the greeting starts. */
        public static Answer over(short[] audio, Duration intoAgentSpeech) {
            return new Answer(audio, true, (int) intoAgentSpeech.toMillis());
        }
    }

    /**
     * One line said over the agent, as the caller lived it. {@code onsetMs} is the line's first voiced sample on the
     * call's clock (the caller's audio from the call's start, which is the server's clock too); {@code decidedMs} is
     * where the server stopped the agent on that clock (the end of the agent sentence it cut, as the stream told it),
     * so {@code decidedMs - onsetMs} is how much of the caller's speech the interruption took to decide, in audio time
     * whatever the load; {@code decidedToClearMs} is wall time from sending the frame that ends at {@code decidedMs}
     * to receiving the {@code clear} (the trip to the server and back, the frame's wait in the call's queue and its
     * handling); {@code onsetToClearMs} is wall time from sending the frame holding the onset to receiving the
     * {@code clear}. -1 where the server said nothing (no clear: the agent was not interrupted; no cut sentence: it
     * was cut before its first word).
     */
    public record BargeIn(long onsetMs, long decidedMs, long decidedToClearMs, long onsetToClearMs) {
        public long onsetToDecidedMs() {
            return decidedMs < 0 ? -1 : decidedMs - onsetMs;
        }
    }

    public static final int RATE = 8000;
    private static final int FRAME = RATE / 50; // 20 ms
    private static final int QUIET_BEFORE_ANSWER = 700 / 20; // frames of agent silence before answering
    private static final int OVER_AFTER = 1000 / 20; // frames of agent speech before talking over it

    private final List<StreamCallResponse> responses = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<StreamCallResponse> inbox = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final CompletableFuture<Call> accepted = new CompletableFuture<>();
    private final List<Long> replyLatencies = new ArrayList<>();
    private final List<Long> frameSent = new ArrayList<>(); // nanoTime each 20 ms frame was handed to the stream
    private final List<Long> onsets = new ArrayList<>(); // sample of each barge-in line's onset on the call's clock
    private final List<Long> clearsReceived = new CopyOnWriteArrayList<>(); // nanoTime, stamped as they arrive
    private final List<Long> cutsAtMs = new CopyOnWriteArrayList<>(); // end of each agent sentence the caller cut
    private StreamObserver<StreamCallRequest> requests;
    private final Deque<short[]> playing = new ArrayDeque<>();
    private final Deque<String> marks = new ArrayDeque<>();
    private volatile long acceptedNanos;
    private volatile long firstAudioNanos;
    private int headOffset;
    private short[] heard = new short[0];
    private int heardLength;
    private int clears;
    private int marksEchoed;
    private AskedAgain<Answer> askedAgain = new AskedAgain<>(0);
    private int repeated;

    private ScriptedCaller() {
    }

    /**
     * Says a line again, as a person would, when the agent asks the question it answered once more (the flow's
     * re-ask after a no-match), up to {@code times} in the call. Off by default, so that a benchmark scores what
     * was heard the first time.
     */
    public ScriptedCaller repeatingWhenAskedAgain(int times) {
        askedAgain = new AskedAgain<>(times);
        return this;
    }

    /** Lines said again because the agent asked again. */
    public int repeated() {
        return repeated;
    }

    /** Opens the stream; nothing is sent yet. */
    public static ScriptedCaller start(CallServiceGrpc.CallServiceStub calls) {
        ScriptedCaller c = new ScriptedCaller();
        c.requests = calls.streamCall(new StreamObserver<>() {
            @Override
            public void onNext(StreamCallResponse r) {
                c.responses.add(r);
                if (r.hasClear()) {
                    c.clearsReceived.add(System.nanoTime());
                } else if (r.hasTranscript() && r.getTranscript().getInterrupted()) {
                    c.cutsAtMs.add(toMillis(r.getTranscript().getEndOffset()));
                }
                if (r.hasPlayAudio() && c.firstAudioNanos == 0) {
                    c.firstAudioNanos = System.nanoTime();
                }
                c.inbox.add(r);
                if (r.hasAccepted()) {
                    c.acceptedNanos = System.nanoTime();
                    c.accepted.complete(r.getAccepted());
                }
            }

            @Override
            public void onError(Throwable t) {
                c.accepted.completeExceptionally(t);
                c.closed.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                c.closed.complete(null);
            }
        });
        return c;
    }

    /** Opens the call and waits for it to be accepted. */
    public static ScriptedCaller open(CallServiceGrpc.CallServiceStub calls, OpenCall open) throws Exception {
        ScriptedCaller c = start(calls);
        c.send(StreamCallRequest.newBuilder().setOpen(open).build());
        c.awaitAccepted();
        return c;
    }

    public Call awaitAccepted() throws Exception {
        try {
            return accepted.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s : e;
        }
    }

    public synchronized void send(StreamCallRequest r) {
        requests.onNext(r);
    }

    /** Talks in real time until the agent hangs up (or {@code max} passes, then hangs up itself). */
    public void converse(List<Answer> script, Duration max) throws Exception {
        long start = System.nanoTime();
        int next = 0;
        short[] speaking = null;
        int voicedEnd = 0;
        boolean timed = false;
        int at = 0;
        int quiet = 0;
        int agentFrames = 0;
        boolean heardSinceAnswer = false;
        long answered = 0; // when the last line's last voiced frame was sent, until the agent's next audio
        boolean over = false; // a line said over the agent whose first voiced sample is still to come
        Answer again = null; // to be said again: the agent asked the same question once more
        for (long tick = 0; !closed.isDone() && tick * 20 < max.toMillis(); tick++) {
            for (StreamCallResponse r; (r = inbox.poll()) != null; ) {
                if (r.hasPlayAudio()) {
                    if (r.getPlayAudio().getSampleRate() != RATE) {
                        throw new IllegalStateException("an 8 kHz call got agent audio at "
                                + r.getPlayAudio().getSampleRate() + " Hz");
                    }
                    if (answered != 0) {
                        replyLatencies.add((System.nanoTime() - answered) / 1_000_000);
                        answered = 0;
                    }
                    playing.addLast(samples(r.getPlayAudio().getPcm16()));
                    marks.addLast(r.getPlayAudio().getMark());
                } else if (r.hasTranscript() && r.getTranscript().getChannel() == 0 && r.getTranscript().getIsFinal()) {
                    Optional<Answer> repeat = askedAgain.agentSaid(r.getTranscript().getText(),
                            toMillis(r.getTranscript().getStartOffset()));
                    if (repeat.isPresent()) {
                        again = repeat.get();
                    }
                } else if (r.hasClear()) {
                    clears++;
                    heardSinceAnswer = false; // the agent stopped: a person waits for what it says next
                    playing.clear();
                    marks.clear();
                    headOffset = 0;
                }
            }
            if (play(FRAME)) {
                // what plays under its own line is no reply to it, nor the agent speech a next line is said over
                heardSinceAnswer |= speaking == null;
                agentFrames = speaking == null ? agentFrames + 1 : 0;
                quiet = 0;
            } else {
                quiet++;
                agentFrames = 0;
            }
            if (speaking == null && (again != null || next < script.size())) {
                Answer a = again != null ? again : script.get(next);
                if (a.overAgent() ? agentFrames * 20 >= a.overAfterMillis() : heardSinceAnswer && quiet >= QUIET_BEFORE_ANSWER) {
                    speaking = a.audio();
                    voicedEnd = a.voicedEnd();
                    timed = a.overAgent();
                    over = a.overAgent();
                    at = 0;
                    if (a == again) {
                        again = null;
                        repeated++;
                    } else {
                        next++;
                    }
                    heardSinceAnswer = false;
                    if (!a.overAgent()) {
                        askedAgain.said(a, tick * 20);
                    }
                }
            }
            short[] frame = new short[FRAME];
            boolean lastVoiced = false;
            if (speaking != null) {
                int n = Math.min(FRAME, speaking.length - at);
                System.arraycopy(speaking, at, frame, 0, n);
                if (over && !playing.isEmpty()) {
                    for (int i = 0; i < n && over; i++) {
                        if (Math.abs(frame[i]) >= 300) { // the first voiced sample said over the agent
                            onsets.add(tick * FRAME + i);
                            over = false;
                        }
                    }
                }
                at += n;
                if (!timed && at >= voicedEnd) {
                    lastVoiced = true;
                    timed = true;
                }
                if (at >= speaking.length) {
                    speaking = null;
                }
            }
            byte[] mulaw = new byte[FRAME];
            for (int i = 0; i < FRAME; i++) {
                mulaw[i] = G711.linearToUlaw(frame[i]);
            }
            send(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(mulaw)).build());
            frameSent.add(System.nanoTime());
            if (lastVoiced) {
                answered = System.nanoTime();
            }
            long wait = start + (tick + 1) * 20_000_000L - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        if (!closed.isDone()) {
            send(StreamCallRequest.newBuilder().setEnd(EndCall.getDefaultInstance()).build());
        }
        requests.onCompleted();
        closed.get(60, TimeUnit.SECONDS);
    }

    /** Plays {@code n} samples of agent audio, if any is queued; echoes the marks of chunks played out. */
    private boolean play(int n) {
        boolean any = false;
        int left = n;
        while (left > 0 && !playing.isEmpty()) {
            short[] head = playing.peekFirst();
            int k = Math.min(left, head.length - headOffset);
            append(head, headOffset, k);
            headOffset += k;
            left -= k;
            any = true;
            if (headOffset == head.length) {
                playing.removeFirst();
                headOffset = 0;
                String mark = marks.removeFirst();
                if (!mark.isEmpty()) {
                    marksEchoed++;
                    send(StreamCallRequest.newBuilder().setMark(Mark.newBuilder().setName(mark)).build());
                }
            }
        }
        return any;
    }

    private void append(short[] s, int from, int n) {
        if (heardLength + n > heard.length) {
            heard = Arrays.copyOf(heard, Math.max(heardLength + n, heard.length * 2));
        }
        System.arraycopy(s, from, heard, heardLength, n);
        heardLength += n;
    }

    /** The agent's audio as this caller played it, at 8 kHz. */
    public short[] heard() {
        return Arrays.copyOf(heard, heardLength);
    }

    public int clears() {
        return clears;
    }

    public int marksEchoed() {
        return marksEchoed;
    }

    /** Milliseconds from the last voiced audio of each line said after the agent to the agent's next audio. */
    public List<Long> replyLatencies() {
        return List.copyOf(replyLatencies);
    }

    /**
     * Each line said over the agent (once {@link #converse} has returned), matched to the first {@code clear} and the
     * first cut agent sentence after its onset.
     */
    public List<BargeIn> bargeIns() {
        List<BargeIn> out = new ArrayList<>();
        for (long sample : onsets) {
            int onsetFrame = (int) (sample / FRAME);
            long onsetMs = sample * 1000 / RATE;
            long sentAt = frameSent.get(onsetFrame);
            long clear = clearsReceived.stream().filter(t -> t >= sentAt).findFirst().orElse(-1L);
            long decided = cutsAtMs.stream().filter(ms -> ms > onsetMs).findFirst().orElse(-1L);
            int decidingFrame = (int) Math.ceil(decided / 20.0) - 1;
            long decidedToClear = clear < 0 || decidingFrame < 0 || decidingFrame >= frameSent.size() ? -1
                    : (clear - frameSent.get(decidingFrame)) / 1_000_000;
            out.add(new BargeIn(onsetMs, decided, decidedToClear, clear < 0 ? -1 : (clear - sentAt) / 1_000_000));
        }
        return out;
    }

    /**
     * Milliseconds from the onset of each line said over the agent (the frame holding its first voiced sample, sent
     * while agent audio was playing) to the agent's {@code clear}: the barge-in's reaction time as the caller lives it.
     */
    public List<Long> bargeInLatencies() {
        return bargeIns().stream().mapToLong(BargeIn::onsetToClearMs).filter(ms -> ms >= 0).boxed().toList();
    }

    /** Milliseconds from the call's acceptance to the agent's first audio. */
    public Optional<Long> greetingLatency() {
        return firstAudioNanos == 0 || acceptedNanos == 0 ? Optional.empty()
                : Optional.of((firstAudioNanos - acceptedNanos) / 1_000_000);
    }

    /** The transcript events the stream carried, both sides, in order (the agent's are its words as heard). */
    public List<TranscriptEvent> transcript() {
        return responses.stream().filter(StreamCallResponse::hasTranscript).map(StreamCallResponse::getTranscript)
                .toList();
    }

    /** The call as it ended, when the server said so. */
    public Optional<Call> ended() {
        return responses.stream().filter(StreamCallResponse::hasEnded).map(StreamCallResponse::getEnded).findFirst();
    }

    private static short[] samples(ByteString pcm) {
        byte[] b = pcm.toByteArray();
        short[] s = new short[b.length / 2];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) ((b[2 * i] & 0xff) | (b[2 * i + 1] << 8));
        }
        return s;
    }
}
