package io.switchboard.audit;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import io.switchboard.tenancy.Principal;

/**
 * One thing somebody did to a resource. Domain services emit these for every change (and, later, for
 * reads of PHI); the audit trail stores them.
 *
 * @param action   dotted verb, e.g. {@code plan.set}, {@code agent.update}
 * @param details  small, non-PHI facts about the change (old and new plan ids, changed fields)
 */
public record AuditEvent(UUID organizationId, UUID actorApiKeyId, String remoteAddress, String action,
                         String resourceType, String resourceId, Map<String, String> details, Instant at) {

    public AuditEvent {
        details = Map.copyOf(details);
    }

    public static AuditEvent of(Principal actor, String action, String resourceType, Object resourceId,
                                Map<String, String> details, Instant at) {
        return new AuditEvent(actor.organizationId(), actor.apiKeyId(), actor.remoteAddress(), action,
                resourceType, String.valueOf(resourceId), details, at);
    }
}
