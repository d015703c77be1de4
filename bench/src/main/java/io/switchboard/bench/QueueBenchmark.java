package io.switchboard.bench;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.switchboard.common.Database;
import io.switchboard.migrations.Migrations;
import io.switchboard.queue.JobContext;
import io.switchboard.queue.JobHandler;
import io.switchboard.queue.JobQueue;
import io.switchboard.worker.WorkerLoop;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Queue claim throughput: N jobs, each writing one idempotent effect row, drained by 1, 2 and 4 worker
 * loops (each with its own connection pool, as separate processes would have) against one PostgreSQL.
 * Usage: ./switchboard bench QueueBenchmark [jobs] [slots-per-worker]
 */
public final class QueueBenchmark {

    private QueueBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int slots = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            String url = pg.getJdbcUrl("postgres", "postgres");
            try (Database admin = Database.connect(url, "postgres", "", 4)) {
                Migrations.migrate(admin.dataSource());
                admin.dsl().execute("create table bench_effects (job_id uuid primary key)");
                JobQueue queue = new JobQueue(admin.dsl(), Clock.systemUTC(), JobQueue.Backoff.DEFAULT);
                System.out.printf("| workers | slots each | jobs | seconds | jobs/s |%n|---|---|---|---|---|%n");
                for (int workers : new int[] {1, 2, 4}) {
                    admin.dsl().execute("truncate jobs, bench_effects");
                    for (int i = 0; i < jobs; i++) {
                        queue.enqueue(new JobQueue.NewJob("bench.effect", Optional.empty(), "{}", Optional.empty(),
                                Optional.empty(), 3));
                    }
                    List<Database> pools = new ArrayList<>();
                    List<WorkerLoop> loops = new ArrayList<>();
                    long start = System.nanoTime();
                    for (int w = 0; w < workers; w++) {
                        Database db = Database.connect(url, "postgres", "", slots + 2);
                        pools.add(db);
                        JobQueue q = new JobQueue(db.dsl(), Clock.systemUTC(), JobQueue.Backoff.DEFAULT);
                        loops.add(WorkerLoop.start(q, db.dataSource(), new WorkerLoop.Settings("bench-" + w, slots,
                                Duration.ofSeconds(30), Duration.ofMillis(500)), List.of(effect(db))));
                    }
                    while (admin.dsl().fetchCount(io.switchboard.db.Tables.JOBS,
                            io.switchboard.db.Tables.JOBS.STATE.eq(io.switchboard.db.enums.JobState.succeeded)) < jobs) {
                        Thread.sleep(20);
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    loops.forEach(l -> l.stop(Duration.ofSeconds(5)));
                    pools.forEach(Database::close);
                    int effects = admin.dsl().fetchCount(admin.dsl().selectFrom("bench_effects"));
                    if (effects != jobs) {
                        throw new IllegalStateException("expected " + jobs + " effects, found " + effects);
                    }
                    System.out.printf("| %d | %d | %d | %.2f | %.0f |%n", workers, slots, jobs, seconds, jobs / seconds);
                }
            }
        }
    }

    private static JobHandler effect(Database db) {
        return new JobHandler() {
            @Override
            public String kind() {
                return "bench.effect";
            }

            @Override
            public void handle(JobContext ctx) {
                db.dsl().execute("insert into bench_effects values (?) on conflict do nothing", ctx.job().id());
            }
        };
    }
}
