package io.switchboard.tenancy;

import java.time.Instant;
import java.util.UUID;

public record Organization(UUID id, String name, String planId, boolean hipaaMode, Instant createdAt,
                           Instant updatedAt) {
}
