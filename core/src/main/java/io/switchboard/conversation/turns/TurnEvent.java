package io.switchboard.conversation.turns;

/**
 * What a {@link TurnDetector} decided. Times are milliseconds on the call's channel clock (the caller's audio
 * from the call's start), the clock every input to the detector is stamped with.
 */
public sealed interface TurnEvent {

    /** When the decision was taken: the end of the input that settled it. */
    long atMillis();

    /** The caller started speaking (after {@code vad.min-speech} of voice): {@code speechMillis} is the onset. */
    record SpeechStarted(long atMillis, long speechMillis) implements TurnEvent {
    }

    /**
     * The caller's turn is over: the agent may answer.
     *
     * @param lastVoiceMillis the end of the caller's last voiced window, where the latency of the reply starts
     * @param text the words heard so far (may be empty: a cough, or a recogniser not yet caught up)
     * @param midPhrase whether the wait was {@code endpointing.max-silence} because the words stopped mid-phrase
     */
    record EndOfTurn(long atMillis, long lastVoiceMillis, String text, boolean midPhrase) implements TurnEvent {
    }

    /**
     * The caller is talking over the agent: clear the agent's playout now.
     *
     * @param speechMillis when the interrupting speech began
     * @param text the words that made it an interruption; empty when it was speech longer than
     *     {@code interruption.max-backchannel} with no word yet (a {@link Resume} follows if none comes)
     */
    record Interrupt(long atMillis, long speechMillis, String text) implements TurnEvent {
    }

    /** The last {@link Interrupt} brought no word within {@code interruption.resume-after}: the agent goes on. */
    record Resume(long atMillis, long interruptedMillis) implements TurnEvent {
    }

    /**
     * The caller made a sound over the agent that was not an interruption: a backchannel ({@code text} "uh-huh"),
     * or a cough or noise too short to be one ({@code text} empty). The agent talked on.
     */
    record Backchannel(long atMillis, long speechMillis, String text) implements TurnEvent {
    }
}
