package io.switchboard.live;

/**
 * Speaks on the agent channel of one live call (the conversation engine plugs in here), through the
 * {@link AgentVoice} it was attached with. Calls come from the session's thread, in the call's order.
 */
public interface CallAgent {

    /** Decoded caller audio, in order; must not block (the call's audio waits behind it). */
    void onCallerAudio(short[] pcm16, int sampleRate);

    /** Key presses, played-mark echoes, and the end of the call ({@link CallInput.End} with the end reason). */
    void onInput(CallInput input);
}
