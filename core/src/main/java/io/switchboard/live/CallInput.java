package io.switchboard.live;

import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;

/** What a transport hands a {@link CallSession}, in the order it arrived. */
public sealed interface CallInput {

    /**
     * Opens the call: the first input of every session. {@code agentSpeaks}: a client asks for the call's agent to
     * talk (the carrier's calls are the platform's own, and {@link CallAgents} decides for them).
     */
    record Open(CallSpec spec, Origin origin, boolean agentSpeaks) implements CallInput {
        /** A call the agent listens to only (unless the carrier's). */
        public Open(CallSpec spec, Origin origin) {
            this(spec, origin, false);
        }
    }

    /**
     * Caller audio in the format the call declared (a WAV container's header in the first bytes). The array is
     * the transport's own, handed over without a copy: the transport must not reuse it.
     */
    record Audio(byte[] bytes) implements CallInput {
    }

    /** Keys the caller pressed. */
    record Dtmf(String digits) implements CallInput {
    }

    /** The transport played agent audio up to {@code name} (the mark of a {@link CallOutput.PlayAudio}). */
    record Mark(String name) implements CallInput {
    }

    /** The caller hung up; {@code reason} becomes the call's end reason ("hangup" when blank). */
    record End(String reason) implements CallInput {
    }
}
