package io.switchboard.conversation.amd;

import java.util.Optional;

import io.switchboard.conversation.vad.VadFrame;
import io.switchboard.live.CallInput;

/**
 * Answering-machine detection for one outbound call, from the carrier's verdict (Twilio's {@code AnsweredBy}) and
 * our own hearing of the callee's first seconds ({@link GreetingClassifier}, {@link BeepDetector}), whichever comes
 * first. It says what the agent should do: carry on with a person ({@link Action#HUMAN}), stop talking over a
 * machine's greeting ({@link Action#MACHINE}), leave its message now that the greeting is over
 * ({@link Action#LEAVE_MESSAGE}: the beep ended, the carrier heard the message end, or the line went quiet), or
 * hang up on a fax ({@link Action#FAX}). Each action comes once, in that order; the clock is the callee's audio.
 *
 * <p>Used from the call's thread only.
 */
public final class MachineWatch {

    public enum Action { HUMAN, MACHINE, LEAVE_MESSAGE, FAX }

    /** After the machine's last words, this much silence ends its greeting when no beep comes. */
    public static final long GREETING_OVER_SILENCE_MS = 2500;
    /** The longest wait for the end of a machine's greeting once it is known to be one. */
    public static final long MAX_GREETING_WAIT_MS = 30_000;
    /** A beep this early in the call marks a machine even after a short greeting was taken for a person. */
    public static final long BEEP_WINDOW_MS = 10_000;

    /**
     * The pause after a short first utterance from which {@link #leansHuman} answers yes: about the end of a turn
     * at the default endpointing, well short of the classifier's 800 ms.
     */
    public static final long LEAN_PAUSE_MS = 400;

    private enum State { LISTENING, HUMAN, MACHINE, DONE }

    private final GreetingClassifier greeting = new GreetingClassifier(GreetingClassifier.Settings.defaults());
    private final float speechProbability = GreetingClassifier.Settings.defaults().speechProbability();
    private BeepDetector beeps;
    private State state = State.LISTENING;
    private long machineAtMs;
    private long lastSpeechEndMs = -1;
    private long heardSamples;
    private String why = "";

    /** Why the last action was taken (for the log and the end reason). */
    public String why() {
        return why;
    }

    /** Whether a machine was detected (the call's disposition is then {@code voicemail}). */
    public boolean machine() {
        return state == State.MACHINE || state == State.DONE;
    }

    /** Whether no verdict is in yet: the caller's turns wait for it rather than reach the brain. */
    public boolean listening() {
        return state == State.LISTENING;
    }

    /**
     * Whether, with no verdict yet, the callee's first utterance was short and has been followed by
     * {@link #LEAN_PAUSE_MS} of pause by {@code nowMs} (the call's clock): a person's, most likely. A turn need not
     * wait the rest of the classifier's pause for it: a machine's greeting that goes on after such a pause talks
     * over the agent's reply (which the barge-in stops), is called a machine once it is long enough, and gets the
     * voicemail message after its beep as before.
     */
    public boolean leansHuman(long nowMs) {
        return state == State.LISTENING && greeting.leansHuman(nowMs, LEAN_PAUSE_MS);
    }

    /** Nothing more to decide (the agent hung up on the machine): later audio is not examined. */
    public void finish() {
        state = State.DONE;
    }

    /** One voice activity frame of the callee's channel. */
    public Optional<Action> frame(VadFrame f) {
        if (f.probability() >= speechProbability) {
            lastSpeechEndMs = f.startMillis() + f.durationMillis();
        }
        if (state != State.LISTENING) {
            return Optional.empty();
        }
        return greeting.accept(f).flatMap(v -> switch (v) {
            case MACHINE -> machine(f.startMillis() + f.durationMillis(), "a greeting of "
                    + GreetingClassifier.Settings.defaults().machineSpeech() + " ms without a pause");
            case HUMAN -> human("a short first utterance, then a pause");
            case UNKNOWN -> human("no speech in the first seconds; taken for a person");
        });
    }

    /** The callee's audio, for the beep. */
    public Optional<Action> audio(short[] pcm16, int sampleRate) {
        heardSamples += pcm16.length;
        if (state == State.DONE || (state == State.HUMAN && heardSamples * 1000 / sampleRate > BEEP_WINDOW_MS)) {
            return Optional.empty(); // a person's call is not scanned for beeps past the first seconds
        }
        if (beeps == null) {
            beeps = new BeepDetector(sampleRate);
        }
        Optional<BeepDetector.Beep> beep = beeps.accept(pcm16, 0, pcm16.length);
        if (beep.isEmpty() || (state == State.HUMAN && beep.get().startMs() > BEEP_WINDOW_MS)) {
            return Optional.empty();
        }
        BeepDetector.Beep b = beep.get();
        return leave("a beep of " + b.hz() + " Hz, " + (b.endMs() - b.startMs()) + " ms, ended at " + b.endMs() + " ms");
    }

    /** The call's clock moved: a machine's greeting may be over without a beep. */
    public Optional<Action> tick(long nowMs) {
        if (state != State.MACHINE) {
            return Optional.empty();
        }
        if (lastSpeechEndMs >= 0 && nowMs - lastSpeechEndMs >= GREETING_OVER_SILENCE_MS) {
            return leave("no beep, but " + GREETING_OVER_SILENCE_MS + " ms of silence after the greeting");
        }
        if (nowMs - machineAtMs >= MAX_GREETING_WAIT_MS) {
            return leave("the greeting went on for " + MAX_GREETING_WAIT_MS + " ms after the machine was detected");
        }
        return Optional.empty();
    }

    /** The carrier's verdict. */
    public Optional<Action> carrier(CallInput.AnsweredBy answered, long nowMs) {
        return switch (answered.answerer()) {
            case HUMAN -> state == State.LISTENING ? human("the carrier: " + answered.value()) : Optional.empty();
            case MACHINE -> state == State.LISTENING ? machine(nowMs, "the carrier: " + answered.value())
                    : Optional.empty();
            case MACHINE_MESSAGE_END -> state == State.DONE ? Optional.empty()
                    : leave("the carrier: " + answered.value());
            case FAX -> {
                if (state == State.DONE) {
                    yield Optional.empty();
                }
                state = State.DONE;
                why = "the carrier: " + answered.value();
                yield Optional.of(Action.FAX);
            }
            case UNKNOWN -> Optional.empty();
        };
    }

    private Optional<Action> human(String reason) {
        state = State.HUMAN;
        why = reason;
        return Optional.of(Action.HUMAN);
    }

    private Optional<Action> machine(long atMs, String reason) {
        state = State.MACHINE;
        machineAtMs = atMs;
        why = reason;
        return Optional.of(Action.MACHINE);
    }

    private Optional<Action> leave(String reason) {
        state = State.DONE;
        why = reason;
        return Optional.of(Action.LEAVE_MESSAGE);
    }
}
