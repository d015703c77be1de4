package io.switchboard.conversation.turns;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a {@link TurnDetector} hears a call: the speech thresholds, when a caller's turn is over, what counts as a
 * barge-in, and the echo guard. Per agent, overridable per flow node; {@link #defaults()} are the values below.
 *
 * @param vadActivation {@code vad.activation}: a window at or above this speech probability is voiced (0.5, Silero's
 *     own {@code threshold}; LiveKit's {@code activation_threshold} too)
 * @param vadDeactivation {@code vad.deactivation}: once speaking, only a window below this is quiet (0.35, Silero's
 *     {@code neg_threshold = threshold - 0.15}); between the two the caller stays as they were
 * @param vadMinSpeech {@code vad.min-speech}: voiced time before speech counts as started (96 ms, three Silero
 *     windows, between LiveKit's 50 ms and Pipecat's 200 ms): a lone click does not open a turn
 * @param vadMinSilence {@code vad.min-silence}: quiet time that ends a stretch of speech (100 ms, Silero's
 *     {@code min_silence_duration_ms}); a turn spans many such stretches
 * @param endpointingMinSilence {@code endpointing.min-silence}: silence after speech that ends the caller's turn
 *     (500 ms; LiveKit's {@code min_delay}, Pipecat's pre-2026 default sits near it)
 * @param endpointingMaxSilence {@code endpointing.max-silence}: the wait instead when the words so far stop
 *     mid-phrase ("... and", "... five five"): 1500 ms, Vapi's {@code onNoPunctuationSeconds}; LiveKit waits up to
 *     3 s but only on a trained model's say-so, and callers reading digits pause under a second between groups
 * @param interruptionMinSpeech {@code interruption.min-speech}: caller speech while the agent talks before it can
 *     interrupt (250 ms, between Vapi's {@code voiceSeconds} 0.2 and LiveKit's {@code min_duration} 0.5)
 * @param interruptionMaxBackchannel {@code interruption.max-backchannel}: speech this long interrupts even before
 *     the recogniser has a word (800 ms); shorter speech interrupts only with a word that is not a backchannel, so
 *     "uh-huh" and a cough let the agent talk on
 * @param interruptionResumeAfter {@code interruption.resume-after}: an interruption with no word this long after
 *     it was decided was a false one, and the agent resumes (1500 ms; LiveKit's {@code false_interruption_timeout}
 *     is 2 s)
 * @param echoMaxDelay {@code echo.max-delay}: how long the agent's audio may take to come back on the caller's
 *     channel (400 ms: a carrier round trip plus jitter buffers)
 * @param echoMarginDb {@code echo.margin-db}: while the agent's audio of the last {@code echo.max-delay} is on the
 *     line, a caller window quieter than that audio's loudest level minus this many dB is taken for echo (12 dB;
 *     line echo comes back at least that much weaker, a caller talking over the agent is about as loud as it)
 * @param backchannels {@code interruption.backchannels}: words and phrases that acknowledge without taking the
 *     turn; said alone while the agent talks they never interrupt (Vapi's list: "okay", "yeah", "right", ...)
 */
public record TurnSettings(
        double vadActivation,
        double vadDeactivation,
        Duration vadMinSpeech,
        Duration vadMinSilence,
        Duration endpointingMinSilence,
        Duration endpointingMaxSilence,
        Duration interruptionMinSpeech,
        Duration interruptionMaxBackchannel,
        Duration interruptionResumeAfter,
        Duration echoMaxDelay,
        double echoMarginDb,
        Set<String> backchannels) {

    /** The default backchannels: acknowledgements, agreement, and the hums people make while listening. */
    public static final Set<String> DEFAULT_BACKCHANNELS = Set.of(
            "okay", "ok", "yeah", "yes", "yep", "yup", "yeah yeah", "right", "alright", "all right", "sure",
            "uh-huh", "uh huh", "mm-hmm", "mm hmm", "mhm", "hmm", "hm", "mm", "um-hum", "i see", "got it", "gotcha",
            "oh", "ah", "aha", "ah ha", "a ha", "wow", "cool", "great", "nice", "fine", "true", "exactly", "indeed", "of course",
            "sounds good", "go on", "i know");

    private static final Duration MAX = Duration.ofSeconds(10);

    public TurnSettings {
        probability("vad.activation", vadActivation);
        probability("vad.deactivation", vadDeactivation);
        if (vadDeactivation >= vadActivation) {
            throw new IllegalArgumentException("vad.deactivation: must be below vad.activation (" + vadActivation
                    + "), got " + vadDeactivation);
        }
        within("vad.min-speech", vadMinSpeech, Duration.ZERO);
        within("vad.min-silence", vadMinSilence, Duration.ofMillis(1));
        within("endpointing.min-silence", endpointingMinSilence, Duration.ofMillis(1));
        within("endpointing.max-silence", endpointingMaxSilence, Duration.ofMillis(1));
        if (endpointingMaxSilence.compareTo(endpointingMinSilence) < 0) {
            throw new IllegalArgumentException("endpointing.max-silence: must be at least endpointing.min-silence ("
                    + endpointingMinSilence.toMillis() + " ms), got " + endpointingMaxSilence.toMillis() + " ms");
        }
        if (vadMinSilence.compareTo(endpointingMinSilence) > 0) {
            throw new IllegalArgumentException("vad.min-silence: must not exceed endpointing.min-silence ("
                    + endpointingMinSilence.toMillis() + " ms), got " + vadMinSilence.toMillis() + " ms");
        }
        within("interruption.min-speech", interruptionMinSpeech, Duration.ofMillis(1));
        within("interruption.max-backchannel", interruptionMaxBackchannel, Duration.ofMillis(1));
        if (interruptionMaxBackchannel.compareTo(interruptionMinSpeech) < 0) {
            throw new IllegalArgumentException("interruption.max-backchannel: must be at least interruption.min-speech ("
                    + interruptionMinSpeech.toMillis() + " ms), got " + interruptionMaxBackchannel.toMillis() + " ms");
        }
        within("interruption.resume-after", interruptionResumeAfter, Duration.ofMillis(1));
        within("echo.max-delay", echoMaxDelay, Duration.ZERO);
        if (!(echoMarginDb >= 0 && echoMarginDb <= 60)) {
            throw new IllegalArgumentException("echo.margin-db: must be within [0, 60] dB, got " + echoMarginDb);
        }
        if (backchannels == null) {
            throw new IllegalArgumentException("interruption.backchannels: required (may be empty)");
        }
        for (String b : backchannels) {
            if (b == null || Words.of(b).isEmpty() || Words.of(b).size() > Words.LONGEST_BACKCHANNEL) {
                throw new IllegalArgumentException("interruption.backchannels: each entry must be 1 to "
                        + Words.LONGEST_BACKCHANNEL + " words, got \"" + b + "\"");
            }
        }
        backchannels = backchannels.stream().map(b -> String.join(" ", Words.of(b))).collect(Collectors.toUnmodifiableSet());
    }

    public static TurnSettings defaults() {
        return new TurnSettings(0.5, 0.35, Duration.ofMillis(96), Duration.ofMillis(100), Duration.ofMillis(500),
                Duration.ofMillis(1500), Duration.ofMillis(250), Duration.ofMillis(800), Duration.ofMillis(1500),
                Duration.ofMillis(400), 12, DEFAULT_BACKCHANNELS);
    }

    /** These settings with the caller's turn ending after {@code min} of silence, or {@code max} mid-phrase. */
    public TurnSettings withEndpointing(Duration min, Duration max) {
        return new TurnSettings(vadActivation, vadDeactivation, vadMinSpeech, vadMinSilence, min, max,
                interruptionMinSpeech, interruptionMaxBackchannel, interruptionResumeAfter, echoMaxDelay, echoMarginDb,
                backchannels);
    }

    /** These settings with another echo guard ({@code margin} 0 and {@code delay} zero: none). */
    public TurnSettings withEcho(Duration maxDelay, double marginDb) {
        return new TurnSettings(vadActivation, vadDeactivation, vadMinSpeech, vadMinSilence, endpointingMinSilence,
                endpointingMaxSilence, interruptionMinSpeech, interruptionMaxBackchannel, interruptionResumeAfter,
                maxDelay, marginDb, backchannels);
    }

    private static void probability(String name, double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException(name + ": must be a probability strictly between 0 and 1, got " + p);
        }
    }

    private static void within(String name, Duration d, Duration min) {
        if (d == null) {
            throw new IllegalArgumentException(name + ": required");
        }
        if (d.compareTo(min) < 0 || d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(name + ": must be within [" + min.toMillis() + " ms, " + MAX.toMillis()
                    + " ms], got " + d.toMillis() + " ms");
        }
    }
}
