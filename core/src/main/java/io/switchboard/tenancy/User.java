package io.switchboard.tenancy;

import java.time.Instant;
import java.util.UUID;

public record User(UUID id, UUID organizationId, String email, String displayName, Role role, Instant createdAt,
                   Instant updatedAt) {
}
