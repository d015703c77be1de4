package io.switchboard.retention;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.plans.DataClass;
import io.switchboard.recordings.RecordingStore;
import org.jooq.DSLContext;
import org.jooq.Record3;
import org.jooq.impl.DSL;

/**
 * Deletes call data whose retention has run out: recordings (the object in storage first, then the row's
 * reference), transcript segments and summaries, in batches of at most {@code batch} items per class and
 * pass, each batch in one transaction with {@code FOR UPDATE SKIP LOCKED} so any number of workers can
 * sweep at once without deleting anything twice. Every deletion leaves a {@code retention_deletions} row:
 * class, call, item count, when it expired, when it went, and the plan in force.
 *
 * <p>The lag between expiry and deletion is bounded by the sweep interval plus the time to work off what
 * expired in the same interval; {@link #sweepAll()} repeats passes until a pass finds less than a batch.
 */
public final class RetentionSweeper {

    /** What one pass deleted, by class. */
    public record Result(int recordings, int transcriptSegments, int summaries) {
        public int total() {
            return recordings + transcriptSegments + summaries;
        }
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final RecordingStore store;
    private final int batch;

    public RetentionSweeper(DSLContext dsl, Clock clock, RecordingStore store, int batch) {
        this.dsl = dsl;
        this.clock = clock;
        this.store = store;
        this.batch = batch;
    }

    /** Passes until one finds less than a full batch in every class; returns the totals. */
    public Result sweepAll() {
        int rec = 0;
        int seg = 0;
        int sum = 0;
        while (true) {
            Result r = sweep();
            rec += r.recordings();
            seg += r.transcriptSegments();
            sum += r.summaries();
            if (r.recordings() < batch && r.transcriptSegments() < batch && r.summaries() < batch) {
                return new Result(rec, seg, sum);
            }
        }
    }

    /** One pass: at most {@code batch} items of each class. */
    public Result sweep() {
        Instant now = clock.instant();
        return new Result(recordings(now), transcripts(now), summaries(now));
    }

    private int recordings(Instant now) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            List<CallsRecord> due = tx.selectFrom(CALLS).where(CALLS.RECORDING_EXPIRES_AT.le(now))
                    .and(CALLS.RECORDING_KEY.isNotNull()).orderBy(CALLS.RECORDING_EXPIRES_AT).limit(batch)
                    .forUpdate().skipLocked().fetch();
            Map<UUID, String> plans = plans(tx, due.stream().map(CallsRecord::getOrganizationId).toList());
            for (CallsRecord c : due) {
                store.delete(c.getRecordingKey()); // first the object: a crash here leaves a row to retry, not an orphan
                tx.update(CALLS).set(CALLS.RECORDING_KEY, (String) null).set(CALLS.RECORDING_DELETED_AT, now)
                        .set(CALLS.UPDATED_AT, now).where(CALLS.ID.eq(c.getId())).execute();
                evidence(tx, c.getOrganizationId(), DataClass.RECORDINGS, c.getId(), 1, c.getRecordingExpiresAt(), now,
                        plans.get(c.getOrganizationId()));
            }
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
            var due = tx.select(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID, TRANSCRIPT_SEGMENTS.CALL_ID, TRANSCRIPT_SEGMENTS.EXPIRES_AT,
                            TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ)
                    .from(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.EXPIRES_AT.le(now))
                    .orderBy(TRANSCRIPT_SEGMENTS.EXPIRES_AT).limit(batch).forUpdate().skipLocked().fetch();
            if (due.isEmpty()) {
                return 0;
            }
            tx.deleteFrom(TRANSCRIPT_SEGMENTS).where(DSL.row(TRANSCRIPT_SEGMENTS.CALL_ID, TRANSCRIPT_SEGMENTS.CHANNEL,
                    TRANSCRIPT_SEGMENTS.SEQ).in(due.map(r -> DSL.row(r.value2(), r.value4(), r.value5())))).execute();
            Map<UUID, PerCall> perCall = new LinkedHashMap<>();
            for (var r : due) {
                perCall.merge(r.value2(), new PerCall(r.value1(), 1, r.value3()), PerCall::plus);
            }
            Map<UUID, String> plans = plans(tx, perCall.values().stream().map(PerCall::org).toList());
            perCall.forEach((call, p) -> evidence(tx, p.org(), DataClass.TRANSCRIPTS, call, p.items(), p.expiredAt(), now,
                    plans.get(p.org())));
            return due.size();
        });
    }

    private int summaries(Instant now) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var due = tx.select(CALL_SUMMARIES.ORGANIZATION_ID, CALL_SUMMARIES.CALL_ID, CALL_SUMMARIES.EXPIRES_AT)
                    .from(CALL_SUMMARIES).where(CALL_SUMMARIES.EXPIRES_AT.le(now)).orderBy(CALL_SUMMARIES.EXPIRES_AT)
                    .limit(batch).forUpdate().skipLocked().fetch();
            Map<UUID, String> plans = plans(tx, due.stream().map(Record3::value1).toList());
            for (var r : due) {
                tx.deleteFrom(CALL_SUMMARIES).where(CALL_SUMMARIES.CALL_ID.eq(r.value2())).execute();
                evidence(tx, r.value1(), DataClass.SUMMARIES, r.value2(), 1, r.value3(), now, plans.get(r.value1()));
            }
            return due.size();
        });
    }

    private static Map<UUID, String> plans(DSLContext tx, List<UUID> orgs) {
        if (orgs.isEmpty()) {
            return Map.of();
        }
        return tx.select(ORGANIZATIONS.ID, ORGANIZATIONS.PLAN_ID).from(ORGANIZATIONS).where(ORGANIZATIONS.ID.in(orgs))
                .fetchMap(ORGANIZATIONS.ID, ORGANIZATIONS.PLAN_ID);
    }

    private static void evidence(DSLContext tx, UUID org, DataClass c, UUID callId, int items, Instant expiredAt,
                                 Instant deletedAt, String planId) {
        tx.insertInto(RETENTION_DELETIONS).set(RETENTION_DELETIONS.ORGANIZATION_ID, org)
                .set(RETENTION_DELETIONS.DATA_CLASS, c.configKey()).set(RETENTION_DELETIONS.RESOURCE_TYPE, "call")
                .set(RETENTION_DELETIONS.RESOURCE_ID, callId.toString()).set(RETENTION_DELETIONS.ITEMS, items)
                .set(RETENTION_DELETIONS.EXPIRED_AT, expiredAt).set(RETENTION_DELETIONS.DELETED_AT, deletedAt)
                .set(RETENTION_DELETIONS.PLAN_ID, planId).execute();
    }
}
