package io.switchboard.conversation;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.Timing;
import io.switchboard.calls.Call;
import io.switchboard.conversation.brain.Brain;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.FlowBrain;
import io.switchboard.conversation.brain.ReplySink;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.SpeechSynthesisException;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.conversation.turns.TurnDetector;
import io.switchboard.conversation.turns.TurnEvent;
import io.switchboard.conversation.turns.TurnSettings;
import io.switchboard.conversation.vad.AudioLevel;
import io.switchboard.conversation.vad.VadFrame;
import io.switchboard.conversation.vad.VoiceActivityDetector;
import io.switchboard.live.AgentVoice;
import io.switchboard.live.CallAgent;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;

/**
 * The real-time loop of one call an agent speaks on: listen, decide, speak. The caller's audio goes through voice
 * activity detection into the {@link TurnDetector}, with the recogniser's partial and final text of the caller's
 * channel; at the end of the caller's turn the final text goes to the {@link Brain}, whose sentences are
 * synthesised one by one in the agent's voice and played through the session's {@link AgentVoice}, each
 * sentence's last chunk carrying a mark. The caller talking over the agent clears the playout at once; an
 * interruption that brings no words resumes the agent from the sentence it cut. Silence gets the brain's reprompt;
 * an end is carried out once the goodbye's last frame has played (its mark echoed, or the call's clock past it).
 *
 * <p>Threads: the session calls in on its own thread ({@link CallAgent} must not block), which alone owns the turn
 * detector and the voice activity stream, and measures time by the caller's audio; the brain runs on one thread of
 * its own (an LLM brain answers from its threads through the same sink), the synthesiser on another (the speaker),
 * and what the call keeps (agent turns, variables, disposition, latency) is written on a third, in order.
 */
public final class ConversationEngine implements CallAgent {

    private static final Logger LOG = Logger.getLogger(ConversationEngine.class.getName());
    /** The longest wait for the recogniser's final text once the turn is over; then the partial text is taken. */
    static final long FINAL_WAIT_MS = 1500;
    /** How long past the goodbye's last frame the call's clock may run without the transport echoing its mark. */
    static final long MARK_GRACE_MS = 1500;
    /**
     * Keys pressed with no pause longer than this are one entry (a {@code #} ends it at once). Key presses do not
     * cut the agent off (Retell's {@code allow_dtmf_interruption} defaults to false too).
     */
    static final long DTMF_GAP_MS = 1500;
    /** The transcript channel the caller speaks on in a call an agent speaks on. */
    static final int CALLER_CHANNEL = 1;

    /** What every call's engine is made with; one per process ({@code tokens}: what the LLM brain meters). */
    public record Parts(VoiceActivityDetector vad, Voices voices, Function<Conversation, Brain> brains,
                        ConversationRecords records, LlmTokens tokens) {
    }

    private final Parts parts;
    private final AgentVoice voice;
    private final int playRate;
    private final Playout playout;
    private final ExecutorService brainThread = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("conversation-brain").factory());
    private final ExecutorService keeper = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("conversation-records").factory());
    private final List<TurnLatency> latencies = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong synthesized = new java.util.concurrent.atomic.AtomicLong();

    // set when the call opens, read by every thread
    private volatile Call call;
    private volatile Conversation conversation;
    private volatile Brain brain;
    private volatile Voices.Resolved speaking;
    private volatile Reply current;
    private volatile boolean over;
    private volatile long nowMs;
    private volatile Timing.Endpointing endpointing; // a flow node's override, for the session's thread to apply
    private volatile String transferTo; // the number the ending reply hands the call to

    // the session's thread only
    private TurnDetector turns;
    private VoiceActivityDetector.Stream vadStream;
    private long callerSamples;
    private int callerRate;
    private boolean agentSpeaking;
    private boolean callerTalking;
    private boolean interruptPending;
    private long quietSince;
    private int silences;
    private Timing.Silence silence;
    private final List<String> finals = new ArrayList<>();
    private String partial = "";
    private long[] pendingTurn; // {lastVoiceMs, endOfTurnMs} of a turn waiting for the recogniser's final
    private int turnCount;
    private boolean hangingUp;
    private final StringBuilder keys = new StringBuilder();
    private long lastKeyMs;

    /**
     * @param playRate the rate the agent's voice is synthesised at: the call's own when it is 8 kHz (telephony),
     *                 else 16 kHz
     */
    public ConversationEngine(Parts parts, AgentVoice voice, int playRate) {
        this.parts = parts;
        this.voice = voice;
        this.playRate = playRate;
        this.playout = new Playout(voice);
    }

    /** Each reply's latency so far (tests and benchmarks). */
    public List<TurnLatency> latencies() {
        return List.copyOf(latencies);
    }

    // ------------------------------------------------------------------ the session's thread

    @Override
    public void onOpen(Call opened) {
        call = opened;
        Conversation c = parts.records().conversation(opened);
        conversation = c;
        AgentSpec spec = c.agent().spec();
        speaking = parts.voices().forCall(spec.voice());
        Timing timing = spec.conduct().timing().resolve();
        silence = timing.silence();
        turns = new TurnDetector(settings(timing));
        brain = parts.brains().apply(c);
        Thread.ofVirtual().name("conversation-speaker-" + opened.id()).start(this::speak);
        LOG.info(() -> "call " + opened.id() + ": agent " + spec.name() + " speaks with " + speaking.voice().id()
                + " through the " + brain.getClass().getSimpleName());
        ask(r -> brain.start(c, r), null);
    }

    static TurnSettings settings(Timing t) {
        TurnSettings d = TurnSettings.defaults().withEndpointing(t.endpointing().minSilence(),
                t.endpointing().maxSilence());
        return new TurnSettings(d.vadActivation(), d.vadDeactivation(), d.vadMinSpeech(), d.vadMinSilence(),
                d.endpointingMinSilence(), d.endpointingMaxSilence(), t.interruption().minSpeech(),
                d.interruptionMaxBackchannel(), d.interruptionResumeAfter(), d.echoMaxDelay(), d.echoMarginDb(),
                d.backchannels());
    }

    @Override
    public void onCallerAudio(short[] pcm16, int sampleRate) {
        if (over || turns == null) {
            return;
        }
        if (vadStream == null) {
            callerRate = sampleRate;
            vadStream = parts.vad().open(sampleRate);
        }
        callerSamples += pcm16.length;
        nowMs = callerSamples * 1000 / callerRate;
        playout.now(nowMs);
        for (Playout.Chunk ch : playout.drainScheduled()) {
            if (!agentSpeaking) {
                agentSpeaking = true;
                handle(turns.onAgentSpeaking(ch.startMs(), true));
            }
            turns.onAgentAudio(ch.startMs(), ch.durationMs(), ch.levelDbfs());
        }
        for (VadFrame f : vadStream.accept(pcm16, 0, pcm16.length)) {
            handle(turns.onCallerFrame(f));
        }
        tick();
    }

    @Override
    public void onTranscript(CallOutput.Transcript t) {
        if (over || turns == null || t.channel() != CALLER_CHANNEL) {
            return;
        }
        String text = t.event().text().strip();
        if (t.event().isFinal()) {
            if (!text.isEmpty()) {
                finals.add(text);
            }
            partial = "";
        } else {
            partial = text;
        }
        handle(turns.onTranscript(nowMs, text, t.event().isFinal()));
        if (pendingTurn != null && t.event().isFinal()) {
            answer();
        }
    }

    @Override
    public void onInput(CallInput input) {
        switch (input) {
            case CallInput.Mark m -> playout.ending().filter(e -> e.mark().equals(m.name()))
                    .ifPresent(e -> hangUp(e.reason()));
            case CallInput.End e -> close(e.reason());
            case CallInput.Dtmf d -> pressed(d.digits());
            default -> {
            }
        }
    }

    /** Collects the caller's keys into one entry, ended by {@code #} or a pause ({@link #tick}). */
    private void pressed(String digits) {
        if (over || turns == null) {
            return;
        }
        LOG.fine(() -> "call " + idText() + ": caller pressed " + digits);
        keys.append(digits);
        lastKeyMs = nowMs;
        if (digits.contains("#")) {
            keyed();
        }
    }

    /** The keys pressed so far go to the brain as one entry ({@code #} is only its end). */
    private void keyed() {
        String digits = keys.toString().replace("#", "");
        keys.setLength(0);
        if (digits.isEmpty()) {
            return;
        }
        silences = 0;
        quietSince = nowMs;
        playout.newStretch();
        Conversation c = conversation;
        ask(r -> brain.onDtmf(c, digits, r), null);
    }

    private void handle(List<TurnEvent> events) {
        for (TurnEvent e : events) {
            switch (e) {
                case TurnEvent.SpeechStarted s -> {
                    callerTalking = true;
                    quietSince = nowMs;
                }
                case TurnEvent.EndOfTurn t -> {
                    callerTalking = false;
                    quietSince = nowMs;
                    if (interruptPending) {
                        commitInterrupt(nowMs);
                    }
                    pendingTurn = new long[] {t.lastVoiceMillis(), t.atMillis()};
                    if (partial.isEmpty() && !finals.isEmpty()) {
                        answer();
                    }
                }
                case TurnEvent.Interrupt i -> {
                    LOG.fine(() -> "call " + idText() + ": the caller barged in at " + i.speechMillis() + " ms");
                    playout.pause(nowMs);
                    voice.clear();
                    agentSpeaking = false;
                    interruptPending = true;
                    if (!i.text().isBlank()) {
                        commitInterrupt(nowMs);
                    }
                }
                case TurnEvent.Resume r -> {
                    if (interruptPending) {
                        interruptPending = false;
                        playout.resume(nowMs);
                    }
                }
                case TurnEvent.Backchannel b -> {
                    finals.clear();
                    partial = "";
                }
            }
        }
    }

    /** The interruption stands: the reply in flight stops, and the call keeps what the caller heard of it. */
    private void commitInterrupt(long at) {
        interruptPending = false;
        Reply r = current;
        if (r != null && r.ending == null) {
            r.cancel();
            Brain b = brain;
            Conversation c = conversation;
            brainThread.execute(() -> b.cancel(c));
        }
        keepHeard(at);
        Playout.Cut cut = playout.commit(at);
        conversation.cutAgentSpeech(cut.heard());
        cut.sentence().ifPresent(s -> {
            s.recorded = true;
            keep(() -> parts.records().agentTurn(call, s.seq, s.startMs, at, cut.heardOfSentence(), true));
        });
    }

    /** The caller's turn, once its final text is in (or waited for long enough), goes to the brain. */
    private void answer() {
        long[] p = pendingTurn;
        pendingTurn = null;
        String text = String.join(" ", finals).strip();
        if (text.isEmpty()) {
            text = partial;
        }
        finals.clear();
        partial = "";
        if (text.isBlank()) {
            return; // a cough, or words the recogniser could not make out
        }
        silences = 0;
        playout.newStretch();
        long endpointing = p[1] - p[0];
        long recognizerFinal = Math.max(0, nowMs - p[1]);
        int turn = ++turnCount;
        String heard = text;
        Conversation c = conversation;
        ask(r -> brain.onCallerTurn(c, heard, r), new long[] {turn, endpointing, recognizerFinal, p[0]});
    }

    /** The session's clock moved: agent speaking state, sentences heard, a pending turn, the end, silence. */
    private void tick() {
        Timing.Endpointing e = endpointing;
        if (e != null) {
            endpointing = null;
            turns.endpointing(e.minSilence(), e.maxSilence());
        }
        keepHeard(nowMs);
        boolean idle = playout.idle(nowMs);
        if (agentSpeaking && idle) {
            agentSpeaking = false;
            handle(turns.onAgentSpeaking(nowMs, false));
            quietSince = nowMs;
        }
        if (pendingTurn != null && nowMs - pendingTurn[1] >= FINAL_WAIT_MS) {
            answer();
        }
        if (!keys.isEmpty() && nowMs - lastKeyMs >= DTMF_GAP_MS) {
            keyed();
        }
        Optional<Playout.Ending> ending = playout.ending();
        if (ending.isPresent()) {
            if (nowMs >= ending.get().atMs() + (ending.get().mark().isEmpty() ? 0 : MARK_GRACE_MS)) {
                hangUp(ending.get().reason());
            }
            return;
        }
        Reply r = current;
        boolean replying = r != null && !r.done && !r.cancelled;
        if (idle && !replying && !callerTalking && !interruptPending && pendingTurn == null
                && nowMs - quietSince >= silence.repromptAfter().toMillis()) {
            quietSince = nowMs;
            int n = ++silences;
            Conversation c = conversation;
            ask(reply -> brain.onSilence(c, n, reply), null);
        }
    }

    /** Keeps the agent's sentences heard in full by {@code at}. */
    private void keepHeard(long at) {
        for (Playout.Sent s : playout.heardInFull(at)) {
            keep(() -> parts.records().agentTurn(call, s.seq, s.startMs, s.endMs, s.text, false));
        }
    }

    /**
     * Hangs up (or hands the call over, when the ending reply was a transfer) once what the call keeps is written,
     * so the post-call pipeline finds all of it.
     */
    private void hangUp(String reason) {
        if (!hangingUp) {
            hangingUp = true;
            String to = transferTo;
            LOG.info(() -> "call " + idText() + ": the agent " + (to == null ? "hangs up" : "transfers the call")
                    + " (" + reason + ")");
            keepHeard(Long.MAX_VALUE); // the goodbye has played: its mark came back, or the clock passed it
            keep(() -> {
                if (to == null) {
                    voice.hangUp(reason);
                } else {
                    voice.transfer(to);
                }
            });
        }
    }

    private void close(String reason) {
        if (over) {
            return;
        }
        over = true;
        Reply r = current;
        if (r != null) {
            r.cancel();
        }
        playout.close();
        Brain b = brain;
        Conversation c = conversation;
        if (b != null && c != null) {
            brainThread.execute(() -> b.cancel(c));
        }
        brainThread.shutdown();
        Call c2 = call;
        if (c2 != null) {
            long chars = synthesized.get();
            long heardMs = nowMs;
            keep(() -> {
                var tokens = parts.tokens().take(c2.id());
                parts.records().usage(c2, new ConversationUsage(chars, heardMs, tokens.inputTokens(),
                        tokens.outputTokens()));
            });
        }
        keeper.shutdown();
        if (vadStream != null) {
            vadStream.close();
        }
        LOG.fine(() -> "call " + idText() + " ended (" + reason + ")");
    }

    // ------------------------------------------------------------------ the brain's thread

    /** Hands the brain one question on its thread, with a fresh reply that supersedes the one before. */
    private void ask(java.util.function.Consumer<Reply> question, long[] latency) {
        Reply r = new Reply(latency, System.nanoTime());
        Reply before = current;
        if (before != null && before.ending == null && !before.done) {
            before.cancel();
        }
        current = r;
        try {
            brainThread.execute(() -> {
                if (r.cancelled) {
                    return;
                }
                try {
                    question.accept(r);
                    if (brain instanceof FlowBrain flow) {
                        endpointing = flow.endpointing(conversation); // the node now listening may wait longer
                    }
                    voice.expect(brain.expectation(conversation)); // the recogniser listens for the answer asked
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "the brain failed on call " + idText(), e);
                    r.done();
                }
            });
        } catch (RejectedExecutionException e) {
            // the call is over
        }
    }

    private void keep(Runnable write) {
        try {
            keeper.execute(() -> {
                try {
                    write.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "could not keep what call " + idText() + " said", e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warning(() -> "call " + idText() + " is over; dropped a late record");
        }
    }

    private String idText() {
        Call c = call;
        return c == null ? "(not open)" : c.id().toString();
    }

    /** One answer of the brain; what it says after it was superseded or cut is dropped. */
    final class Reply implements ReplySink {
        private final long[] latency; // {turn, endpointing, recognizerFinal, callerEndMs}, null for greetings and reprompts
        private final long askedNanos;
        private volatile boolean cancelled;
        private volatile boolean done;
        private volatile String ending;
        private long firstSayNanos = -1;
        private boolean measured;

        Reply(long[] latency, long askedNanos) {
            this.latency = latency;
            this.askedNanos = askedNanos;
        }

        boolean cancelled() {
            return cancelled;
        }

        void cancel() {
            cancelled = true;
        }

        @Override
        public void say(String sentence) {
            if (cancelled || sentence == null || sentence.isBlank()) {
                return;
            }
            synchronized (this) {
                if (firstSayNanos < 0) {
                    firstSayNanos = System.nanoTime();
                }
            }
            playout.enqueue(new Playout.Say(sentence.strip(), this));
        }

        @Override
        public void setVariable(String name, Object value) {
            if (cancelled) {
                return;
            }
            Conversation c = conversation;
            c.setVariable(name, value);
            var variables = c.variables();
            keep(() -> parts.records().outcome(call, variables, Optional.empty()));
        }

        @Override
        public void end(String disposition) {
            if (cancelled) {
                return;
            }
            ending = disposition;
            var variables = conversation.variables();
            keep(() -> parts.records().outcome(call, variables, Optional.of(disposition)));
            playout.enqueue(new Playout.End("agent hung up: " + disposition, this));
        }

        @Override
        public void transfer(String phoneNumber) {
            if (cancelled) {
                return;
            }
            // the caller hears the announcement, then the transport hands the call over (the carrier's calls) or,
            // where it cannot, the call ends
            ending = "transferred";
            transferTo = phoneNumber;
            var variables = conversation.variables();
            keep(() -> parts.records().outcome(call, variables, Optional.of("transferred")));
            playout.enqueue(new Playout.End("transfer to " + phoneNumber, this));
        }

        @Override
        public void addToDoNotCall() {
            if (!cancelled) {
                keep(() -> parts.records().doNotCall(call));
            }
        }

        @Override
        public void sendDtmf(String digits) {
            LOG.warning(() -> "call " + idText() + ": the agent's DTMF " + digits + " is not sent; the live call "
                    + "has no way to play key presses yet");
        }

        @Override
        public void done() {
            done = true;
        }

        /** The reply's first audio went to the transport: its latency is complete. */
        synchronized void firstAudio() {
            if (measured || latency == null || firstSayNanos < 0) {
                return;
            }
            measured = true;
            long now = System.nanoTime();
            long brainMs = (firstSayNanos - askedNanos) / 1_000_000;
            long audioMs = (now - firstSayNanos) / 1_000_000;
            var l = new TurnLatency((int) latency[0], latency[1], latency[2], brainMs, audioMs,
                    latency[1] + latency[2] + (now - askedNanos) / 1_000_000, latency[3]);
            latencies.add(l);
            LOG.info(() -> "call " + idText() + ": " + l);
            keep(() -> parts.records().latency(call, l));
        }
    }

    // ------------------------------------------------------------------ the speaker's thread

    private void speak() {
        try {
            for (Optional<Playout.Item> next = playout.take(); next.isPresent(); next = playout.take()) {
                switch (next.get()) {
                    case Playout.Say say -> {
                        if (say.reply().cancelled) {
                            playout.skip();
                        } else {
                            playout.begin(say).ifPresent(this::synthesize);
                        }
                    }
                    case Playout.End end -> playout.end(end.reason());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the agent's voice failed on call " + idText(), e);
        }
    }

    /** One sentence, chunk by chunk as synthesised; its last chunk carries the sentence's mark. */
    private void synthesize(Playout.Sent s) {
        boolean complete = false;
        synthesized.addAndGet(s.text.length());
        try (SpeechStream stream = speaking.synthesize(s.text, playRate)) {
            short[] held = null;
            for (Optional<short[]> chunk = stream.next(); chunk.isPresent(); chunk = stream.next()) {
                if (held != null && !send(s, held, "")) {
                    return;
                }
                held = chunk.get();
            }
            complete = held == null || send(s, held, "agent-" + s.seq);
        } catch (SpeechSynthesisException e) {
            LOG.log(Level.WARNING, "could not synthesise \"" + s.text + "\" on call " + idText(), e);
        } finally {
            playout.finished(s, complete);
        }
    }

    private boolean send(Playout.Sent s, short[] pcm, String mark) {
        if (pcm.length == 0 && mark.isEmpty()) {
            return true;
        }
        boolean sent = playout.play(s, pcm, playRate, mark, AudioLevel.dbfs(pcm, 0, pcm.length));
        if (sent) {
            s.reply.firstAudio();
        }
        return sent;
    }

    /** The agent's voice at 8 kHz for 8 kHz calls, else 16 kHz. */
    public static int playRate(int callRate) {
        return callRate == 8000 ? 8000 : 16_000;
    }
}
