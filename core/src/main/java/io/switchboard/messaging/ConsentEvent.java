package io.switchboard.messaging;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** One opt-out or opt-in of a number, organisation-wide: immutable evidence, the latest one decides. */
public record ConsentEvent(UUID id, String phone, Kind kind, String words, String source, Channel channel,
                           String senderAddress, Optional<UUID> messageId, Instant occurredAt) {

    public enum Kind { OPT_OUT, OPT_IN }
}
