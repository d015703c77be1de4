package io.switchboard.messaging;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The port to a messaging carrier: hands it one text, and finds out whether it already took one (after a
 * crash between the request and recording its answer). Statuses come back asynchronously, as signed callbacks.
 */
public interface MessageCarrier {

    /** One text as handed over; {@code messageId} is ours and names it to the carrier (idempotency). */
    record Send(UUID messageId, String from, String to, String body, String contentSid,
                Map<String, String> contentVariables) {
    }

    /** The carrier's id of the message and the status it gave. */
    record Accepted(String sid, String status) {
    }

    /** @throws CarrierException when the carrier refused the text or could not be asked */
    Accepted send(Send send);

    /** The carrier's record of {@code send} made at or after {@code since}, if it has one. */
    Optional<Accepted> find(Send send, Instant since);

    /**
     * The carrier did not take the text. {@link Failure#REFUSED}: it answered no (4xx; {@code code} is its error,
     * e.g. 21610 for an opted-out recipient), asking again will not help. {@link Failure#UNREACHABLE}: nothing
     * reached it, or it failed (5xx) before creating the message: safe to send again. {@link Failure#UNCERTAIN}:
     * the request may have arrived; look it up before sending again.
     */
    final class CarrierException extends RuntimeException {

        public enum Failure { REFUSED, UNREACHABLE, UNCERTAIN }

        private final Failure failure;
        private final String code;

        public CarrierException(String message, Throwable cause, Failure failure, String code) {
            super(message, cause);
            this.failure = failure;
            this.code = code == null ? "" : code;
        }

        public Failure failure() {
            return failure;
        }

        public String code() {
            return code;
        }
    }
}
