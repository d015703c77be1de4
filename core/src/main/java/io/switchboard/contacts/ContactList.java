package io.switchboard.contacts;

import java.time.Instant;
import java.util.UUID;

/** A named set of contacts that campaigns dial; {@code contactCount} counts live members. */
public record ContactList(UUID id, UUID organizationId, String name, String description, long contactCount,
                          Instant createdAt, Instant updatedAt) {
}
