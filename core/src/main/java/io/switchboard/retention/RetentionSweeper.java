package io.switchboard.retention;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.AGENT_VERSIONS;
import static io.switchboard.db.Tables.API_KEYS;
import static io.switchboard.db.Tables.AUDIT_LOG;
import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_STAGES;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_TRANSITIONS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.CONTACT_LISTS;
import static io.switchboard.db.Tables.CONTACT_LIST_MEMBERS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static io.switchboard.db.Tables.DIAL_REFUSALS;
import static io.switchboard.db.Tables.JOBS;
import static io.switchboard.db.Tables.MESSAGES;
import static io.switchboard.db.Tables.MESSAGE_TEMPLATES;
import static io.switchboard.db.Tables.MESSAGING_SENDERS;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;
import static io.switchboard.db.Tables.USAGE_RECORDS;
import static io.switchboard.db.Tables.USERS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audit.AuditLog;
import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.db.tables.records.OrganizationsRecord;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.PlanService;
import io.switchboard.plans.RetentionPeriod;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.webhooks.WebhookEvent;
import io.switchboard.webhooks.Webhooks;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Deletes what retention or a delete says must go, in bounded batches ({@code batch} items per kind and
 * pass), each batch in one transaction with {@code FOR UPDATE SKIP LOCKED} so any number of workers can
 * sweep at once without deleting anything twice:
 * <ul>
 *   <li>expired recordings (the object in storage first, then the row's reference), transcript segments,
 *       summaries, call logs (the call with all it still holds) and usage records;</li>
 *   <li>calls and contacts deleted 30 days ago, and organisations whose closure ran out (all but their
 *       usage records and audit trail, which keep their own periods);</li>
 *   <li>expired audit entries, by cutting the organisation's chain behind a signed checkpoint.</li>
 * </ul>
 * Nothing a standing legal hold covers is touched. Every deletion leaves a {@code retention_deletions} row:
 * class, resource, item count, when it was due, when it went, why, and the plan in force.
 *
 * <p>The lag between expiry and deletion is bounded by the sweep interval plus the time to work off what
 * became due in the same interval; {@link #sweepAll()} repeats passes until a pass finds less than a batch.
 */
public final class RetentionSweeper {

    private static final Logger LOG = Logger.getLogger(RetentionSweeper.class.getName());

    /** What one pass deleted. */
    public record Result(int recordings, int transcriptSegments, int summaries, int callLogs, int usageRecords,
                         long auditEntries, int deletedCalls, int deletedContacts, int closedOrganizations,
                         int messages) {

        public Result(int recordings, int transcriptSegments, int summaries, int callLogs, int usageRecords,
                      long auditEntries, int deletedCalls, int deletedContacts, int closedOrganizations) {
            this(recordings, transcriptSegments, summaries, callLogs, usageRecords, auditEntries, deletedCalls,
                    deletedContacts, closedOrganizations, 0);
        }

        public long total() {
            return recordings + transcriptSegments + summaries + callLogs + usageRecords + auditEntries + deletedCalls
                    + deletedContacts + closedOrganizations + messages;
        }

        Result plus(Result o) {
            return new Result(recordings + o.recordings, transcriptSegments + o.transcriptSegments,
                    summaries + o.summaries, callLogs + o.callLogs, usageRecords + o.usageRecords,
                    auditEntries + o.auditEntries, deletedCalls + o.deletedCalls, deletedContacts + o.deletedContacts,
                    closedOrganizations + o.closedOrganizations, messages + o.messages);
        }

        boolean anyFull(int batch) {
            return recordings >= batch || transcriptSegments >= batch || summaries >= batch || callLogs >= batch
                    || usageRecords >= batch || deletedCalls >= batch || deletedContacts >= batch;
        }
    }

    private enum Reason {
        EXPIRED, DELETED, CLOSED;

        String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How often a long {@link #sweepAll()} repeats the passes that walk every organisation. */
    static final Duration WHOLE_PASS_EVERY = Duration.ofSeconds(10);

    /** Deleted contacts are evidenced under their own name: contacts are no retention class. */
    private static final String CONTACTS_CLASS = "contacts";

    private final DSLContext dsl;
    private final Clock clock;
    private final RecordingStore store;
    private final AuditLog auditLog;
    private final PlanService plans;
    private final Webhooks webhooks;
    private final int batch;

    /** Without webhooks of its own: retention.deleted goes to the organisations' endpoints all the same. */
    public RetentionSweeper(DSLContext dsl, Clock clock, RecordingStore store, AuditLog auditLog, PlanService plans,
                            int batch) {
        this(dsl, clock, store, auditLog, plans, new Webhooks(dsl, clock, e -> { }), batch);
    }

    /** @param webhooks queues one retention.deleted event per organisation, class and batch */
    public RetentionSweeper(DSLContext dsl, Clock clock, RecordingStore store, AuditLog auditLog, PlanService plans,
                            Webhooks webhooks, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("retention.batch must be at least 1");
        }
        this.dsl = dsl;
        this.clock = clock;
        this.store = store;
        this.auditLog = auditLog;
        this.plans = plans;
        this.webhooks = webhooks;
        this.batch = batch;
    }

    /**
     * Passes until one finds less than a full batch of every kind; returns the totals. Every pass takes each
     * kind of item, so one kind's backlog never starves another's; audit pruning and organisation closures,
     * which walk every organisation, run in the first pass and then at most every {@link #WHOLE_PASS_EVERY}.
     */
    public Result sweepAll() {
        Result total = pass(true);
        Result last = total;
        long wholeAt = System.nanoTime();
        while (last.anyFull(batch)) {
            boolean whole = System.nanoTime() - wholeAt > WHOLE_PASS_EVERY.toNanos();
            if (whole) {
                wholeAt = System.nanoTime();
            }
            last = pass(whole);
            total = total.plus(last);
        }
        return total;
    }

    /** One pass: at most {@code batch} items of each kind (audit pruning and closures whole). */
    public Result sweep() {
        return pass(true);
    }

    /**
     * One batch of each kind of item; with {@code whole}, also the passes that walk every organisation: closures
     * (their calls and contacts marked first, so this pass purges them; finished last) and audit pruning.
     */
    private Result pass(boolean whole) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        List<UUID> closing = whole ? closingOrganizations(now) : List.of();
        Result items = new Result(recordings(now), transcripts(now), summaries(now), callLogs(now)
                + expiredRows(StampedClass.DIAL_ATTEMPTS_CLASS, DIAL_ATTEMPTS.ID, now)
                + expiredRows(StampedClass.DIAL_REFUSALS_CLASS, DIAL_REFUSALS.ID, now),
                expiredRows(StampedClass.USAGE_RECORDS_CLASS, USAGE_RECORDS.ID, now),
                whole ? auditEntries(now) : 0, deletedCalls(now), deletedContacts(now), 0,
                expiredRows(StampedClass.MESSAGES_CLASS, MESSAGES.ID, now));
        return items.plus(new Result(0, 0, 0, 0, 0, 0, 0, 0, finishClosures(closing, now)));
    }

    // ------------------------------------------------------------------ content of calls

    private int recordings(Instant now) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var due = tx.select(CALLS.ID, CALLS.ORGANIZATION_ID, CALLS.RECORDING_KEY, CALLS.RECORDING_EXPIRES_AT)
                    .from(CALLS).where(CALLS.RECORDING_EXPIRES_AT.le(now))
                    .and(CALLS.RECORDING_KEY.isNotNull()).and(StampedClass.RECORDINGS.notHeld())
                    .orderBy(CALLS.RECORDING_EXPIRES_AT).limit(batch).forUpdate().skipLocked().fetch();
            if (due.isEmpty()) {
                return 0;
            }
            // first the objects: a crash here leaves rows to retry, not orphans
            store.deleteAll(due.map(r -> r.value3()));
            tx.update(CALLS).set(CALLS.RECORDING_KEY, (String) null).set(CALLS.RECORDING_DELETED_AT, now)
                    .set(CALLS.UPDATED_AT, now).where(CALLS.ID.in(due.map(r -> r.value1()))).execute();
            Map<UUID, String> plans = plans(tx, due.map(r -> r.value2()));
            Evidence ev = new Evidence();
            for (var r : due) {
                ev.add(r.value2(), DataClass.RECORDINGS, "call", r.value1().toString(), 1, r.value4(), now, Reason.EXPIRED,
                        plans.get(r.value2()));
            }
            ev.write(tx, webhooks);
            return due.size();
        });
    }

    /** One call's share of a pass: how many items went, and when the latest of them had expired. */
    private record PerCall(UUID org, int items, Instant expiredAt) {
        PerCall plus(PerCall o) {
            return new PerCall(org, items + o.items, expiredAt.isAfter(o.expiredAt) ? expiredAt : o.expiredAt);
        }
    }

    private int transcripts(Instant now) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            // one statement: pick (SKIP LOCKED) and delete, returning what went
            var due = tx.deleteFrom(TRANSCRIPT_SEGMENTS).where(DSL.row(TRANSCRIPT_SEGMENTS.CALL_ID,
                            TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ).in(
                            DSL.select(TRANSCRIPT_SEGMENTS.CALL_ID, TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ)
                                    .from(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.EXPIRES_AT.le(now))
                                    .and(StampedClass.TRANSCRIPTS.notHeld()).orderBy(TRANSCRIPT_SEGMENTS.EXPIRES_AT)
                                    .limit(batch).forUpdate().skipLocked()))
                    .returningResult(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID, TRANSCRIPT_SEGMENTS.CALL_ID,
                            TRANSCRIPT_SEGMENTS.EXPIRES_AT).fetch();
            if (due.isEmpty()) {
                return 0;
            }
            Map<UUID, PerCall> perCall = new LinkedHashMap<>();
            for (var r : due) {
                perCall.merge(r.value2(), new PerCall(r.value1(), 1, r.value3()), PerCall::plus);
            }
            Map<UUID, String> plans = plans(tx, perCall.values().stream().map(PerCall::org).toList());
            Evidence ev = new Evidence();
            perCall.forEach((call, p) -> ev.add(p.org(), DataClass.TRANSCRIPTS, "call", call.toString(), p.items(),
                    p.expiredAt(), now, Reason.EXPIRED, plans.get(p.org())));
            ev.write(tx, webhooks);
            return due.size();
        });
    }

    private int summaries(Instant now) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var due = tx.deleteFrom(CALL_SUMMARIES).where(CALL_SUMMARIES.CALL_ID.in(DSL.select(CALL_SUMMARIES.CALL_ID)
                            .from(CALL_SUMMARIES).where(CALL_SUMMARIES.EXPIRES_AT.le(now))
                            .and(StampedClass.SUMMARIES.notHeld()).orderBy(CALL_SUMMARIES.EXPIRES_AT).limit(batch)
                            .forUpdate().skipLocked()))
                    .returningResult(CALL_SUMMARIES.ORGANIZATION_ID, CALL_SUMMARIES.CALL_ID, CALL_SUMMARIES.EXPIRES_AT)
                    .fetch();
            if (due.isEmpty()) {
                return 0;
            }
            Map<UUID, String> plans = plans(tx, due.map(r -> r.value1()));
            Evidence ev = new Evidence();
            for (var r : due) {
                ev.add(r.value1(), DataClass.SUMMARIES, "call", r.value2().toString(), 1, r.value3(), now,
                        Reason.EXPIRED, plans.get(r.value1()));
            }
            ev.write(tx, webhooks);
            return due.size();
        });
    }

    // ------------------------------------------------------------------ whole calls

    /** Calls whose call log expired: the call goes with everything it still holds. */
    private int callLogs(Instant now) {
        return purgeCalls(CALLS.EXPIRES_AT, now, false);
    }

    /** Calls deleted (or of a closed organisation) whose 30 days are up. */
    private int deletedCalls(Instant now) {
        return purgeCalls(CALLS.PURGE_AT, now, true);
    }

    private int purgeCalls(Field<Instant> dueAt, Instant now, boolean deleted) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            List<CallsRecord> due = tx.selectFrom(CALLS).where(dueAt.le(now)).and(StampedClass.CALL_LOGS.notHeld())
                    .orderBy(dueAt).limit(batch).forUpdate().skipLocked().fetch();
            if (due.isEmpty()) {
                return 0;
            }
            List<UUID> orgs = due.stream().map(CallsRecord::getOrganizationId).toList();
            Map<UUID, String> plans = plans(tx, orgs);
            Map<UUID, Boolean> closing = tx.select(ORGANIZATIONS.ID, ORGANIZATIONS.DELETED_AT.isNotNull())
                    .from(ORGANIZATIONS).where(ORGANIZATIONS.ID.in(orgs)).fetchMap(r -> r.value1(), r -> r.value2());
            // first the objects, in few requests: a crash after this leaves rows to retry, not orphans
            store.deleteAll(due.stream().flatMap(c -> objectsOf(c).stream()).toList());
            Evidence ev = new Evidence();
            for (CallsRecord c : due) {
                Reason why = !deleted ? Reason.EXPIRED : closing.get(c.getOrganizationId()) ? Reason.CLOSED : Reason.DELETED;
                purgeCall(tx, ev, c, c.get(dueAt), now, why, plans.get(c.getOrganizationId()));
            }
            ev.write(tx, webhooks);
            return due.size();
        });
    }

    private void purgeCall(DSLContext tx, Evidence ev, CallsRecord c, Instant due, Instant now, Reason why, String plan) {
        UUID org = c.getOrganizationId();
        String id = c.getId().toString();
        if (c.getRecordingKey() != null || (c.getRecordingDeletedAt() == null && c.getAudioSegments() > 0)) {
            ev.add(org, DataClass.RECORDINGS, "call", id, 1, due, now, why, plan);
        }
        int segments = tx.deleteFrom(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(c.getId())).execute();
        if (segments > 0) {
            ev.add(org, DataClass.TRANSCRIPTS, "call", id, segments, due, now, why, plan);
        }
        if (tx.deleteFrom(CALL_SUMMARIES).where(CALL_SUMMARIES.CALL_ID.eq(c.getId())).execute() > 0) {
            ev.add(org, DataClass.SUMMARIES, "call", id, 1, due, now, why, plan);
        }
        tx.deleteFrom(CALL_STAGES).where(CALL_STAGES.CALL_ID.eq(c.getId())).execute();
        tx.deleteFrom(CALLS).where(CALLS.ID.eq(c.getId())).execute();
        ev.add(org, DataClass.CALL_LOGS, "call", id, 1, due, now, why, plan);
    }

    /**
     * The call's objects in storage: its assembled recording and the segments it was assembled from (the
     * pipeline deletes those after assembly, but a crash in between leaves them; a missing key is no error).
     */
    private static List<String> objectsOf(CallsRecord c) {
        List<String> keys = new ArrayList<>(RecordingStore.segmentKeys(c.getOrganizationId(), c.getId(),
                c.getAudioSegments()));
        if (c.getRecordingKey() != null) {
            keys.add(c.getRecordingKey());
        }
        return keys;
    }

    // ------------------------------------------------------------------ usage records, contacts

    /**
     * Expired rows of a class with nothing outside the database (usage records, dial attempts and refusals):
     * deleted in one statement, evidenced per organisation.
     */
    private <K> int expiredRows(StampedClass s, Field<K> key, Instant now) {
        @SuppressWarnings("unchecked")
        Table<Record> table = (Table<Record>) s.table();
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var due = tx.deleteFrom(table).where(key.in(DSL.select(key).from(table).where(s.expiresAt().le(now))
                            .and(s.notHeld()).orderBy(s.expiresAt()).limit(batch).forUpdate().skipLocked()))
                    .returningResult(s.organizationId(), s.expiresAt()).fetch();
            if (due.isEmpty()) {
                return 0;
            }
            Map<UUID, PerCall> perOrg = new LinkedHashMap<>();
            for (var r : due) {
                perOrg.merge(r.value1(), new PerCall(r.value1(), 1, r.value2()), PerCall::plus);
            }
            Map<UUID, String> plans = plans(tx, List.copyOf(perOrg.keySet()));
            Evidence ev = new Evidence();
            perOrg.forEach((org, p) -> ev.add(org, s.dataClass(), "organization", org.toString(),
                    p.items(), p.expiredAt(), now, Reason.EXPIRED, plans.get(org)));
            ev.write(tx, webhooks);
            return due.size();
        });
    }

    /** Contacts deleted 30 days ago: the row goes; calls that reached it stay, no longer pointing at it. */
    private int deletedContacts(Instant now) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var due = tx.select(CONTACTS.ID, CONTACTS.ORGANIZATION_ID, CONTACTS.PURGE_AT).from(CONTACTS)
                    .where(CONTACTS.PURGE_AT.le(now))
                    .and(RetentionSql.contactHeld(CONTACTS.ORGANIZATION_ID, CONTACTS.ID).not())
                    .orderBy(CONTACTS.PURGE_AT).limit(batch).forUpdate().skipLocked().fetch();
            if (due.isEmpty()) {
                return 0;
            }
            List<UUID> ids = due.map(r -> r.value1());
            tx.update(CALLS).set(CALLS.CONTACT_ID, (UUID) null).where(CALLS.CONTACT_ID.in(ids)).execute();
            tx.deleteFrom(CONTACT_LIST_MEMBERS).where(CONTACT_LIST_MEMBERS.CONTACT_ID.in(ids)).execute();
            tx.deleteFrom(CONTACTS).where(CONTACTS.ID.in(ids)).execute();
            Map<UUID, String> plans = plans(tx, due.map(r -> r.value2()));
            Map<UUID, Boolean> closing = tx.select(ORGANIZATIONS.ID, ORGANIZATIONS.DELETED_AT.isNotNull())
                    .from(ORGANIZATIONS).where(ORGANIZATIONS.ID.in(due.map(r -> r.value2())))
                    .fetchMap(r -> r.value1(), r -> r.value2());
            Evidence ev = new Evidence();
            for (var r : due) {
                ev.add(r.value2(), CONTACTS_CLASS, "contact", r.value1().toString(), 1, r.value3(), now,
                        closing.get(r.value2()) ? Reason.CLOSED : Reason.DELETED, plans.get(r.value2()));
            }
            ev.write(tx, webhooks);
            return due.size();
        });
    }

    // ------------------------------------------------------------------ closed organisations

    /*
     * Organisations whose closure ran out: their calls and contacts are marked due (the passes purge them in
     * batches); once none is left, the rest goes (campaigns, lists, agents), users are anonymised, keys revoked
     * and the organisation keeps only its id, plan, usage records and audit trail.
     */

    private List<UUID> closingOrganizations(Instant now) {
        List<UUID> due = dsl.select(ORGANIZATIONS.ID).from(ORGANIZATIONS).where(ORGANIZATIONS.PURGE_AT.le(now))
                .and(ORGANIZATIONS.PURGED_AT.isNull()).and(RetentionSql.organizationHeld(ORGANIZATIONS.ID).not())
                .limit(batch).fetch(ORGANIZATIONS.ID);
        for (UUID org : due) {
            dsl.transaction(cfg -> {
                DSLContext tx = DSL.using(cfg);
                Instant purgeAt = tx.select(ORGANIZATIONS.PURGE_AT).from(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(org))
                        .fetchSingle(ORGANIZATIONS.PURGE_AT);
                tx.update(CALLS).set(CALLS.DELETED_AT, DSL.coalesce(CALLS.DELETED_AT, DSL.val(now)))
                        .set(CALLS.PURGE_AT, purgeAt).where(CALLS.ORGANIZATION_ID.eq(org))
                        .and(CALLS.PURGE_AT.isNull().or(CALLS.PURGE_AT.gt(purgeAt))).execute();
                tx.update(CONTACTS).set(CONTACTS.DELETED_AT, DSL.coalesce(CONTACTS.DELETED_AT, DSL.val(now)))
                        .set(CONTACTS.PURGE_AT, purgeAt).where(CONTACTS.ORGANIZATION_ID.eq(org))
                        .and(CONTACTS.PURGE_AT.isNull().or(CONTACTS.PURGE_AT.gt(purgeAt))).execute();
            });
        }
        return due;
    }

    /** Closing organisations whose calls and contacts are all purged: the rest goes; returns how many finished. */
    private int finishClosures(List<UUID> closing, Instant now) {
        int finished = 0;
        for (UUID org : closing) {
            finished += dsl.transactionResult(cfg -> {
                DSLContext tx = DSL.using(cfg);
                if (tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(org)).and(ORGANIZATIONS.PURGED_AT.isNull())
                        .forUpdate().skipLocked().fetchOne() == null
                        || tx.fetchExists(CALLS, CALLS.ORGANIZATION_ID.eq(org))
                        || tx.fetchExists(CONTACTS, CONTACTS.ORGANIZATION_ID.eq(org))) {
                    return 0; // another worker has it, or the next passes purge what is left
                }
                tx.deleteFrom(JOBS).where(JOBS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(MESSAGES).where(MESSAGES.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(MESSAGE_TEMPLATES).where(MESSAGE_TEMPLATES.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(MESSAGING_SENDERS).where(MESSAGING_SENDERS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(CAMPAIGN_TRANSITIONS).where(CAMPAIGN_TRANSITIONS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(CAMPAIGNS).where(CAMPAIGNS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(CONTACT_LIST_MEMBERS).where(CONTACT_LIST_MEMBERS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(CONTACT_LISTS).where(CONTACT_LISTS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(AGENT_VERSIONS).where(AGENT_VERSIONS.ORGANIZATION_ID.eq(org)).execute();
                tx.deleteFrom(AGENTS).where(AGENTS.ORGANIZATION_ID.eq(org)).execute();
                tx.update(API_KEYS).set(API_KEYS.REVOKED_AT, now).where(API_KEYS.ORGANIZATION_ID.eq(org))
                        .and(API_KEYS.REVOKED_AT.isNull()).execute();
                tx.update(USERS).set(USERS.EMAIL, DSL.concat(DSL.val("closed+"), USERS.ID.cast(SQLDataType.VARCHAR),
                                DSL.val("@invalid.example"))).set(USERS.DISPLAY_NAME, "")
                        .set(USERS.DELETED_AT, DSL.coalesce(USERS.DELETED_AT, DSL.val(now))).set(USERS.UPDATED_AT, now)
                        .where(USERS.ORGANIZATION_ID.eq(org)).execute();
                tx.update(ORGANIZATIONS).set(ORGANIZATIONS.NAME, "closed organisation").set(ORGANIZATIONS.PURGED_AT, now)
                        .set(ORGANIZATIONS.UPDATED_AT, now).where(ORGANIZATIONS.ID.eq(org)).execute();
                return 1;
            });
        }
        return finished;
    }

    // ------------------------------------------------------------------ audit entries

    /**
     * Audit entries are immutable, so their retention is the policy in force (during a downgrade's grace, the
     * longer of the old and new periods): each organisation's chain is cut before its first unexpired entry,
     * behind a signed pruning checkpoint, unless an organisation-wide hold stands.
     */
    private long auditEntries(Instant now) {
        Field<Instant> oldest = DSL.field(DSL.select(AUDIT_LOG.AT).from(AUDIT_LOG)
                .where(AUDIT_LOG.ORGANIZATION_ID.eq(ORGANIZATIONS.ID)).orderBy(AUDIT_LOG.SEQ).limit(1)).as("oldest");
        var orgs = dsl.select(ORGANIZATIONS.fields()).select(oldest).from(ORGANIZATIONS)
                .where(RetentionSql.organizationHeld(ORGANIZATIONS.ID).not()).fetch();
        long pruned = 0;
        for (var row : orgs) {
            Instant first = row.get(oldest);
            if (first == null) {
                continue;
            }
            OrganizationsRecord org = row.into(ORGANIZATIONS);
            RetentionPeriod period = auditPeriod(org, now);
            Optional<Instant> firstExpiry = period.expiry(first);
            if (firstExpiry.isEmpty() || firstExpiry.get().isAfter(now)) {
                continue;
            }
            try {
                AuditLog.Pruned p = auditLog.pruneBefore(org.getId(), cut(org.getId(), period, now));
                if (p.entries() > 0) {
                    dsl.transaction(cfg -> new Evidence().add(org.getId(), DataClass.AUDIT_LOG, "organization",
                            org.getId().toString(), (int) p.entries(), p.lastExpiredAt(), now, Reason.EXPIRED,
                            org.getPlanId()).write(DSL.using(cfg), webhooks));
                    pruned += p.entries();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not prune the audit trail of organisation " + org.getId(), e);
            }
        }
        return pruned;
    }

    private RetentionPeriod auditPeriod(OrganizationsRecord org, Instant now) {
        RetentionPeriod current = plans.policyOf(org).retention(DataClass.AUDIT_LOG);
        return PolicyChanges.auditPeriodInGrace(org, now).filter(before -> !current.atLeast(before)).orElse(current);
    }

    /**
     * The sequence number of the organisation's first unexpired entry (or one past the head). Entries older
     * than "now minus the period, minus a day" have surely expired (a calendar anniversary rolls forward at
     * most a day); within that last day each entry's expiry is computed exactly, in SQL.
     */
    private long cut(UUID org, RetentionPeriod period, Instant now) {
        Instant roughly = period.period().isPresent()
                ? now.atZone(java.time.ZoneOffset.UTC).minusMonths(period.period().get().toTotalMonths())
                        .minusDays(period.period().get().getDays()).minusDays(1).toInstant()
                : now.minus(period.time().orElseThrow()).minus(Duration.ofDays(1));
        Long firstKept = dsl.select(DSL.min(AUDIT_LOG.SEQ)).from(AUDIT_LOG).where(AUDIT_LOG.ORGANIZATION_ID.eq(org))
                .and(AUDIT_LOG.AT.ge(roughly)).and(RetentionSql.expiry(AUDIT_LOG.AT, period).gt(now)).fetchOne(0, Long.class);
        if (firstKept != null) {
            return firstKept;
        }
        return auditLog.headSeq(org) + 1;
    }

    // ------------------------------------------------------------------ evidence

    private static Map<UUID, String> plans(DSLContext tx, List<UUID> orgs) {
        if (orgs.isEmpty()) {
            return Map.of();
        }
        return tx.select(ORGANIZATIONS.ID, ORGANIZATIONS.PLAN_ID).from(ORGANIZATIONS).where(ORGANIZATIONS.ID.in(orgs))
                .fetchMap(ORGANIZATIONS.ID, ORGANIZATIONS.PLAN_ID);
    }

    /** Deletion evidence gathered in a transaction and written with one multi-row insert. */
    private static final class Evidence {
        private record Row(UUID org, String dataClass, String resourceType, String resourceId, int items, Instant dueAt,
                           Instant deletedAt, Reason why, String planId) {
        }

        private final List<Row> rows = new ArrayList<>();

        Evidence add(UUID org, DataClass c, String resourceType, String resourceId, int items, Instant dueAt,
                     Instant deletedAt, Reason why, String planId) {
            return add(org, c.configKey(), resourceType, resourceId, items, dueAt, deletedAt, why, planId);
        }

        Evidence add(UUID org, String dataClass, String resourceType, String resourceId, int items, Instant dueAt,
                     Instant deletedAt, Reason why, String planId) {
            rows.add(new Row(org, dataClass, resourceType, resourceId, items, dueAt, deletedAt, why, planId));
            return this;
        }

        /** Writes the evidence and queues a retention.deleted event per organisation, class and reason. */
        void write(DSLContext tx, Webhooks webhooks) {
            if (rows.isEmpty()) {
                return;
            }
            Map<List<Object>, List<Row>> groups = new LinkedHashMap<>();
            for (Row r : rows) {
                groups.computeIfAbsent(List.of(r.org(), r.dataClass(), r.why()), k -> new ArrayList<>()).add(r);
            }
            groups.forEach((key, group) -> {
                ObjectNode data = Webhooks.JSON.createObjectNode().put("data_class", group.getFirst().dataClass())
                        .put("reason", group.getFirst().why().key())
                        .put("items", group.stream().mapToInt(Row::items).sum());
                ArrayNode resources = data.putArray("resources");
                group.forEach(r -> resources.addObject().put("type", r.resourceType()).put("id", r.resourceId()));
                webhooks.emit(tx, group.getFirst().org(), WebhookEvent.RETENTION_DELETED, data);
            });
            var insert = tx.insertInto(RETENTION_DELETIONS, RETENTION_DELETIONS.ORGANIZATION_ID,
                    RETENTION_DELETIONS.DATA_CLASS, RETENTION_DELETIONS.RESOURCE_TYPE, RETENTION_DELETIONS.RESOURCE_ID,
                    RETENTION_DELETIONS.ITEMS, RETENTION_DELETIONS.EXPIRED_AT, RETENTION_DELETIONS.DELETED_AT,
                    RETENTION_DELETIONS.REASON, RETENTION_DELETIONS.PLAN_ID);
            for (Row r : rows) {
                insert = insert.values(r.org(), r.dataClass(), r.resourceType(), r.resourceId(), r.items(), r.dueAt(),
                        r.deletedAt(), r.why().key(), r.planId());
            }
            insert.execute();
            rows.clear();
        }
    }
}
