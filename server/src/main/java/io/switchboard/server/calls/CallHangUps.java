package io.switchboard.server.calls;

import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.jooq.DSLContext;

import io.switchboard.calls.LiveCallHangUp;
import io.switchboard.common.Notifications;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.Telephony;
import io.switchboard.live.LiveCalls;

/**
 * How this server hangs up a live call, wherever it is: a call the dialer placed through the carrier is
 * hung up through the carrier's REST API (from any server: the carrier then ends the media stream, on
 * whichever server holds it); any other call is ended by this server's stream that holds it.
 *
 * <p>A {@code StreamCall} (or inbound carrier stream) held by another server process is asked to end through
 * PostgreSQL: a NOTIFY on {@link #CHANNEL} that every API server listens to, and the one holding the call ends
 * it as if its caller had. The asker then waits for the call's row to end (a server that died mid-call has its
 * calls ended by the abandoned-call sweep instead).
 */
public final class CallHangUps implements LiveCallHangUp {

    private static final Logger LOG = Logger.getLogger(CallHangUps.class.getName());
    /** Where servers ask each other to hang up a live call: the payload is the call's id, a space, the reason. */
    static final String CHANNEL = "switchboard_call_hang_ups";
    private static final java.time.Duration ASK_EVERY = java.time.Duration.ofMillis(500);
    private static final java.time.Duration ASK_FOR = java.time.Duration.ofSeconds(30);

    private final DialAttempts attempts;
    private final Optional<Telephony> carrier;
    private final LiveCalls streams;
    private final DSLContext dsl;

    public CallHangUps(DialAttempts attempts, Optional<Telephony> carrier, LiveCalls streams, DSLContext dsl) {
        this.attempts = attempts;
        this.carrier = carrier;
        this.streams = streams;
        this.dsl = dsl;
    }

    /** A hang-up asked of every server. */
    record Request(UUID callId, String reason) {
        String payload() {
            return callId + " " + (reason.length() > 500 ? reason.substring(0, 500) : reason);
        }

        static Optional<Request> parse(String payload) {
            int space = payload.indexOf(' ');
            try {
                return Optional.of(new Request(UUID.fromString(space < 0 ? payload : payload.substring(0, space)),
                        space < 0 ? "hung up" : payload.substring(space + 1)));
            } catch (IllegalArgumentException e) {
                LOG.warning("ignored a malformed hang-up request on " + CHANNEL + ": " + payload);
                return Optional.empty();
            }
        }
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
        if (streams.hangUp(callId, reason)) {
            return true;
        }
        String payload = new Request(callId, reason).payload();
        Notifications.notify(dsl, CHANNEL, payload);
        LOG.info(() -> "call " + callId + " is not held here; every API server is asked to hang it up");
        // a notification is lost while a server's LISTEN connection is down: ask again until the call has ended
        Thread.ofVirtual().name("hang-up-" + callId).start(() -> {
            long until = System.nanoTime() + ASK_FOR.toNanos();
            try {
                while (System.nanoTime() < until && streams.active(org, callId)) {
                    Thread.sleep(ASK_EVERY.toMillis());
                    Notifications.notify(dsl, CHANNEL, payload);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "asking again to hang up call " + callId + " failed", e);
            }
        });
        return true;
    }
}
