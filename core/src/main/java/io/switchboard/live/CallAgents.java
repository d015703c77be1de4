package io.switchboard.live;

import java.util.Optional;

import io.switchboard.calls.CallSpec;
import io.switchboard.tenancy.Principal;

/** Which calls an agent speaks on. Asked once per call, before it opens. */
@FunctionalInterface
public interface CallAgents {

    /** Every call is listen-only: the caller's audio is recorded and transcribed, nothing is played. */
    CallAgents NONE = (actor, spec, voice) -> Optional.empty();

    /**
     * The agent that speaks on this call, if any. A call with an agent is recorded in stereo (channel 0 the
     * agent as played, channel 1 the caller), so its caller audio must be mono.
     */
    Optional<CallAgent> attach(Principal actor, CallSpec spec, AgentVoice voice);

    /** As {@link #attach(Principal, CallSpec, AgentVoice)}, knowing how the call was opened (who asks, for what). */
    default Optional<CallAgent> attach(Principal actor, CallInput.Open open, AgentVoice voice) {
        return attach(actor, open.spec(), voice);
    }
}
