package io.switchboard.calls;

import java.util.UUID;

/**
 * Ends a live call from outside its stream, so the other party hears the call end instead of dead air:
 * through the carrier's REST API for a carrier call, or by ending the stream that holds it. Whatever holds
 * the call ends it as if its caller had hung up: the audio so far is kept, the call ends and is processed.
 */
@FunctionalInterface
public interface LiveCallHangUp {

    /** Reaches no call: for processes that hold none and have no carrier. */
    LiveCallHangUp NONE = (org, callId, reason) -> false;

    /**
     * Asks whatever holds call {@code callId} of {@code org} to hang it up.
     *
     * @return whether the request reached it (the call then ends shortly); false if nothing reachable from
     *         this process holds the call
     */
    boolean hangUp(UUID org, UUID callId, String reason);
}
