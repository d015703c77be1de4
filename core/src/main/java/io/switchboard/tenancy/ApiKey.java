package io.switchboard.tenancy;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** An API key as stored: everything but the secret, which only its holder has. */
public record ApiKey(UUID id, UUID organizationId, String name, String prefix, Role role, Optional<UUID> userId,
                     boolean platformOperator, Instant createdAt, Optional<Instant> lastUsedAt,
                     Optional<Instant> revokedAt, Optional<Instant> expiresAt) {

    /** A key together with its secret, returned once on creation. */
    public record Created(ApiKey apiKey, String secret) {
    }
}
