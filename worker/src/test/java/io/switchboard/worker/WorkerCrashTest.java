package io.switchboard.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import io.switchboard.common.Database;
import io.switchboard.queue.Job;
import io.switchboard.queue.JobQueue;
import io.switchboard.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker pool's crash guarantee with real processes: a worker JVM is killed with SIGKILL in the middle
 * of a job; after the lease runs out another worker claims the job and completes it, and the job's effect
 * exists exactly once.
 */
class WorkerCrashTest {

    private static final Duration LEASE = Duration.ofSeconds(2);
    private TestDatabase db;
    private JobQueue queue;

    @BeforeEach
    void setUp() {
        db = TestDatabase.get();
        db.reset();
        db.database().dsl().execute("create table if not exists crash_test_log (job_id uuid, attempt int, pid bigint)");
        db.database().dsl().execute("create table if not exists crash_test_effects (job_id uuid primary key, payload jsonb)");
        db.database().dsl().execute("truncate crash_test_log, crash_test_effects");
        queue = new JobQueue(db.database().dsl(), Clock.systemUTC(), new JobQueue.Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
    }

    private Process startWorker(Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashTestWorker.class.getName(), db.jdbcUrl(), db.user(), db.password(), Long.toString(LEASE.toSeconds()))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(100);
        }
    }

    private long count(String sql, Object... args) {
        return db.database().dsl().fetchValue(sql, args) instanceof Number n ? n.longValue() : -1;
    }

    @Test
    void aJobWhoseWorkerIsKilledIsFinishedByAnotherExactlyOnce() throws Exception {
        UUID id = queue.enqueue(new JobQueue.NewJob(CrashTestWorker.KIND, Optional.empty(), "{\"call\":\"c-1\"}",
                Optional.of("c-1"), Optional.empty(), 5)).orElseThrow();
        File log1 = File.createTempFile("worker1", ".log");
        Process first = startWorker(log1.toPath());
        try {
            await("the first worker started the job", Duration.ofSeconds(60),
                    () -> count("select count(*) from crash_test_log where job_id = ?", id) == 1);
            long firstPid = count("select pid from crash_test_log where job_id = ? and attempt = 1", id);
            assertEquals(first.pid(), firstPid);
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no release, no goodbye
            first.waitFor();
        } finally {
            first.destroyForcibly();
        }
        assertEquals(Job.State.RUNNING, queue.get(id).orElseThrow().state(), "the dead worker still holds the lease");
        assertEquals(0, count("select count(*) from crash_test_effects"));

        File log2 = File.createTempFile("worker2", ".log");
        Process second = startWorker(log2.toPath());
        try {
            await("another worker finished the job", Duration.ofSeconds(60),
                    () -> queue.get(id).orElseThrow().state() == Job.State.SUCCEEDED);
        } finally {
            second.destroyForcibly();
            second.waitFor();
        }
        Job done = queue.get(id).orElseThrow();
        assertEquals(2, done.attempts());
        assertEquals(1, count("select count(*) from crash_test_effects where job_id = ?", id), "the effect exists once");
        List<Long> pids = db.database().dsl().fetch("select pid from crash_test_log where job_id = ? order by attempt", id)
                .getValues(0, Long.class);
        assertEquals(2, pids.size());
        assertNotEquals(pids.get(0), pids.get(1), "a different process finished it");
        assertTrue(log1.delete() && log2.delete());
    }

    @Test
    void anIdleWorkerWakesOnNotifyWithoutWaitingForItsPoll() throws Exception {
        Database database = db.database();
        db.database().dsl().execute("create table if not exists notify_test (job_id uuid primary key)");
        db.database().dsl().execute("truncate notify_test");
        var handler = new io.switchboard.queue.JobHandler() {
            @Override
            public String kind() {
                return "test.notify";
            }

            @Override
            public void handle(io.switchboard.queue.JobContext ctx) {
                database.dsl().execute("insert into notify_test values (?) on conflict do nothing", ctx.job().id());
            }
        };
        // a poll interval far longer than the test's patience: only NOTIFY can wake this worker in time
        try (WorkerLoop loop = WorkerLoop.start(queue, database.dataSource(),
                new WorkerLoop.Settings("w-notify", 2, Duration.ofSeconds(30), Duration.ofMinutes(10)), List.of(handler))) {
            Thread.sleep(1500); // let it go idle, with its LISTEN connection open
            UUID id = queue.enqueue(new JobQueue.NewJob("test.notify", Optional.empty(), "{}", Optional.empty(),
                    Optional.empty(), 3)).orElseThrow();
            await("the idle worker ran the job", Duration.ofSeconds(30),
                    () -> queue.get(id).orElseThrow().state() == Job.State.SUCCEEDED);
            assertEquals("w-notify", loop.workerId());
        }
    }

    @Test
    void aFailingHandlerIsRetriedAndEndsDeadWithItsError() throws Exception {
        Database database = db.database();
        var handler = new io.switchboard.queue.JobHandler() {
            @Override
            public String kind() {
                return "test.fail";
            }

            @Override
            public void handle(io.switchboard.queue.JobContext ctx) {
                throw new IllegalStateException("provider said 503 on attempt " + ctx.job().attempts());
            }
        };
        try (WorkerLoop loop = WorkerLoop.start(queue, database.dataSource(),
                new WorkerLoop.Settings("w-fail", 1, Duration.ofSeconds(30), Duration.ofMillis(200)), List.of(handler))) {
            UUID id = queue.enqueue(new JobQueue.NewJob("test.fail", Optional.empty(), "{}", Optional.empty(),
                    Optional.empty(), 3)).orElseThrow();
            await("the job is dead", Duration.ofSeconds(30), () -> queue.get(id).orElseThrow().state() == Job.State.DEAD);
            Job dead = queue.get(id).orElseThrow();
            assertEquals(3, dead.attempts());
            assertEquals(Optional.of("IllegalStateException: provider said 503 on attempt 3"), dead.lastError());
            assertEquals(0, loop.inFlight());
        }
    }
}
