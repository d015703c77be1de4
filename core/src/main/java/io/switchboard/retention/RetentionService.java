package io.switchboard.retention;

import static io.switchboard.db.Tables.AUDIT_LOG;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.PlanService;
import io.switchboard.plans.RetentionPeriod;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * What retention will do and has done for the caller's organisation: the policy in force, how many items
 * of each class expire on each coming day, what a plan change would delete, and the evidence of every
 * deletion. Legal holds are managed by {@link LegalHolds}.
 */
public final class RetentionService {

    /** The longest window {@link #upcoming} reports, in days. */
    public static final int MAX_DAYS = 366;
    static final int MAX_DRY_RUN_ITEMS = 1000;

    /** How many items of a class expire on one UTC day; {@code held} of them a legal hold keeps. */
    public record DayCount(DataClass dataClass, LocalDate day, long items, long held) {
    }

    /** Overdue items are due but not yet deleted: held, or waiting for the next sweep. */
    public record Upcoming(Instant from, int days, List<DayCount> counts, List<DayCount> overdue) {
    }

    /** @param dataClass a class's config key ({@code recordings}, {@code call-logs}...) or {@code contacts} */
    public record Deletion(long id, String dataClass, String resourceType, String resourceId, int items,
                           Instant dueAt, Instant deletedAt, String reason, String planId) {
    }

    public record DeletionFilter(Optional<DataClass> dataClass, Optional<String> resourceId, Optional<Instant> from,
                                 Optional<Instant> to) {
        public static final DeletionFilter ALL = new DeletionFilter(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final PolicyChanges changes;

    public RetentionService(DSLContext dsl, Clock clock, PlanService plans, PolicyChanges changes) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.changes = changes;
    }

    public EffectivePolicy effectivePolicy(Principal actor) {
        return plans.effectivePolicy(actor);
    }

    /** Counts by class and UTC day of what expires in the next {@code days} days (1..366; 0 means 30). */
    public Upcoming upcoming(Principal actor, int days) {
        actor.require(Role.VIEWER, "reading retention");
        if (days < 0 || days > MAX_DAYS) {
            throw new SwitchboardException.InvalidArgument("days", "must be between 1 and " + MAX_DAYS + " (0: 30)");
        }
        int window = days == 0 ? 30 : days;
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Instant end = now.atZone(ZoneOffset.UTC).toLocalDate().plusDays(window).atStartOfDay(ZoneOffset.UTC).toInstant();
        UUID org = actor.organizationId();
        List<DayCount> counts = new ArrayList<>();
        List<DayCount> overdue = new ArrayList<>();
        for (StampedClass s : StampedClass.ALL) {
            collect(s.dataClass(), s.expiresAt(), DSL.field(s.notHeld()), s.organizationId().eq(org).and(s.present()),
                    s.table(), now, end, counts, overdue);
        }
        EffectivePolicy policy = plans.effectivePolicy(org);
        RetentionPeriod audit = policy.retention(DataClass.AUDIT_LOG);
        if (!audit.unlimited()) {
            collect(DataClass.AUDIT_LOG, RetentionSql.expiry(AUDIT_LOG.AT, audit),
                    DSL.field(RetentionSql.organizationHeld(AUDIT_LOG.ORGANIZATION_ID).not()),
                    AUDIT_LOG.ORGANIZATION_ID.eq(org), AUDIT_LOG, now, end, counts, overdue);
        }
        return new Upcoming(now, window, counts, overdue);
    }

    private void collect(DataClass c, Field<Instant> expiresAt, Field<Boolean> free, Condition where,
                         org.jooq.Table<?> table, Instant now, Instant end, List<DayCount> counts, List<DayCount> overdue) {
        Field<LocalDate> day = DSL.field("(({0}) AT TIME ZONE 'UTC')::date", SQLDataType.LOCALDATE, expiresAt);
        Field<Boolean> due = DSL.field(expiresAt.le(DSL.inline(now))); // inline: GROUP BY must see one expression
        var rows = dsl.select(due, day, DSL.count(), DSL.count().filterWhere(free.isFalse())).from(table)
                .where(where).and(expiresAt.lt(end)).groupBy(due, day).orderBy(day).fetch();
        for (var r : rows) {
            DayCount dc = new DayCount(c, r.value2(), r.value3(), r.value4());
            (Boolean.TRUE.equals(r.value1()) ? overdue : counts).add(dc);
        }
    }

    /**
     * What moving to {@code planId} would do to data already stored: per class, how many items expire sooner or
     * later, and which items would be deleted at the end of the grace period because of the change.
     */
    public PolicyChanges.Report dryRunPlanChange(Principal actor, String planId) {
        actor.require(Role.ADMIN, "dry-running a plan change");
        EffectivePolicy before = plans.effectivePolicy(actor.organizationId());
        EffectivePolicy after = plans.policyOnPlan(actor.organizationId(), planId);
        return changes.dryRun(dsl, before, after, clock.instant().truncatedTo(ChronoUnit.MICROS), MAX_DRY_RUN_ITEMS);
    }

    public Duration downgradeGrace() {
        return changes.grace();
    }

    /** Deletion evidence, newest first. */
    public Page<Deletion> deletions(Principal actor, DeletionFilter filter, int pageSize, String pageToken) {
        actor.require(Role.ADMIN, "reading deletion evidence");
        String scope = "deletions:" + filter.dataClass().map(DataClass::configKey).orElse("") + ":"
                + filter.resourceId().orElse("") + ":" + filter.from().map(Instant::toString).orElse("") + ":"
                + filter.to().map(Instant::toString).orElse("");
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition where = RETENTION_DELETIONS.ORGANIZATION_ID.eq(actor.organizationId());
        if (filter.dataClass().isPresent()) {
            where = where.and(RETENTION_DELETIONS.DATA_CLASS.eq(filter.dataClass().get().configKey()));
        }
        if (filter.resourceId().isPresent()) {
            where = where.and(RETENTION_DELETIONS.RESOURCE_ID.eq(filter.resourceId().get()));
        }
        if (filter.from().isPresent()) {
            where = where.and(RETENTION_DELETIONS.DELETED_AT.ge(filter.from().get()));
        }
        if (filter.to().isPresent()) {
            where = where.and(RETENTION_DELETIONS.DELETED_AT.lt(filter.to().get()));
        }
        if (page.after().isPresent()) { // ids are a sequence; the cursor carries the last one in its low bits
            where = where.and(RETENTION_DELETIONS.ID.lt(page.after().get().id().getLeastSignificantBits()));
        }
        List<Deletion> rows = dsl.selectFrom(RETENTION_DELETIONS).where(where).orderBy(RETENTION_DELETIONS.ID.desc())
                .limit(page.pageSize() + 1)
                .fetch(r -> new Deletion(r.getId(), r.getDataClass(), r.getResourceType(),
                        r.getResourceId(), r.getItems(), r.getExpiredAt(), r.getDeletedAt(), r.getReason(), r.getPlanId()));
        return Page.of(rows, page.pageSize(), d -> new PageRequest.Cursor(d.deletedAt(), new UUID(0, d.id())), scope);
    }

    /**
     * Retention lag across all organisations, for monitoring: per class, how long the oldest item that is
     * due (and not held) has outlived its expiry; classes with nothing due are absent. Each probe is an index
     * scan on the class's expiry column.
     */
    public Map<DataClass, java.time.Duration> lag(Instant now) {
        Map<DataClass, java.time.Duration> lag = new java.util.EnumMap<>(DataClass.class);
        for (StampedClass s : StampedClass.ALL) {
            Instant oldest = dsl.select(DSL.min(s.expiresAt())).from(s.table()).where(s.expiresAt().le(now))
                    .and(s.present()).and(s.notHeld()).fetchOne(0, Instant.class);
            if (oldest != null) {
                lag.merge(s.dataClass(), java.time.Duration.between(oldest, now),
                        (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }
        return lag;
    }
}