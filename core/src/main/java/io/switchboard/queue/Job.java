package io.switchboard.queue;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A job as stored. {@code attempts} counts claims, including the current one while running. */
public record Job(UUID id, Optional<UUID> organizationId, String kind, String payloadJson, Optional<String> dedupeKey,
                  State state, int attempts, int maxAttempts, Instant runAt, Optional<String> leaseOwner,
                  Optional<Instant> leaseExpiresAt, Optional<String> lastError, Instant createdAt,
                  Optional<Instant> finishedAt) {

    public enum State { QUEUED, RUNNING, SUCCEEDED, DEAD }
}
