package io.switchboard.conversation.amd;

import java.util.Optional;

import io.switchboard.conversation.vad.VadFrame;

/**
 * Tells a person from an answering machine by the callee's first words, as LiveKit Agents' and Twilio's detectors
 * do: a person picks up with a short "Hello?" and waits; a machine plays a greeting of several seconds without
 * waiting for anyone. The first utterance (speech whose pauses are shorter than {@link Settings#pause}) is a
 * machine's once it has gone on for {@link Settings#machineSpeech}; it is a person's if it ends before that. No
 * speech within {@link Settings#noSpeech} decides nothing ({@link Verdict#UNKNOWN}).
 *
 * <p>Fed the voice activity detector's frames of the callee's channel, in order, from one thread.
 */
public final class GreetingClassifier {

    public enum Verdict { HUMAN, MACHINE, UNKNOWN }

    /**
     * @param speechProbability a frame at or above it is speech
     * @param machineSpeech     a first utterance this long is a machine's greeting
     * @param pause             silence this long ends the first utterance
     * @param noSpeech          silence this long from the start decides nothing
     */
    public record Settings(float speechProbability, long machineSpeech, long pause, long noSpeech) {
        /** LiveKit Agents' human speech limit is 2.5 s; a person's "Hello, who is this?" stays well under 2.8 s. */
        public static Settings defaults() {
            return new Settings(0.5f, 2800, 800, 6000);
        }
    }

    private final Settings settings;
    private long speechStart = -1;
    private long lastSpeechEnd = -1;
    private Verdict verdict;

    public GreetingClassifier(Settings settings) {
        this.settings = settings;
    }

    /** Feeds one frame; returns the verdict once, when it is reached. */
    public Optional<Verdict> accept(VadFrame f) {
        if (verdict != null) {
            return Optional.empty();
        }
        long start = f.startMillis();
        long end = start + f.durationMillis();
        if (f.probability() >= settings.speechProbability()) {
            if (speechStart < 0) {
                speechStart = start;
            }
            lastSpeechEnd = end;
            if (end - speechStart >= settings.machineSpeech()) {
                return decide(Verdict.MACHINE);
            }
        } else if (speechStart >= 0 && end - lastSpeechEnd >= settings.pause()) {
            return decide(Verdict.HUMAN);
        } else if (speechStart < 0 && end >= settings.noSpeech()) {
            return decide(Verdict.UNKNOWN);
        }
        return Optional.empty();
    }

    /**
     * Whether, with no verdict yet, the first utterance has ended shorter than a machine's greeting and at least
     * {@code minPauseMs} of pause has followed it by {@code nowMs}: the verdict will be {@link Verdict#HUMAN} unless
     * speech resumes before {@link Settings#pause} (a machine's greeting pausing between its sentences).
     */
    public boolean leansHuman(long nowMs, long minPauseMs) {
        return verdict == null && speechStart >= 0 && lastSpeechEnd - speechStart < settings.machineSpeech()
                && nowMs - lastSpeechEnd >= minPauseMs;
    }

    /** When the callee last spoke, in ms of the channel (-1 before any speech). */
    public long lastSpeechEnd() {
        return lastSpeechEnd;
    }

    private Optional<Verdict> decide(Verdict v) {
        verdict = v;
        return Optional.of(v);
    }
}
