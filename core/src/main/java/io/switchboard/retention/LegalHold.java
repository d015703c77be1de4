package io.switchboard.retention;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/** A legal hold: while it stands, nothing in its scope is deleted by retention or purges. */
public record LegalHold(UUID id, UUID organizationId, Scope scope, UUID resourceId, String reason,
                        Optional<UUID> placedBy, Instant placedAt, Optional<UUID> releasedBy,
                        Optional<Instant> releasedAt, String releaseReason) {

    /** What a hold covers: a whole organisation, or one campaign's, contact's or call's data. */
    public enum Scope {
        ORGANIZATION, CAMPAIGN, CONTACT, CALL;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public boolean active() {
        return releasedAt.isEmpty();
    }
}
