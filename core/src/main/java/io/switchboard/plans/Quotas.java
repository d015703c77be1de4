package io.switchboard.plans;

import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Count limits from the plan (agents, campaigns). The check takes a per-organisation, per-kind advisory
 * lock for the rest of the transaction, so two concurrent creates cannot both squeeze under the limit.
 */
public final class Quotas {

    private Quotas() {
    }

    /**
     * @param limit 0 means unlimited
     * @param countLive counts the live rows of this kind, run after the lock is held
     */
    public static void check(DSLContext tx, UUID orgId, String kind, int limit, java.util.function.IntSupplier countLive) {
        if (limit <= 0) {
            return;
        }
        lock(tx, orgId, kind);
        int live = countLive.getAsInt();
        if (live >= limit) {
            throw new SwitchboardException.ResourceExhausted("quota:" + kind,
                    "the plan allows " + limit + " " + kind + "; the organisation has " + live
                            + ". Delete one or move to a larger plan");
        }
    }

    /**
     * Holds the organisation's lock for {@code kind} until {@code tx} ends: whoever counts and then adds a
     * {@code kind} under it cannot be overtaken by a concurrent transaction doing the same.
     */
    public static void lock(DSLContext tx, UUID orgId, String kind) {
        tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))", kind + ":" + orgId)).fetch();
    }
}
