package io.switchboard.messaging;

import java.time.Instant;
import java.util.UUID;

/** An address (+E164, or whatsapp:+E164) the organisation sends from and receives at. */
public record Sender(UUID id, String address, Channel channel, Instant createdAt) {
}
