package io.switchboard.campaigns;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A stored campaign, as read back. */
public record Campaign(UUID id, UUID organizationId, String name, UUID agentId, UUID contactListId, String callerId,
                       CampaignState state, Optional<Instant> scheduleStart, Optional<Instant> scheduleEnd,
                       CallingWindow callingWindow, int maxConcurrency, RetryPolicy retryPolicy,
                       List<String> dispositionCodes, Instant createdAt, Instant updatedAt,
                       Optional<Instant> startedAt, Optional<Instant> endedAt, DialingRules dialingRules) {
}
