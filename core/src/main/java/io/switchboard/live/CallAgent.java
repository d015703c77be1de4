package io.switchboard.live;

import io.switchboard.calls.Call;

/**
 * Speaks on the agent channel of one live call (the conversation engine plugs in here), through the
 * {@link AgentVoice} it was attached with. Calls come from the session's thread, in the call's order.
 */
public interface CallAgent {

    /**
     * The call is open (its row, with the id); the agent may speak from now on. Comes before any audio. May read
     * what the agent needs (a few milliseconds), but must not wait on anything slower.
     */
    default void onOpen(Call call) {
    }

    /** Decoded caller audio, in order; must not block (the call's audio waits behind it). */
    void onCallerAudio(short[] pcm16, int sampleRate);

    /**
     * As {@link #onCallerAudio(short[], int)}, with when the transport handed the frame in ({@link System#nanoTime}),
     * so time the frame waited in the call's queue can be counted.
     */
    default void onCallerAudio(short[] pcm16, int sampleRate, long arrivedNanos) {
        onCallerAudio(pcm16, sampleRate);
    }

    /** Key presses, played-mark echoes, and the end of the call ({@link CallInput.End} with the end reason). */
    void onInput(CallInput input);

    /** The recogniser's partial and final text of the caller's channel, as the watchers get it. */
    default void onTranscript(CallOutput.Transcript transcript) {
    }
}
