package io.switchboard.messaging;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A text in either direction, with its body opened (bodies are sealed at rest). */
public record Message(UUID id, UUID organizationId, Channel channel, Direction direction, Optional<UUID> contactId,
                      String contactPhone, String from, String to, Purpose purpose, String body,
                      Optional<UUID> templateId, Status status, String errorCode, String errorMessage,
                      Segments segments, Optional<UUID> callId, Optional<String> carrierSid,
                      Optional<Instant> sendAfter, Instant createdAt, Instant updatedAt) {

    public enum Direction { OUTBOUND, INBOUND }

    /** An ordinary text, or the one automatic reply to a keyword. */
    public enum Purpose { TEXT, OPT_OUT_CONFIRMATION, OPT_IN_CONFIRMATION, HELP }

    /**
     * Outbound: scheduled (for the calling window), queued (in the outbox), sending (handed to the carrier,
     * or being), then the carrier's sent, delivered, undelivered, failed, read. Inbound: received.
     */
    public enum Status {
        SCHEDULED(0), QUEUED(1), SENDING(2), SENT(3), DELIVERED(4), UNDELIVERED(4), FAILED(4), RECEIVED(4), READ(5);

        private final int rank;

        Status(int rank) {
            this.rank = rank;
        }

        /** A carrier's callbacks may arrive out of order: a status only ever moves forward. */
        public boolean after(Status other) {
            return rank > other.rank;
        }

        public boolean terminal() {
            return rank >= 4;
        }
    }
}
