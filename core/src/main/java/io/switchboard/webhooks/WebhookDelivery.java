package io.switchboard.webhooks;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/** One event sent (or being sent) to one endpoint. */
public record WebhookDelivery(UUID id, UUID endpointId, UUID eventId, String eventType, String payload, State state,
                              int attempts, Optional<Instant> nextAttemptAt, OptionalInt lastStatus, String lastError,
                              Instant createdAt, Optional<Instant> deliveredAt) {

    public enum State { PENDING, DELIVERED, FAILED }
}
