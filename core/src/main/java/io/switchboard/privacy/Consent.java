package io.switchboard.privacy;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/** One consent (or refusal) as recorded: immutable, kept permanently, anonymised by an erasure. */
public record Consent(UUID id, Optional<UUID> contactId, String phoneNumber, Purpose purpose, boolean granted,
                      String source, String ipAddress, Optional<UUID> recordedBy, Instant givenAt, Instant recordedAt,
                      Optional<Instant> anonymizedAt) {

    /** What the person agreed to. */
    public enum Purpose {
        CALLS, RECORDING, AI_PROCESSING, MARKETING;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
