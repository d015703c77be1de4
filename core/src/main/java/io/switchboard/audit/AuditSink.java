package io.switchboard.audit;

import java.util.logging.Logger;

/**
 * Where domain services report what was done. The tamper-evident audit trail is one implementation;
 * until it is wired, {@link #logging()} writes events to the application log.
 */
@FunctionalInterface
public interface AuditSink {

    void record(AuditEvent event);

    static AuditSink logging() {
        Logger log = Logger.getLogger("io.switchboard.audit");
        return e -> log.info(() -> "audit org=" + e.organizationId() + " key=" + e.actorApiKeyId() + " action="
                + e.action() + " " + e.resourceType() + "/" + e.resourceId() + " " + e.details());
    }
}
