package io.switchboard.audit;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** One stored link of an organisation's audit chain. */
public record AuditEntry(UUID organizationId, long seq, Instant at, Optional<UUID> actorApiKey,
                         Optional<UUID> actorUser, String remoteAddress, String action, String resourceType,
                         String resourceId, Map<String, String> details, byte[] prevHash, byte[] hash) {
}
