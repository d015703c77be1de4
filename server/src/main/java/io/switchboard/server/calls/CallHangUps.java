package io.switchboard.server.calls;

import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.calls.LiveCallHangUp;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.Telephony;

/**
 * How this server hangs up a live call, wherever it is: a call the dialer placed through the carrier is
 * hung up through the carrier's REST API (from any server: the carrier then ends the media stream, on
 * whichever server holds it); any other call is ended by this server's stream that holds it.
 *
 * <p>A {@code StreamCall} (or inbound carrier stream) held by another server process is out of reach from
 * here: {@link #hangUp} says so with false. This method is the one place to route such a call to the
 * server that holds it, once servers can send each other commands.
 */
public final class CallHangUps implements LiveCallHangUp {

    private static final Logger LOG = Logger.getLogger(CallHangUps.class.getName());

    private final DialAttempts attempts;
    private final Optional<Telephony> carrier;
    private final CallGrpcService streams;

    public CallHangUps(DialAttempts attempts, Optional<Telephony> carrier, CallGrpcService streams) {
        this.attempts = attempts;
        this.carrier = carrier;
        this.streams = streams;
    }

    @Override
    public boolean hangUp(UUID org, UUID callId, String reason) {
        Optional<String> carrierCall = carrier.isPresent() ? attempts.liveCarrierCall(org, callId) : Optional.empty();
        if (carrierCall.isPresent()) {
            try {
                carrier.get().hangUp(carrierCall.get());
                return true;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the carrier did not hang up call " + callId + "; ending its stream here", e);
            }
        }
        return streams.hangUp(callId, reason);
    }
}
