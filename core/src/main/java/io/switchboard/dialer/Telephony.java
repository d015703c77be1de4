package io.switchboard.dialer;

import java.util.UUID;

/**
 * The port to a carrier: asks it to place a call and to hang one up. What happens to the call afterwards
 * (ringing, answered, busy, its audio) comes back from the carrier asynchronously, as signed status
 * callbacks and a media stream the server receives; {@link DialAttempts} records it.
 */
public interface Telephony {

    /** The carrier's name as stored on attempts, e.g. {@code twilio}. */
    String name();

    /**
     * Asks the carrier to call {@code request.to()} from {@code request.from()}.
     *
     * @return the carrier's id of the call
     * @throws TelephonyException when the carrier refuses or cannot be reached
     */
    String dial(DialRequest request);

    /** Asks the carrier to end (or, still ringing, cancel) a call it placed; a call already over is no error. */
    void hangUp(String carrierCallId);

    /** One attempt to reach one contact: what the carrier is asked to do. */
    record DialRequest(UUID attemptId, UUID organizationId, UUID campaignId, UUID contactId, String from, String to) {
    }

    /**
     * The carrier refused the request or could not be reached; the message says which, for the record.
     * {@link #definite()} says whether the call was certainly not placed (a refusal, nothing sent); otherwise
     * (a timeout after the request went out, a carrier error) it may ring anyway, and only the carrier's status
     * callbacks, or the dialer's timeout, settle it.
     */
    final class TelephonyException extends RuntimeException {
        private final boolean definite;

        public TelephonyException(String message) {
            this(message, null, true);
        }

        public TelephonyException(String message, Throwable cause, boolean definite) {
            super(message, cause);
            this.definite = definite;
        }

        public boolean definite() {
            return definite;
        }
    }
}
