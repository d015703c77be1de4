package io.switchboard.live;

import java.util.Optional;

/**
 * How a transport hears its {@link CallSession}. Calls are serialised (never two at once), but may come from
 * the session's thread, a player's thread or the transport's own.
 */
public interface SessionListener {

    void on(CallOutput output);

    /**
     * The session is over and nothing follows: after {@link CallOutput.Ended} with no failure, or with the
     * error the other party is to be told (a {@link io.switchboard.common.SwitchboardException} naming the
     * field and the reason, or {@link CallSession.IdleTimeout}). Not called when the transport itself went away.
     */
    void closed(Optional<RuntimeException> failure);

    /**
     * The agent hands the call over to {@code phoneNumber}: a transport that can bridge the caller elsewhere (the
     * carrier, through its REST API) does so and returns true, and the session then ends the call here; false
     * (the default) when it cannot, and the call is hung up instead.
     */
    default boolean transfer(String phoneNumber) {
        return false;
    }
}
