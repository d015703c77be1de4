package io.switchboard.queue;

import static io.switchboard.db.Tables.JOBS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

import io.switchboard.common.Ids;
import io.switchboard.db.enums.JobState;
import io.switchboard.db.tables.records.JobsRecord;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * All SQL of the job queue. Claims take due jobs, and jobs whose lease expired, with
 * {@code FOR UPDATE SKIP LOCKED}, so any number of workers on any number of machines share one table
 * without blocking each other. Completion, failure and heartbeats are guarded by lease ownership: a worker
 * that lost its lease cannot record anything for a job another worker now runs.
 *
 * <p>Time comes from the injected clock (the workers' clocks, kept in sync by NTP), not from the
 * database; leases are tens of seconds, so sub-second skew does not matter.
 */
public final class JobQueue {

    public static final String CHANNEL = "switchboard_jobs";
    private static final int MAX_ERROR_LENGTH = 4000;

    /** Exponential backoff with equal jitter: attempt n waits a random time in [d/2, d], d = min(cap, base·2^(n-1)). */
    public record Backoff(Duration base, Duration cap) {
        public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(10));

        Duration delay(int attempt, double random) {
            double d = Math.min((double) cap.toMillis(), base.toMillis() * Math.pow(2, Math.max(0, attempt - 1)));
            return Duration.ofMillis((long) (d / 2 + random * d / 2));
        }
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final Backoff backoff;
    private final DoubleSupplier random;

    public JobQueue(DSLContext dsl, Clock clock, Backoff backoff) {
        this(dsl, clock, backoff, () -> ThreadLocalRandom.current().nextDouble());
    }

    JobQueue(DSLContext dsl, Clock clock, Backoff backoff, DoubleSupplier random) {
        this.dsl = dsl;
        this.clock = clock;
        this.backoff = backoff;
        this.random = random;
    }

    /** What to enqueue. {@code dedupeKey}: a second enqueue with the same kind and key does nothing. */
    public record NewJob(String kind, Optional<UUID> organizationId, String payloadJson, Optional<String> dedupeKey,
                         Optional<Instant> runAt, int maxAttempts) {
        public static NewJob of(String kind, UUID organizationId, String payloadJson, String dedupeKey) {
            return new NewJob(kind, Optional.of(organizationId), payloadJson, Optional.of(dedupeKey), Optional.empty(), 8);
        }
    }

    /** Enqueues in {@code tx}, so a job commits (and wakes workers) together with what caused it. */
    public Optional<UUID> enqueue(DSLContext tx, NewJob job) {
        Instant now = now();
        UUID id = Ids.newId();
        int n = tx.insertInto(JOBS)
                .set(JOBS.ID, id)
                .set(JOBS.ORGANIZATION_ID, job.organizationId().orElse(null))
                .set(JOBS.KIND, job.kind())
                .set(JOBS.PAYLOAD, JSONB.jsonb(job.payloadJson()))
                .set(JOBS.DEDUPE_KEY, job.dedupeKey().orElse(null))
                .set(JOBS.MAX_ATTEMPTS, job.maxAttempts())
                .set(JOBS.RUN_AT, job.runAt().map(t -> t.truncatedTo(ChronoUnit.MICROS)).orElse(now))
                .set(JOBS.CREATED_AT, now)
                .set(JOBS.UPDATED_AT, now)
                .onConflictDoNothing()
                .execute();
        return n == 1 ? Optional.of(id) : Optional.empty();
    }

    public Optional<UUID> enqueue(NewJob job) {
        return enqueue(dsl, job);
    }

    /**
     * Claims up to {@code limit} jobs of {@code kinds} for {@code worker}: due queued jobs first by run time,
     * and running jobs whose lease expired (their worker died). Each claim counts as an attempt. Jobs whose
     * worker died on their last attempt are declared dead first.
     */
    public List<Job> claim(String worker, Collection<String> kinds, int limit, Duration lease) {
        if (limit <= 0 || kinds.isEmpty()) {
            return List.of();
        }
        Instant now = now();
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            tx.update(JOBS).set(JOBS.STATE, JobState.dead).set(JOBS.FINISHED_AT, now).set(JOBS.UPDATED_AT, now)
                    .set(JOBS.LEASE_OWNER, (String) null).set(JOBS.LEASE_EXPIRES_AT, (Instant) null)
                    .set(JOBS.LAST_ERROR, DSL.concat(DSL.val("lease expired on attempt "), JOBS.ATTEMPTS.cast(String.class),
                            DSL.val(" of "), JOBS.MAX_ATTEMPTS.cast(String.class), DSL.val(" (worker "),
                            JOBS.LEASE_OWNER, DSL.val(" stopped heartbeating)")))
                    .where(JOBS.STATE.eq(JobState.running)).and(JOBS.LEASE_EXPIRES_AT.lt(now))
                    .and(JOBS.ATTEMPTS.ge(JOBS.MAX_ATTEMPTS)).and(JOBS.KIND.in(kinds))
                    .execute();
            var due = DSL.select(JOBS.ID).from(JOBS)
                    .where(JOBS.KIND.in(kinds))
                    .and(JOBS.STATE.eq(JobState.queued).and(JOBS.RUN_AT.le(now))
                            .or(JOBS.STATE.eq(JobState.running).and(JOBS.LEASE_EXPIRES_AT.lt(now))))
                    .orderBy(JOBS.PRIORITY.desc(), JOBS.RUN_AT)
                    .limit(limit)
                    .forUpdate().skipLocked();
            return tx.update(JOBS)
                    .set(JOBS.STATE, JobState.running)
                    .set(JOBS.ATTEMPTS, JOBS.ATTEMPTS.plus(1))
                    .set(JOBS.LEASE_OWNER, worker)
                    .set(JOBS.LEASE_EXPIRES_AT, now.plus(lease))
                    .set(JOBS.HEARTBEAT_AT, now)
                    .set(JOBS.UPDATED_AT, now)
                    .where(JOBS.ID.in(due))
                    .returning()
                    .fetch()
                    .map(JobQueue::toJob);
        });
    }

    /** Extends the lease; false when this worker no longer holds it (stop the handler). */
    public boolean heartbeat(UUID jobId, String worker, Duration lease) {
        Instant now = now();
        return dsl.update(JOBS).set(JOBS.LEASE_EXPIRES_AT, now.plus(lease)).set(JOBS.HEARTBEAT_AT, now)
                .where(JOBS.ID.eq(jobId)).and(JOBS.STATE.eq(JobState.running)).and(JOBS.LEASE_OWNER.eq(worker))
                .execute() == 1;
    }

    /** Marks success, in {@code tx} so a handler's last write and its completion commit together. */
    public boolean complete(DSLContext tx, UUID jobId, String worker) {
        Instant now = now();
        return tx.update(JOBS).set(JOBS.STATE, JobState.succeeded).set(JOBS.FINISHED_AT, now).set(JOBS.UPDATED_AT, now)
                .set(JOBS.LEASE_OWNER, (String) null).set(JOBS.LEASE_EXPIRES_AT, (Instant) null)
                .set(JOBS.LAST_ERROR, (String) null)
                .where(JOBS.ID.eq(jobId)).and(JOBS.STATE.eq(JobState.running)).and(JOBS.LEASE_OWNER.eq(worker))
                .execute() == 1;
    }

    public boolean complete(UUID jobId, String worker) {
        return complete(dsl, jobId, worker);
    }

    /** Records a failed attempt: queued again after backoff, or dead once attempts are used up. */
    public Optional<Job.State> fail(UUID jobId, String worker, String error) {
        Instant now = now();
        String message = error == null ? "" : error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error;
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            JobsRecord r = tx.selectFrom(JOBS).where(JOBS.ID.eq(jobId)).and(JOBS.STATE.eq(JobState.running))
                    .and(JOBS.LEASE_OWNER.eq(worker)).forUpdate().fetchOne();
            if (r == null) {
                return Optional.empty();
            }
            r.setLastError(message).setUpdatedAt(now).setLeaseOwner(null).setLeaseExpiresAt(null);
            if (r.getAttempts() >= r.getMaxAttempts()) {
                r.setState(JobState.dead).setFinishedAt(now);
            } else {
                r.setState(JobState.queued).setRunAt(now.plus(backoff.delay(r.getAttempts(), random.getAsDouble()))
                        .truncatedTo(ChronoUnit.MICROS));
            }
            r.store();
            return Optional.of(toJob(r).state());
        });
    }

    /** Hands a job back without counting the attempt (graceful shutdown before the handler began). */
    public boolean release(UUID jobId, String worker) {
        Instant now = now();
        return dsl.update(JOBS).set(JOBS.STATE, JobState.queued).set(JOBS.ATTEMPTS, JOBS.ATTEMPTS.minus(1))
                .set(JOBS.RUN_AT, now).set(JOBS.UPDATED_AT, now)
                .set(JOBS.LEASE_OWNER, (String) null).set(JOBS.LEASE_EXPIRES_AT, (Instant) null)
                .where(JOBS.ID.eq(jobId)).and(JOBS.STATE.eq(JobState.running)).and(JOBS.LEASE_OWNER.eq(worker))
                .execute() == 1;
    }

    /**
     * Hands a job back to run again at {@code runAt} without counting the attempt: the handler found it cannot
     * run yet (a rate limit), which is no failure and must not use up its attempts.
     */
    public boolean defer(UUID jobId, String worker, Instant runAt) {
        Instant now = now();
        return dsl.update(JOBS).set(JOBS.STATE, JobState.queued).set(JOBS.ATTEMPTS, JOBS.ATTEMPTS.minus(1))
                .set(JOBS.RUN_AT, runAt.truncatedTo(ChronoUnit.MICROS)).set(JOBS.UPDATED_AT, now)
                .set(JOBS.LEASE_OWNER, (String) null).set(JOBS.LEASE_EXPIRES_AT, (Instant) null)
                .where(JOBS.ID.eq(jobId)).and(JOBS.STATE.eq(JobState.running)).and(JOBS.LEASE_OWNER.eq(worker))
                .execute() == 1;
    }

    /** Operations: gives a dead job a fresh set of attempts. */
    public boolean retryDead(UUID jobId) {
        Instant now = now();
        return dsl.update(JOBS).set(JOBS.STATE, JobState.queued).set(JOBS.ATTEMPTS, 0).set(JOBS.RUN_AT, now)
                .set(JOBS.UPDATED_AT, now).set(JOBS.FINISHED_AT, (Instant) null)
                .where(JOBS.ID.eq(jobId)).and(JOBS.STATE.eq(JobState.dead)).execute() == 1;
    }

    public Optional<Job> get(UUID jobId) {
        return dsl.selectFrom(JOBS).where(JOBS.ID.eq(jobId)).fetchOptional().map(JobQueue::toJob);
    }

    public Optional<Job> find(String kind, String dedupeKey) {
        return dsl.selectFrom(JOBS).where(JOBS.KIND.eq(kind)).and(JOBS.DEDUPE_KEY.eq(dedupeKey)).fetchOptional()
                .map(JobQueue::toJob);
    }

    /** Job counts by kind and state, for metrics and operators. */
    public Map<String, Map<Job.State, Integer>> counts() {
        Map<String, Map<Job.State, Integer>> out = new LinkedHashMap<>();
        dsl.select(JOBS.KIND, JOBS.STATE, DSL.count()).from(JOBS).groupBy(JOBS.KIND, JOBS.STATE).orderBy(JOBS.KIND)
                .forEach(r -> out.computeIfAbsent(r.value1(), k -> new LinkedHashMap<>()).put(state(r.value2()), r.value3()));
        return out;
    }

    private static Job.State state(JobState s) {
        return Job.State.valueOf(s.getLiteral().toUpperCase(Locale.ROOT));
    }

    static Job toJob(JobsRecord r) {
        return new Job(r.getId(), Optional.ofNullable(r.getOrganizationId()), r.getKind(), r.getPayload().data(),
                Optional.ofNullable(r.getDedupeKey()), state(r.getState()), r.getAttempts(), r.getMaxAttempts(),
                r.getRunAt(), Optional.ofNullable(r.getLeaseOwner()), Optional.ofNullable(r.getLeaseExpiresAt()),
                Optional.ofNullable(r.getLastError()), r.getCreatedAt(), Optional.ofNullable(r.getFinishedAt()));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
