package io.switchboard.bench;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import io.switchboard.ControlPlane;
import io.switchboard.agents.AgentSpec;
import io.switchboard.devtools.EmbeddedServices;
import io.switchboard.common.Configs;
import io.switchboard.common.Database;
import io.switchboard.migrations.Migrations;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.retention.RetentionSweeper;
import io.switchboard.storage.ObjectStore;
import io.switchboard.tenancy.Principal;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The retention sweeper against a backlog and against a steady stream of expiries, on the embedded
 * PostgreSQL and S3 endpoint: {@code calls} calls, each with an assembled recording object, a summary and
 * {@code rows / calls} transcript segments (1,000,000 rows and 10,000 objects by default).
 * <ol>
 *   <li>backlog: everything expired a second ago; {@code workers} sweepers (each with its own connection
 *       pool, as worker processes would have) run {@code sweepAll} until it is gone: throughput;</li>
 *   <li>steady: expiries spread evenly over {@code spread} from now; each sweeper runs every
 *       {@code interval} as the worker does: the lag between each item's expiry and its deletion, read from
 *       the deletion evidence.</li>
 * </ol>
 * Usage: ./switchboard bench RetentionBenchmark [rows] [calls] [workers] [interval] [spread]
 */
public final class RetentionBenchmark {

    private RetentionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int workers = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Duration interval = args.length > 3 ? Duration.parse(args[3]) : Duration.ofSeconds(15);
        Duration spread = args.length > 4 ? Duration.parse(args[4]) : Duration.ofMinutes(3);
        int batch = 500;
        Path home = Files.createTempDirectory("retention-bench");
        try (EmbeddedServices services = EmbeddedServices.start(home, Bench.freePort(), Bench.freePort());
             Database db = Database.connect(services.jdbcUrl(), "postgres", "", 8)) {
            Migrations.migrate(db.dataSource());
            ObjectStore store = new ObjectStore(services.s3Endpoint(), EmbeddedServices.S3_ACCESS_KEY,
                    EmbeddedServices.S3_SECRET_KEY, "us-east-1", "switchboard");
            store.ensureBucket();
            ControlPlane plane = ControlPlane.builder(db, PlanCatalog.fromConfig(Configs.defaults()), store).build();
            Bench.Tenant org = Bench.tenant(plane, "growth");
            Principal owner = org.owner();
            UUID agent = plane.agents().create(owner, new AgentSpec("A", "en-US", "", "", "", "", List.of())).id();
            int perCall = Math.max(1, (rows - 2 * calls) / calls);
            System.out.printf("%d calls: %d recordings (objects), %d summaries, %d transcript segments = %d rows; "
                    + "%d sweeper(s), batch %d%n", calls, calls, calls, calls * perCall, calls * (perCall + 2), workers, batch);

            // 1. backlog
            Instant expired = Instant.now().minusSeconds(1);
            load(db.dsl(), store, org.organizationId(), agent, calls, perCall, expired, Duration.ZERO);
            long start = System.nanoTime();
            long deleted = runSweepers(services, workers, batch, Duration.ZERO, () -> remaining(db.dsl()) == 0);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%n## backlog%n| sweepers | rows | objects | seconds | rows/s | objects/s |%n"
                            + "|---|---|---|---|---|---|%n| %d | %d | %d | %.1f | %.0f | %.0f |%n", workers,
                    calls * (perCall + 2), calls, seconds, calls * (perCall + 2) / seconds, calls / seconds);
            check(store, org.organizationId(), calls, deleted, calls * (perCall + 2));

            // 2. steady expiries
            db.dsl().execute("truncate retention_deletions");
            Instant from = Instant.now().plusSeconds(10);
            load(db.dsl(), store, org.organizationId(), agent, calls, perCall, from, spread);
            deleted = runSweepers(services, workers, batch, interval, () -> remaining(db.dsl()) == 0);
            check(store, org.organizationId(), calls, deleted, calls * (perCall + 2));
            System.out.printf("%n## steady: expiries spread over %s, each sweeper every %s%n"
                    + "| class | evidence rows | lag p50 s | lag p99 s | lag max s |%n|---|---|---|---|---|%n", spread, interval);
            var lag = DSL.field("extract(epoch from ({0} - {1}))", Double.class, RETENTION_DELETIONS.DELETED_AT,
                    RETENTION_DELETIONS.EXPIRED_AT);
            for (var r : db.dsl().select(RETENTION_DELETIONS.DATA_CLASS, DSL.count(),
                            DSL.percentileCont(0.5).withinGroupOrderBy(lag), DSL.percentileCont(0.99).withinGroupOrderBy(lag),
                            DSL.max(lag)).from(RETENTION_DELETIONS).groupBy(RETENTION_DELETIONS.DATA_CLASS)
                    .orderBy(RETENTION_DELETIONS.DATA_CLASS).fetch()) {
                System.out.printf("| %s | %d | %.1f | %.1f | %.1f |%n", r.value1(), r.value2(), r.value3().doubleValue(),
                        r.value4().doubleValue(), r.value5());
            }
        }
    }

    /** Calls with recordings (objects in storage), summaries and transcripts, expiring from {@code from} over {@code spread}. */
    private static void load(DSLContext dsl, ObjectStore store, UUID org, UUID agent, int calls, int perCall,
                             Instant from, Duration spread) throws Exception {
        long t0 = System.nanoTime();
        dsl.execute("truncate call_stages, transcript_segments, call_summaries, calls");
        double stepMicros = calls > 1 ? spread.toNanos() / 1000.0 / (calls - 1) : 0;
        dsl.execute("""
                insert into calls (id, organization_id, agent_id, agent_version, direction, state, audio_encoding,
                                   sample_rate, channels, recording_key, recording_bytes, recording_expires_at,
                                   started_at, created_at, updated_at)
                select gen_random_uuid(), {0}, {1}, 1, 'inbound', 'ended', 'mulaw', 8000, 1, null, 1024,
                       {2}::timestamptz + (g * {3}) * interval '1 microsecond', now(), now(), now()
                from generate_series(0, {4} - 1) g""", DSL.val(org), DSL.val(agent), DSL.val(from), DSL.val(stepMicros),
                DSL.val(calls));
        dsl.execute("update calls set recording_key = 'recordings/' || organization_id || '/' || id || '.wav'");
        dsl.execute("""
                insert into call_summaries (call_id, organization_id, summary, provider, created_at, expires_at)
                select id, organization_id, 'a summary', 'bench', now(), recording_expires_at from calls""");
        dsl.execute("""
                insert into transcript_segments (call_id, organization_id, channel, seq, speaker, start_ms, end_ms, text,
                                                 source, created_at, expires_at)
                select c.id, c.organization_id, 0, s, 'customer', s * 1000, s * 1000 + 900, 'words of segment ' || s,
                       'recording', now(), c.recording_expires_at
                from calls c cross join generate_series(0, {0} - 1) s""", DSL.val(perCall));
        dsl.execute("analyze");
        List<String> keys = dsl.select(CALLS.RECORDING_KEY).from(CALLS).fetch(CALLS.RECORDING_KEY);
        byte[] body = new byte[1024];
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> puts = new ArrayList<>();
        for (String k : keys) {
            puts.add(pool.submit(() -> store.put(k, new ByteArrayInputStream(body), body.length, RecordingStore.CONTENT_TYPE,
                    Map.of())));
        }
        for (Future<?> p : puts) {
            p.get();
        }
        pool.shutdown();
        System.out.printf("loaded in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private static long remaining(DSLContext dsl) {
        return dsl.fetchCount(CALLS, CALLS.RECORDING_KEY.isNotNull()) + dsl.fetchCount(TRANSCRIPT_SEGMENTS)
                + dsl.fetchCount(CALL_SUMMARIES);
    }

    /** Runs sweepers until {@code done}; with a zero interval they sweep back to back. Returns items deleted. */
    private static long runSweepers(EmbeddedServices services, int workers, int batch, Duration interval,
                                    java.util.function.BooleanSupplier done) throws Exception {
        AtomicLong deleted = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Database> pools = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            Database db = Database.connect(services.jdbcUrl(), "postgres", "", 4);
            pools.add(db);
            ObjectStore store = new ObjectStore(services.s3Endpoint(), EmbeddedServices.S3_ACCESS_KEY,
                    EmbeddedServices.S3_SECRET_KEY, "us-east-1", "switchboard");
            ControlPlane plane = ControlPlane.builder(db, PlanCatalog.fromConfig(Configs.defaults()), store).build();
            RetentionSweeper sweeper = new RetentionSweeper(db.dsl(), Clock.systemUTC(), new RecordingStore(store),
                    plane.auditLog(), plane.plans(), batch);
            long offset = interval.toMillis() * w / workers; // worker processes do not sweep in step
            Thread t = Thread.ofPlatform().name("sweeper-" + w).start(() -> {
                sleep(offset);
                while (!Thread.currentThread().isInterrupted()) {
                    RetentionSweeper.Result r = sweeper.sweepAll();
                    deleted.addAndGet(r.recordings() + r.transcriptSegments() + r.summaries());
                    if (!interval.isZero()) {
                        sleep(interval.toMillis());
                    } else if (r.total() == 0) {
                        sleep(5);
                    }
                }
            });
            threads.add(t);
        }
        while (!done.getAsBoolean()) {
            Thread.sleep(100);
        }
        for (Thread t : threads) {
            t.interrupt();
            t.join();
        }
        pools.forEach(Database::close);
        return deleted.get();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void check(ObjectStore store, UUID org, int calls, long deleted, long rows) {
        int left = 0;
        for (ObjectStore.Listed ignored : store.list("recordings/" + org + "/")) {
            left++;
        }
        if (left != 0 || deleted != rows) {
            throw new IllegalStateException("expected " + rows + " rows and " + calls + " objects deleted; "
                    + deleted + " rows deleted, " + left + " objects left");
        }
    }
}
