package io.switchboard.worker;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.switchboard.common.Database;
import io.switchboard.queue.JobContext;
import io.switchboard.queue.JobHandler;
import io.switchboard.queue.JobQueue;

/**
 * A worker process for {@link WorkerCrashTest}: runs {@link #KIND} jobs. Each attempt logs itself; the
 * first attempt then hangs (heartbeating) until the process is killed, later attempts write the job's
 * effect idempotently. Arguments: JDBC URL, user, password, lease seconds.
 */
public final class CrashTestWorker {

    static final String KIND = "test.crash";

    private CrashTestWorker() {
    }

    static JobHandler handler(Database db) {
        return new JobHandler() {
            @Override
            public String kind() {
                return KIND;
            }

            @Override
            public void handle(JobContext ctx) throws Exception {
                db.dsl().execute("insert into crash_test_log (job_id, attempt, pid) values (?, ?, ?)",
                        ctx.job().id(), ctx.job().attempts(), ProcessHandle.current().pid());
                if (ctx.job().attempts() == 1) {
                    Thread.sleep(Duration.ofMinutes(10)); // killed here
                }
                ctx.checkpoint();
                db.dsl().execute("insert into crash_test_effects (job_id, payload) values (?, ?::jsonb) "
                        + "on conflict (job_id) do nothing", ctx.job().id(), ctx.job().payloadJson());
            }
        };
    }

    public static void main(String[] args) throws InterruptedException {
        Database db = Database.connect(args[0], args[1], args[2], 4);
        Duration lease = Duration.ofSeconds(Long.parseLong(args[3]));
        JobQueue queue = new JobQueue(db.dsl(), Clock.systemUTC(), JobQueue.Backoff.DEFAULT);
        WorkerLoop.start(queue, db.dataSource(), new WorkerLoop.Settings("child-" + ProcessHandle.current().pid(), 2,
                lease, Duration.ofSeconds(1)), List.of(handler(db)));
        System.out.println("worker ready");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10));
    }
}
