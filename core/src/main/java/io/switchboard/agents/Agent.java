package io.switchboard.agents;

import java.time.Instant;
import java.util.UUID;

/** One version of an agent. {@code version} grows by one with every update. */
public record Agent(UUID id, UUID organizationId, AgentSpec spec, int version, Instant createdAt, Instant updatedAt) {
}
