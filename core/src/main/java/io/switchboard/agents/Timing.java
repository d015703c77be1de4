package io.switchboard.agents;

import java.time.Duration;

/**
 * The turn-taking and silence settings of an agent. A zero field means "not set": it takes the default here at the
 * agent level, and the agent's value in a flow node's override ({@link #resolve}).
 */
public record Timing(Endpointing endpointing, Interruption interruption, Silence silence) {

    public static final Duration DEFAULT_MIN_SILENCE = Duration.ofMillis(500);
    public static final Duration DEFAULT_MAX_SILENCE = Duration.ofMillis(2000);
    public static final Duration DEFAULT_MIN_SPEECH = Duration.ofMillis(250);
    public static final Duration DEFAULT_REPROMPT_AFTER = Duration.ofSeconds(8);
    public static final int DEFAULT_MAX_REPROMPTS = 2;

    public static final Timing DEFAULTS = new Timing(Endpointing.INHERIT, Interruption.INHERIT, Silence.INHERIT);

    public Timing {
        endpointing = endpointing == null ? Endpointing.INHERIT : endpointing;
        interruption = interruption == null ? Interruption.INHERIT : interruption;
        silence = silence == null ? Silence.INHERIT : silence;
    }

    /** Every field set: the agent's values over the platform defaults. */
    public Timing resolve() {
        return new Timing(endpointing.over(new Endpointing(DEFAULT_MIN_SILENCE, DEFAULT_MAX_SILENCE)),
                new Interruption(orElse(interruption.minSpeech(), DEFAULT_MIN_SPEECH)),
                new Silence(orElse(silence.repromptAfter(), DEFAULT_REPROMPT_AFTER),
                        silence.maxReprompts() < 0 ? DEFAULT_MAX_REPROMPTS : silence.maxReprompts(),
                        silence.reprompt(), silence.goodbye()));
    }

    /**
     * When the caller's turn ends: {@code minSilence} of silence after speech, longer (up to {@code maxSilence})
     * while the words so far end mid-phrase.
     */
    public record Endpointing(Duration minSilence, Duration maxSilence) {
        public static final Endpointing INHERIT = new Endpointing(Duration.ZERO, Duration.ZERO);

        public Endpointing {
            minSilence = minSilence == null ? Duration.ZERO : minSilence;
            maxSilence = maxSilence == null ? Duration.ZERO : maxSilence;
        }

        /** This override's set fields over {@code base}. */
        public Endpointing over(Endpointing base) {
            return new Endpointing(orElse(minSilence, base.minSilence), orElse(maxSilence, base.maxSilence));
        }
    }

    /** Caller speech of at least {@code minSpeech} while the agent speaks stops the agent (barge-in). */
    public record Interruption(Duration minSpeech) {
        public static final Interruption INHERIT = new Interruption(Duration.ZERO);

        public Interruption {
            minSpeech = minSpeech == null ? Duration.ZERO : minSpeech;
        }
    }

    /**
     * No answer for {@code repromptAfter} gets a reprompt; after {@code maxReprompts} of them the agent says
     * goodbye and hangs up.
     *
     * @param maxReprompts -1 when not set
     * @param reprompt     said on silence before the current question; empty for "Are you still there?"
     * @param goodbye      said before hanging up on a silent caller; empty for the default
     */
    public record Silence(Duration repromptAfter, int maxReprompts, String reprompt, String goodbye) {
        public static final Silence INHERIT = new Silence(Duration.ZERO, -1, "", "");

        public Silence {
            repromptAfter = repromptAfter == null ? Duration.ZERO : repromptAfter;
            reprompt = reprompt == null ? "" : reprompt;
            goodbye = goodbye == null ? "" : goodbye;
        }
    }

    private static Duration orElse(Duration d, Duration fallback) {
        return d.isZero() ? fallback : d;
    }
}
