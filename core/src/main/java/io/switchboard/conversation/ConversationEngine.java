package io.switchboard.conversation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.Templates;
import io.switchboard.agents.Timing;
import io.switchboard.calls.Call;
import io.switchboard.conversation.amd.MachineWatch;
import io.switchboard.conversation.brain.Brain;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.FlowBrain;
import io.switchboard.conversation.brain.ReplySink;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.conversation.greeting.PreparedGreeting;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.SpeechSynthesisException;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.conversation.turns.PickupGreeting;
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
import io.switchboard.transcription.TranscriptEvent;

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
    /**
     * Silence after the caller's voice at which the recogniser is told to end its utterance: its final pass (and the
     * hints' grammar pass) then runs during the rest of the endpointing wait instead of after the turn's end.
     */
    static final long EARLY_FINAL_MS = 250;
    /** How long past the goodbye's last frame the call's clock may run without the transport echoing its mark. */
    static final long MARK_GRACE_MS = 1500;
    /**
     * Keys pressed with no pause longer than this are one entry (a {@code #} ends it at once). Key presses do not
     * cut the agent off (Retell's {@code allow_dtmf_interruption} defaults to false too).
     */
    static final long DTMF_GAP_MS = 1500;
    /** The transcript channel the caller speaks on in a call an agent speaks on. */
    static final int CALLER_CHANNEL = 1;
    /** The disposition of a call an answering machine took. */
    public static final String VOICEMAIL = "voicemail";

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
    private final AtomicBoolean doNotCallAdded = new AtomicBoolean();
    private volatile long nowMs;
    private volatile Timing.Endpointing endpointing; // a flow node's override, for the session's thread to apply
    private volatile String transferTo; // the number the ending reply hands the call to
    private MachineWatch machine; // outbound calls only: a person or an answering machine (the session's thread)
    private volatile PreparedGreeting prepared; // synthesised while the call rang; null once unused or none
    private volatile Reply greeting; // the opening reply, whose sentences may come from {@code prepared}
    private volatile long openedNanos;
    private volatile long greetingMs = -1;
    private int preparedNext; // the speaker's thread: the prepared sentence to be said next

    // the session's thread only
    private TurnDetector turns;
    private VoiceActivityDetector.Stream vadStream;
    private long callerSamples;
    private int callerRate;
    private boolean agentSpeaking;
    private boolean callerTalking;
    private long callerVoiceMs = -1; // the end of the caller's last window that was voice (not the agent's echo)
    private boolean finalAsked; // the recogniser was told to end the utterance since that voice
    private boolean interruptPending;
    private long quietSince;
    private int silences;
    private Timing.Silence silence;
    private final List<String> finals = new ArrayList<>();
    private String partial = "";
    private long[] pendingTurn; // {lastVoiceMs, endOfTurnMs} of a turn waiting for the recogniser's final
    private long verdictWaitFrom = -1; // when the pending turn, final and all, began to wait for the machine verdict
    private int turnCount;
    private boolean hangingUp;
    private final StringBuilder keys = new StringBuilder();
    private long lastKeyMs;
    private final Arrivals arrivals = new Arrivals();
    private PickupGreeting pickup;
    private boolean pickupHeard; // once per call: a later "hello" over the agent is a turn like any other
    private long[] heldGreeting; // {pausedAtMs, speechOnsetMs}: the opening cut, waiting for the caller's words

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
        openedNanos = System.nanoTime();
        call = opened;
        Conversation c = parts.records().conversation(opened);
        prepared = parts.records().preparedGreeting(opened).orElse(null);
        conversation = c;
        AgentSpec spec = c.agent().spec();
        speaking = parts.voices().forCall(spec.voice());
        Timing timing = spec.conduct().timing().resolve();
        silence = timing.silence();
        turns = new TurnDetector(settings(timing));
        brain = parts.brains().apply(c);
        machine = opened.direction() == Call.Direction.OUTBOUND ? new MachineWatch() : null;
        Map<String, String> contact = c.templateValues();
        pickup = new PickupGreeting(java.util.stream.Stream.of("first_name", "last_name").map(contact::get)
                .filter(java.util.Objects::nonNull).toList());
        Thread.ofVirtual().name("conversation-speaker-" + opened.id()).start(this::speak);
        LOG.info(() -> "call " + opened.id() + ": agent " + spec.name() + " speaks with " + speaking.voice().id()
                + " through the " + brain.getClass().getSimpleName());
        ask(r -> brain.start(c, r), null);
    }

    /** Milliseconds from the call's open (its answer) to the greeting's first audio handed to the transport. */
    public java.util.OptionalLong greetingLatency() {
        long ms = greetingMs;
        return ms < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(ms);
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
        onCallerAudio(pcm16, sampleRate, System.nanoTime());
    }

    @Override
    public void onCallerAudio(short[] pcm16, int sampleRate, long arrivedNanos) {
        if (over || turns == null) {
            return;
        }
        if (vadStream == null) {
            callerRate = sampleRate;
            vadStream = parts.vad().open(sampleRate);
        }
        callerSamples += pcm16.length;
        nowMs = callerSamples * 1000 / callerRate;
        arrivals.add(nowMs, arrivedNanos);
        playout.now(nowMs);
        for (Playout.Chunk ch : playout.drainScheduled()) {
            if (!agentSpeaking) {
                agentSpeaking = true;
                handle(turns.onAgentSpeaking(ch.startMs(), true));
            }
            turns.onAgentAudio(ch.startMs(), ch.durationMs(), ch.levelDbfs());
        }
        for (VadFrame f : vadStream.accept(pcm16, 0, pcm16.length)) {
            if (f.probability() >= turns.settings().vadDeactivation() && !turns.echo(f)) {
                callerVoiceMs = f.startMillis() + f.durationMillis();
                finalAsked = false;
            }
            handle(turns.onCallerFrame(f));
            if (machine != null) { // the agent's echo is no machine's greeting
                machine.frame(turns.echo(f) ? new VadFrame(f.startSample(), f.samples(), f.sampleRate(), 0f,
                        f.levelDbfs()) : f).ifPresent(this::answeredBy);
            }
        }
        if (machine != null) {
            machine.audio(pcm16, sampleRate).ifPresent(this::answeredBy);
        }
        // over a stopped agent too (an interruption waiting for its words): the words decide it, the sooner the better
        if (callerTalking && !agentSpeaking && !finalAsked && callerVoiceMs >= 0
                && nowMs - callerVoiceMs >= EARLY_FINAL_MS) {
            finalAsked = true;
            voice.endCallerUtterance();
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
            case CallInput.AnsweredBy a -> {
                if (machine != null && !over) {
                    machine.carrier(a, nowMs).ifPresent(this::answeredBy);
                }
            }
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
        if (machine != null && machine.machine()) {
            return; // nobody to take turns with: the agent leaves its message, or has hung up
        }
        for (TurnEvent e : events) {
            switch (e) {
                case TurnEvent.SpeechStarted s -> {
                    callerTalking = true;
                    quietSince = nowMs;
                }
                case TurnEvent.EndOfTurn t -> {
                    callerTalking = false;
                    quietSince = nowMs;
                    if (interruptPending && heldGreeting == null) {
                        commitInterrupt(nowMs);
                    }
                    pendingTurn = new long[] {t.lastVoiceMillis(), t.atMillis()};
                    verdictWaitFrom = -1;
                    if (partial.isEmpty() && !finals.isEmpty()) {
                        answer();
                    } else {
                        voice.endCallerUtterance(); // the final now, not when the recogniser's own detector ends it
                    }
                }
                case TurnEvent.Interrupt i -> {
                    LOG.fine(() -> "call " + idText() + ": the caller barged in at " + i.speechMillis() + " ms");
                    playout.pause(nowMs);
                    voice.clear();
                    agentSpeaking = false;
                    interruptPending = true;
                    if (openingMayBeGreeted()) {
                        heldGreeting = new long[] {nowMs, i.speechMillis()}; // the turn's words decide (answer)
                    } else if (!i.text().isBlank()) {
                        commitInterrupt(nowMs);
                    }
                }
                case TurnEvent.Resume r -> {
                    heldGreeting = null;
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
        heldGreeting = null;
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
            agentTurn(s.seq, s.startMs, at, cut.heardOfSentence(), true);
        });
    }

    /** The caller's turn, once its final text is in (or waited for long enough), goes to the brain. */
    private void answer() {
        String text = String.join(" ", finals).strip();
        if (text.isEmpty()) {
            text = partial;
        }
        // a person or a machine? the turn waits for the verdict (a machine's greeting never reaches the brain), but a
        // pickup "Hello?" need not: it reaches no brain, and a machine found later stops the greeting said again; nor
        // need a short first utterance followed by the turn's pause: a person's but for a machine pausing mid-greeting,
        // which talks over the reply (barge-in stops it) and is then found a machine as before
        boolean pickupNow = heldGreeting != null && machine != null && machine.listening() && pickup.matches(text);
        boolean leansHuman = machine != null && machine.leansHuman(nowMs);
        if (machine != null && (machine.listening() || machine.machine()) && !pickupNow && !leansHuman) {
            if (verdictWaitFrom < 0) {
                verdictWaitFrom = nowMs; // the turn is ready; from here it waits for the verdict
            }
            return;
        }
        long[] p = pendingTurn;
        pendingTurn = null;
        long ready = verdictWaitFrom < 0 ? nowMs : verdictWaitFrom;
        verdictWaitFrom = -1;
        finals.clear();
        partial = "";
        long[] held = heldGreeting;
        if (held != null) {
            if (text.isBlank() || pickup.matches(text)) {
                greetAgain(held, text);
                return;
            }
            commitInterrupt(held[0]); // words with content: the interruption stands, cut where the agent stopped
        }
        if (text.isBlank()) {
            return; // a cough, or words the recogniser could not make out
        }
        silences = 0;
        playout.newStretch();
        long endpointing = p[1] - p[0];
        long recognizerFinal = Math.max(0, ready - p[1]);
        long machineDetection = nowMs - ready;
        int turn = ++turnCount;
        String heard = text;
        Conversation c = conversation;
        ask(r -> brain.onCallerTurn(c, heard, r), new long[] {turn, endpointing, recognizerFinal, p[0],
                arrivals.of(p[0]), machineDetection});
    }

    /**
     * Whether an interruption now may be only the callee's "Hello?" over the opening: the greeting reply is the one
     * speaking, no "Hello?" was forgiven yet on this call, and nobody decided the call is a machine's.
     */
    private boolean openingMayBeGreeted() {
        Reply r = current;
        return !pickupHeard && r != null && r == greeting && !r.cancelled && r.ending == null
                && (machine == null || !machine.machine());
    }

    /**
     * The caller's words over the opening were only a pickup greeting ({@link PickupGreeting}), or none: they answer
     * nothing, so the brain does not hear them (the call keeps them on the caller's channel as said), and the agent,
     * already stopped, says its opening again from the sentence the caller started talking over, as a person does
     * after "Hello?" ("Hi, this is Ava from ..."). Restarting that sentence rather than resuming mid-sentence: the
     * caller was talking over it, so its start was not heard either. The part played before the stop is kept as an
     * interrupted turn, as the recording has it.
     */
    private void greetAgain(long[] held, String heard) {
        heldGreeting = null;
        interruptPending = false;
        if (!heard.isBlank()) {
            pickupHeard = true;
        }
        LOG.info(() -> "call " + idText() + ": \"" + heard + "\" over the opening is a pickup greeting; the agent "
                + "says its opening again");
        silences = 0;
        quietSince = nowMs;
        Playout.Cut cut = playout.restartFrom(held[1], held[0], nowMs);
        cut.sentence().filter(s -> !cut.heardOfSentence().isBlank())
                .ifPresent(s -> agentTurn(s.seq, s.startMs, held[0], cut.heardOfSentence(), true));
    }

    /** The session's clock moved: agent speaking state, sentences heard, a pending turn, the end, silence. */
    private void tick() {
        if (machine != null) {
            machine.tick(nowMs).ifPresent(this::answeredBy);
        }
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
        if (pendingTurn != null && (nowMs - pendingTurn[1] >= FINAL_WAIT_MS
                || (verdictWaitFrom >= 0 && machine != null && machine.leansHuman(nowMs)))) {
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
        if (machine != null && machine.machine()) {
            return; // no reprompts to a machine
        }
        if (idle && !replying && !callerTalking && !interruptPending && pendingTurn == null
                && nowMs - quietSince >= silence.repromptAfter().toMillis()) {
            quietSince = nowMs;
            int n = ++silences;
            Conversation c = conversation;
            ask(reply -> brain.onSilence(c, n, reply), null);
        }
    }

    /**
     * Acts on the answering-machine verdict: a person gets the conversation (with the turn that waited for the
     * verdict); a machine stops the greeting at once, and once its own greeting is over gets the agent's
     * {@code voicemail_message} in full before the hang-up, or the hang-up alone when the agent leaves none. The
     * call's disposition is {@code voicemail} either way.
     */
    private void answeredBy(MachineWatch.Action action) {
        LOG.info(() -> "call " + idText() + ": answering-machine detection: " + action + " (" + machine.why() + ")");
        if (action == MachineWatch.Action.HUMAN) {
            if (pendingTurn != null && (!finals.isEmpty() || nowMs - pendingTurn[1] >= FINAL_WAIT_MS)) {
                answer();
            }
            return;
        }
        Reply r = current;
        if (r != null && r.ending == null && !r.cancelled && (interruptPending || !playout.idle(nowMs))) {
            playout.pause(nowMs); // the greeting stops where the machine had it
            voice.clear();
            agentSpeaking = false;
            commitInterrupt(nowMs);
        } else if (r != null && r.ending == null) {
            r.cancel();
        }
        pendingTurn = null;
        verdictWaitFrom = -1;
        finals.clear();
        partial = "";
        String message = Templates.render(conversation.agent().spec().conduct().voicemailMessage(),
                conversation.templateValues()).strip();
        if (action == MachineWatch.Action.MACHINE && !message.isEmpty()) {
            return; // the message waits for the end of the machine's greeting
        }
        boolean leave = action == MachineWatch.Action.LEAVE_MESSAGE && !message.isEmpty();
        machine.finish();
        ask(reply -> {
            if (leave) {
                reply.say(message);
            }
            reply.end(VOICEMAIL);
        }, null);
    }

    /** Keeps the agent's sentences heard in full by {@code at}. */
    private void keepHeard(long at) {
        for (Playout.Sent s : playout.heardInFull(at)) {
            agentTurn(s.seq, s.startMs, s.endMs, s.text, false);
        }
    }

    /**
     * An agent sentence as the caller heard it: the transport and the call's watchers see it at once (when there are
     * words), and the call keeps it as a turn.
     */
    private void agentTurn(int seq, long startMs, long endMs, String text, boolean interrupted) {
        if (text != null && !text.isBlank()) {
            voice.said(new TranscriptEvent(true, text, Duration.ofMillis(startMs),
                    Duration.ofMillis(Math.max(startMs, endMs)), List.of()), interrupted);
        }
        keep(() -> parts.records().agentTurn(call, seq, startMs, endMs, text, interrupted));
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
        if (greeting == null) {
            greeting = r; // the first question is the open's
        }
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
        // {turn, endpointing, recognizerFinal, callerEndMs, arrival of the caller's last voiced audio (nanoTime, or 0),
        // machineDetection}, null for greetings and reprompts
        private final long[] latency;
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
            // once per call: the LLM brain adds in code when it hears the request, and the model may ask too
            if (!cancelled && doNotCallAdded.compareAndSet(false, true)) {
                keep(() -> parts.records().doNotCall(call));
            }
        }

        /**
         * Sent on the keeper's thread, after whatever the call keeps before it (a variable set in the same reply is
         * stored first, so the template can use it), and waited for; not dropped when the reply is cut, since the
         * brain has moved on past it.
         */
        @Override
        public SmsResult sendSms(String template, String from, String nodeId) {
            Call c = call;
            try {
                return keeper.submit(() -> parts.records().sendSms(c, template, from, nodeId)).get();
            } catch (RejectedExecutionException e) {
                return SmsResult.refused("call_over", "the call is over");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return SmsResult.refused("interrupted", "the reply was stopped before the text was queued");
            } catch (ExecutionException e) {
                LOG.log(Level.WARNING, "could not text the caller of call " + idText(), e.getCause());
                return SmsResult.refused("failed", "the text could not be queued");
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
            long onCallClock = latency[1] + latency[2] + latency[5] + (now - askedNanos) / 1_000_000;
            // from the arrival of the caller's last voiced audio, so time it waited in the call's queue counts too
            long total = latency[4] == 0 ? onCallClock : Math.max(onCallClock, (now - latency[4]) / 1_000_000);
            var l = new TurnLatency((int) latency[0], latency[1], latency[2], latency[5], brainMs, audioMs, total,
                    latency[3]);
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
        Optional<short[]> ready = preparedAudio(s);
        if (ready.isPresent()) {
            try {
                complete = playPrepared(s, ready.get());
            } finally {
                playout.finished(s, complete);
            }
            return;
        }
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
            if (greetingMs < 0 && s.reply == greeting) {
                greetingMs = (System.nanoTime() - openedNanos) / 1_000_000;
                LOG.info(() -> "call " + idText() + ": greeting after " + greetingMs + " ms"
                        + (preparedNext > 0 ? " (synthesised while it rang)" : ""));
            }
        }
        return sent;
    }

    /** The greeting's next sentence as synthesised while the call rang, if the brain says just that. */
    private Optional<short[]> preparedAudio(Playout.Sent s) {
        PreparedGreeting p = prepared;
        if (p == null || s.reply != greeting) {
            return Optional.empty();
        }
        Optional<short[]> audio = p.audio(preparedNext, s.text, speaking.voice().id(), playRate);
        if (audio.isPresent()) {
            preparedNext++;
        } else {
            prepared = null; // the brain says something else: from here on everything is synthesised
        }
        return audio;
    }

    /** A prepared sentence, in chunks as the synthesiser would hand them out; its last carries the mark. */
    private boolean playPrepared(Playout.Sent s, short[] pcm) {
        int chunk = playRate / 10;
        for (int at = 0; at < pcm.length; at += chunk) {
            int end = Math.min(pcm.length, at + chunk);
            if (!send(s, java.util.Arrays.copyOfRange(pcm, at, end), end == pcm.length ? "agent-" + s.seq : "")) {
                return false;
            }
        }
        return pcm.length > 0 || send(s, pcm, "agent-" + s.seq);
    }

    /**
     * When each recent frame of the caller's audio reached the transport, by where it ends on the call's clock: the
     * turn's latency counts from the arrival of the frame holding the caller's last voiced audio. The session's
     * thread only; the last few seconds are kept.
     */
    static final class Arrivals {
        private static final int KEEP = 512; // frames: 10 s of 20 ms frames
        private final long[] endMs = new long[KEEP];
        private final long[] nanos = new long[KEEP];
        private int count;

        void add(long frameEndMs, long arrivedNanos) {
            endMs[count % KEEP] = frameEndMs;
            nanos[count % KEEP] = arrivedNanos;
            count++;
        }

        /** The arrival of the frame holding {@code atMs} of the call, or 0 when it is no longer kept. */
        long of(long atMs) {
            for (int i = Math.max(0, count - KEEP); i < count; i++) {
                if (endMs[i % KEEP] >= atMs) {
                    return i == Math.max(0, count - KEEP) && count > KEEP ? 0 : nanos[i % KEEP];
                }
            }
            return 0;
        }
    }

    /** The agent's voice at 8 kHz for 8 kHz calls, else 16 kHz. */
    public static int playRate(int callRate) {
        return callRate == 8000 ? 8000 : 16_000;
    }
}
