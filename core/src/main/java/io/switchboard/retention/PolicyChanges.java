package io.switchboard.retention;

import static io.switchboard.db.Tables.ORGANIZATIONS;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.db.tables.records.OrganizationsRecord;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.RetentionPeriod;
import io.switchboard.plans.RetentionReevaluation;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Re-evaluates the expiries of stored data when an organisation's policy changes. Every item's expiry is
 * re-computed from its creation instant under the new policy, in the database, in the change's own
 * transaction. An upgrade extends at once. A downgrade never deletes sooner than the grace period after
 * the change (nor later than the item was already due): {@code new >= old ? new : max(new, min(old, change + grace))}.
 * The dry run computes exactly the same expression without writing, so what it lists is what goes.
 */
public final class PolicyChanges implements RetentionReevaluation {

    /** The default grace before a downgrade deletes anything that the old policy kept. */
    public static final Duration DEFAULT_GRACE = Duration.ofDays(7);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Duration grace;

    public PolicyChanges(Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("retention.downgrade-grace must not be negative");
        }
        this.grace = grace;
    }

    public Duration grace() {
        return grace;
    }

    /**
     * What a change does to one class of data.
     *
     * @param items            stored items of the class
     * @param shortened        items whose expiry comes sooner
     * @param extended         items whose expiry comes later (or never)
     * @param goneByGraceEnd   items deleted by the end of the grace period, for whatever reason
     * @param goneBecauseOfChange of those, items the old policy would have kept past the grace period
     * @param held             items that would go by the grace end but a legal hold keeps
     */
    public record ClassImpact(DataClass dataClass, RetentionPeriod from, RetentionPeriod to, long items,
                              long shortened, long extended, long goneByGraceEnd, long goneBecauseOfChange, long held) {
    }

    /** Items of one call (or, for usage records without a call, of the organisation) the change deletes. */
    public record Item(DataClass dataClass, Optional<UUID> callId, long items, Instant deletedAt) {
    }

    public record Report(UUID organizationId, String fromPlanId, String toPlanId, Instant at, Instant graceEnds,
                         List<ClassImpact> impacts, List<Item> items, boolean itemsTruncated) {
    }

    /** Reports what {@link #policyChanged} would do at {@code at}, listing at most {@code maxItems} items. */
    public Report dryRun(DSLContext dsl, EffectivePolicy before, EffectivePolicy after, Instant at, int maxItems) {
        Instant graceEnd = at.plus(grace);
        List<ClassImpact> impacts = new ArrayList<>();
        List<Item> items = new ArrayList<>();
        boolean truncated = false;
        for (StampedClass s : StampedClass.ALL) {
            RetentionPeriod from = before.retention(s.dataClass());
            RetentionPeriod to = after.retention(s.dataClass());
            var base = dsl.select(s.callId().as("call_id"), s.expiresAt().as("old"),
                            restamped(s, to, graceEnd).as("fin"), DSL.field(s.notHeld()).as("free"))
                    .from(s.table()).where(s.organizationId().eq(before.organizationId())).and(s.present())
                    .asTable("x");
            Field<Instant> old = base.field("old", SQLDataType.INSTANT);
            Field<Instant> fin = base.field("fin", SQLDataType.INSTANT);
            Field<Boolean> free = base.field("free", SQLDataType.BOOLEAN);
            var goneByEnd = fin.le(graceEnd);
            var becauseOfChange = goneByEnd.and(old.isNull().or(old.gt(graceEnd))).and(free.isTrue());
            var counts = dsl.select(DSL.count(),
                            DSL.count().filterWhere(old.isNull().and(fin.isNotNull()).or(fin.lt(old))),
                            DSL.count().filterWhere(fin.isNull().and(old.isNotNull()).or(fin.gt(old))),
                            DSL.count().filterWhere(goneByEnd.and(free.isTrue())),
                            DSL.count().filterWhere(becauseOfChange),
                            DSL.count().filterWhere(goneByEnd.and(free.isFalse())))
                    .from(base).fetchSingle();
            impacts.add(new ClassImpact(s.dataClass(), from, to, counts.value1(), counts.value2(), counts.value3(),
                    counts.value4(), counts.value5(), counts.value6()));
            if (counts.value5() > 0 && items.size() < maxItems) {
                Field<UUID> call = base.field("call_id", SQLDataType.UUID);
                var rows = dsl.select(call, DSL.count(), DSL.max(fin)).from(base).where(becauseOfChange)
                        .groupBy(call).orderBy(DSL.max(fin), call).limit(maxItems - items.size() + 1).fetch();
                for (var r : rows) {
                    if (items.size() == maxItems) {
                        truncated = true;
                        break;
                    }
                    items.add(new Item(s.dataClass(), Optional.ofNullable(r.value1()), r.value2(), r.value3()));
                }
            } else if (counts.value5() > 0) {
                truncated = true;
            }
        }
        return new Report(before.organizationId(), before.planId(), after.planId(), at, graceEnd, impacts, items,
                truncated);
    }

    @Override
    public void policyChanged(DSLContext tx, EffectivePolicy before, EffectivePolicy after, Instant at) {
        Instant graceEnd = at.plus(grace);
        for (StampedClass s : StampedClass.ALL) {
            if (!before.retention(s.dataClass()).equals(after.retention(s.dataClass()))) {
                restamp(tx, s, after, graceEnd);
            }
        }
        rememberShortenedAudit(tx, before, after, at, graceEnd);
    }

    @Override
    public void restampAll(DSLContext tx, EffectivePolicy after, Instant at) {
        for (StampedClass s : StampedClass.ALL) {
            restamp(tx, s, after, at.plus(grace));
        }
    }

    private static void restamp(DSLContext tx, StampedClass s, EffectivePolicy after, Instant graceEnd) {
        Field<Instant> fin = restamped(s, after.retention(s.dataClass()), graceEnd);
        tx.update(s.table()).set(s.expiresAt(), fin)
                .where(s.organizationId().eq(after.organizationId())).and(s.present())
                .and(s.expiresAt().isDistinctFrom(fin)).execute();
    }

    /**
     * Audit entries cannot be re-stamped (they are immutable); pruning applies the policy in force. So that a
     * downgrade keeps its grace there too, the periods before the change are kept until the grace ends.
     */
    private static void rememberShortenedAudit(DSLContext tx, EffectivePolicy before, EffectivePolicy after,
                                               Instant at, Instant graceEnd) {
        RetentionPeriod was = before.retention(DataClass.AUDIT_LOG);
        if (after.retention(DataClass.AUDIT_LOG).atLeast(was)) {
            return;
        }
        OrganizationsRecord org = tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(before.organizationId()))
                .fetchSingle();
        Optional<RetentionPeriod> pending = auditPeriodInGrace(org, at);
        if (pending.isPresent() && pending.get().atLeast(was)) {
            was = pending.get();
        }
        ObjectNode json = JSON.createObjectNode().put(DataClass.AUDIT_LOG.configKey(), was.toString());
        tx.update(ORGANIZATIONS).set(ORGANIZATIONS.RETENTION_GRACE_UNTIL, graceEnd)
                .set(ORGANIZATIONS.RETENTION_BEFORE_CHANGE, JSONB.jsonb(json.toString()))
                .where(ORGANIZATIONS.ID.eq(org.getId())).execute();
    }

    /** The audit period a downgrade's grace still protects at {@code now}, if any. */
    static Optional<RetentionPeriod> auditPeriodInGrace(OrganizationsRecord org, Instant now) {
        if (org.getRetentionGraceUntil() == null || !org.getRetentionGraceUntil().isAfter(now)
                || org.getRetentionBeforeChange() == null) {
            return Optional.empty();
        }
        try {
            var node = JSON.readTree(org.getRetentionBeforeChange().data()).get(DataClass.AUDIT_LOG.configKey());
            return node == null ? Optional.empty() : Optional.of(RetentionPeriod.parse(node.asText()));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalStateException("organisation " + org.getId() + " has unreadable retention_before_change", e);
        }
    }

    /** The expiry an item gets under {@code to}; see the class comment. */
    private static Field<Instant> restamped(StampedClass s, RetentionPeriod to, Instant graceEnd) {
        Field<Instant> fresh = RetentionSql.expiry(s.createdAt(), to);
        return DSL.field("CASE WHEN {0} IS NULL THEN NULL WHEN {1} IS NULL OR {0} < {1} "
                        + "THEN GREATEST({0}, LEAST({1}, {2})) ELSE {0} END", SQLDataType.INSTANT,
                fresh, s.expiresAt(), DSL.val(graceEnd, SQLDataType.INSTANT));
    }

    /** Impacts keyed by class, for callers that look one up. */
    public static Map<DataClass, ClassImpact> byClass(Report r) {
        Map<DataClass, ClassImpact> m = new LinkedHashMap<>();
        r.impacts().forEach(i -> m.put(i.dataClass(), i));
        return m;
    }
}
