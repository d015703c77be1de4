package io.switchboard.live;

import io.switchboard.transcription.Expectation;
import io.switchboard.transcription.TranscriptEvent;

/** The agent's side of a live call, handed to its {@link CallAgent}; callable from any thread. */
public interface AgentVoice {

    /**
     * Plays PCM16 mono audio to the caller ({@link CallOutput.PlayAudio}); it is recorded on the agent channel as
     * it is played, paced by the caller's audio. {@code mark} (may be empty) comes back as {@link CallInput.Mark}.
     */
    void play(short[] pcm16, int sampleRate, String mark);

    /** Barge-in: {@link CallOutput.ClearAudio}, and the agent channel's recording stops where playback stopped. */
    void clear();

    /**
     * The agent's words as the caller heard them (a sentence played in full, or the part played before the caller
     * talked over it): a final of the agent's channel for the transport and the call's watchers, so they see both
     * sides live. Not stored here: the agent keeps its turns itself.
     */
    default void said(TranscriptEvent heard, boolean interrupted) {
    }

    /** Ends the call as if the caller had hung up, with this end reason. */
    void hangUp(String reason);

    /**
     * Hands the call over to {@code phoneNumber} (E.164) where the transport can (the carrier's calls), and ends
     * it here; where it cannot, the call is hung up, saying so in its end reason.
     */
    default void transfer(String phoneNumber) {
        hangUp("transfer to " + phoneNumber + " is not possible on this call; hung up");
    }

    /**
     * What the caller's next answer is likely made of, for the recogniser of the caller's channel, until told
     * otherwise ({@link Expectation#NONE}: anything). Where nothing recognises the caller live, nothing happens.
     */
    default void expect(Expectation expectation) {
    }

    /**
     * The caller stopped speaking, as the agent's own voice activity detection heard it (a pause, or the end of the
     * turn): the recogniser of the caller's channel ends the utterance it is in now, so its final text arrives (as a
     * transcript: from the call's own thread, once the audio being handled is done with and before the next)
     * without waiting for the recogniser's own end-of-speech detection, which may come later. Speech after it is a new utterance. Where nothing recognises the caller live, nothing
     * happens.
     */
    default void endCallerUtterance() {
    }
}
