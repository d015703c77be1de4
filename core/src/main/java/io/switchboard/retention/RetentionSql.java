package io.switchboard.retention;

import java.time.Instant;
import java.util.UUID;

import io.switchboard.plans.RetentionPeriod;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** SQL forms of retention rules, so bulk re-stamping and sweeping run in the database, not row by row. */
final class RetentionSql {

    private RetentionSql() {
    }

    /**
     * {@code retention_expiry(created, ...)}: the same instant {@link RetentionPeriod#expiry} computes, or
     * SQL NULL for an unlimited period.
     */
    static Field<Instant> expiry(Field<Instant> created, RetentionPeriod p) {
        if (p.unlimited()) {
            return DSL.inline(null, SQLDataType.INSTANT);
        }
        Integer months = p.period().map(x -> (int) x.toTotalMonths()).orElse(null);
        Integer days = p.period().map(x -> x.getDays()).orElse(null);
        Long micros = p.time().map(d -> d.toNanos() / 1000).orElse(null);
        // inlined constants: the same expression may appear in SELECT and GROUP BY, which must match exactly
        return DSL.field("retention_expiry({0}, {1}, {2}, {3})", SQLDataType.INSTANT, created,
                DSL.inline(months, SQLDataType.INTEGER), DSL.inline(days, SQLDataType.INTEGER),
                DSL.inline(micros, SQLDataType.BIGINT));
    }

    /** A standing legal hold covers this call (its organisation, itself, its campaign or its contact). */
    static Condition callHeld(Field<UUID> org, Field<UUID> call) {
        return DSL.condition("call_held({0}, {1})", org, call);
    }

    static Condition dialHeld(Field<UUID> org, Field<UUID> campaign, Field<UUID> contact, Field<UUID> call) {
        return DSL.condition("dial_held({0}, {1}, {2}, {3})", org, campaign, contact, call);
    }

    static Condition contactHeld(Field<UUID> org, Field<UUID> contact) {
        return DSL.condition("contact_held({0}, {1})", org, contact);
    }

    static Condition organizationHeld(Field<UUID> org) {
        return DSL.condition("call_held({0}, NULL)", org);
    }
}
