package io.switchboard.messaging;

import java.time.Instant;
import java.util.UUID;

/** A reusable text with {@code {{variables}}}; a WhatsApp template may name the carrier's approved content. */
public record Template(UUID id, String name, Channel channel, Category category, String body, String contentSid,
                       Instant createdAt, Instant updatedAt) {

    public enum Category { TRANSACTIONAL, MARKETING }
}
