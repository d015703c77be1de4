package io.switchboard.live;

import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;

/** What a transport hands a {@link CallSession}, in the order it arrived. */
public sealed interface CallInput {

    /** Opens the call: the first input of every session. */
    record Open(CallSpec spec, Origin origin) implements CallInput {
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
