package io.switchboard.server.calls;

import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

import org.jooq.DSLContext;

import io.switchboard.common.Notifications;
import io.switchboard.live.CallInput;
import io.switchboard.live.LiveCalls;

/**
 * Carries the carrier's answering-machine verdict to the live call it is about, on whichever API server holds the
 * call: the carrier's callback reaches any server, the call's media stream is held by one. A call held here gets it
 * at once; otherwise every server is told through PostgreSQL (a NOTIFY on {@link #CHANNEL}, as hang-ups are, see
 * {@link CallHangUps}) and the one holding the call hands it over.
 */
public final class AnsweringMachineVerdicts {

    private static final Logger LOG = Logger.getLogger(AnsweringMachineVerdicts.class.getName());
    /** The payload is the call's id, a space, and the carrier's {@code AnsweredBy} value. */
    static final String CHANNEL = "switchboard_call_answered_by";

    private AnsweringMachineVerdicts() {
    }

    /** Hands verdicts other servers received to the calls this server holds. */
    public static void listen(Notifications notifications, LiveCalls sessions) {
        notifications.listen(CHANNEL, new Notifications.Listener() {
            @Override
            public void notified(String payload) {
                parse(payload).ifPresent(v -> {
                    if (sessions.answeredBy(v.callId(), CallInput.AnsweredBy.twilio(v.answeredBy()))) {
                        LOG.fine(() -> "call " + v.callId() + ": the carrier's verdict " + v.answeredBy()
                                + " came through another server");
                    }
                });
            }

            @Override
            public void reset() {
                // a verdict missed while the connection was down is lost; the call's own detection still listens
            }
        });
    }

    /** Delivers the carrier's {@code AnsweredBy} to call {@code callId}, here or on the server that holds it. */
    public static void deliver(LiveCalls sessions, DSLContext dsl, UUID callId, String answeredBy) {
        if (!sessions.answeredBy(callId, CallInput.AnsweredBy.twilio(answeredBy))) {
            Notifications.notify(dsl, CHANNEL, callId + " " + CallInput.AnsweredBy.twilio(answeredBy).value());
        }
    }

    record Verdict(UUID callId, String answeredBy) {
    }

    static Optional<Verdict> parse(String payload) {
        int space = payload.indexOf(' ');
        try {
            return space < 0 ? Optional.empty()
                    : Optional.of(new Verdict(UUID.fromString(payload.substring(0, space)), payload.substring(space + 1)));
        } catch (IllegalArgumentException e) {
            LOG.warning("ignored a malformed verdict on " + CHANNEL + ": " + payload);
            return Optional.empty();
        }
    }
}
