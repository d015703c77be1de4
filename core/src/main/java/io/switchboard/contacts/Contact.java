package io.switchboard.contacts;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A person to call, as stored.
 *
 * @param externalId   the caller's own identifier, or empty
 * @param metadataJson a JSON object
 * @param timeZone     IANA zone, or empty when unknown
 */
public record Contact(UUID id, UUID organizationId, String externalId, String phoneNumber, String firstName,
                      String lastName, String email, String metadataJson, List<String> tags, String timeZone,
                      List<UUID> listIds, Instant createdAt, Instant updatedAt) {
}
