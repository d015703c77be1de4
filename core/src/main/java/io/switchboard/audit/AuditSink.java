package io.switchboard.audit;

import java.util.logging.Logger;

import org.jooq.DSLContext;

/**
 * Where domain services report what was done. The tamper-evident audit trail is one implementation;
 * {@link #logging()} writes events to the application log.
 */
@FunctionalInterface
public interface AuditSink {

    /** Records an event on its own; a failure is the sink's to report (the audit trail logs it at SEVERE). */
    void record(AuditEvent event);

    /**
     * Records an event inside the caller's transaction {@code tx}, so the change and its audit entry commit
     * together or not at all; a failure propagates and rolls the change back. With a non-transactional
     * context the entry is written on its own but a failure still propagates (audited reads fail closed).
     */
    default void record(DSLContext tx, AuditEvent event) {
        record(event);
    }

    static AuditSink logging() {
        Logger log = Logger.getLogger("io.switchboard.audit");
        return e -> log.info(() -> "audit org=" + e.organizationId() + " key=" + e.actorApiKeyId() + " action="
                + e.action() + " " + e.resourceType() + "/" + e.resourceId() + " " + e.details());
    }
}
