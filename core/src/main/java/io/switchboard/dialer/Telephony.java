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

    /**
     * Hands a live call over to {@code phoneNumber} (E.164): the carrier dials it and bridges the callee to it,
     * and the call's media stream to the platform ends. A carrier that cannot refuses.
     *
     * @throws TelephonyException when the carrier refuses or cannot be reached (the call is then still ours)
     */
    default void transfer(String carrierCallId, String phoneNumber) {
        throw new TelephonyException(name() + " cannot transfer calls");
    }

    /** One attempt to reach one contact: what the carrier is asked to do. */
    record DialRequest(UUID attemptId, UUID organizationId, UUID campaignId, UUID contactId, String from, String to) {
    }

    /**
     * The carrier did not take the request; the message says why, for the record. {@link #failure()} says
     * what that means for the call: refused (certainly not placed, and the number or request is at fault: the
     * attempt counts), unreachable (certainly not placed because the carrier is down: the attempt does not
     * count), or uncertain (a timeout after the request went out: it may ring anyway, and only the carrier's
     * status callbacks, or the dialer's timeout, settle it).
     */
    final class TelephonyException extends RuntimeException {

        public enum Failure {
            /** the carrier answered no (4xx): the call was not placed, and asking again will not help soon */
            REFUSED,
            /** nothing reached the carrier, or it answered with a server error (5xx): an outage, not placed */
            UNREACHABLE,
            /** the request may have reached the carrier: the call may ring */
            UNCERTAIN
        }

        private final Failure failure;

        public TelephonyException(String message) {
            this(message, null, Failure.REFUSED);
        }

        public TelephonyException(String message, Throwable cause, Failure failure) {
            super(message, cause);
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }

        /** Whether the call was certainly not placed. */
        public boolean definite() {
            return failure != Failure.UNCERTAIN;
        }
    }
}
