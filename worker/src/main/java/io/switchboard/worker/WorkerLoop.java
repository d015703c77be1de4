package io.switchboard.worker;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import io.switchboard.queue.Job;
import io.switchboard.queue.JobContext;
import io.switchboard.queue.JobHandler;
import io.switchboard.queue.JobQueue;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * One worker process's loop over the job queue: up to {@code concurrency} handlers at once, a claim loop
 * that sleeps until PostgreSQL NOTIFYs a new job (or a poll interval passes, in case a notification was
 * missed while reconnecting), and a heartbeat that renews the lease of every running job. A job whose
 * heartbeat finds its lease taken over is told to stop ({@link JobContext#checkpoint()}).
 */
public final class WorkerLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WorkerLoop.class.getName());

    /** @param lease how long a claim holds without a heartbeat; heartbeats run every third of it */
    public record Settings(String workerId, int concurrency, Duration lease, Duration pollInterval) {
        public Settings {
            if (concurrency < 1) {
                throw new IllegalArgumentException("worker concurrency must be at least 1, got " + concurrency);
            }
            if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("lease must be at least 1s, got " + lease);
            }
        }

        public static String defaultWorkerId() {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "unknown-host";
            }
            return host + "/" + ProcessHandle.current().pid() + "/" + Long.toHexString(System.nanoTime() & 0xffffff);
        }
    }

    private final JobQueue queue;
    private final DataSource dataSource;
    private final Settings settings;
    private final Map<String, JobHandler> handlers;
    private final Semaphore slots;
    private final Semaphore wake = new Semaphore(0);
    private final Map<java.util.UUID, JobContext> running = new ConcurrentHashMap<>();
    private final ExecutorService handlerThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService heartbeats;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final Thread claimer;
    private final Thread listener;

    private WorkerLoop(JobQueue queue, DataSource dataSource, Settings settings, List<JobHandler> handlers) {
        this.queue = queue;
        this.dataSource = dataSource;
        this.settings = settings;
        this.handlers = handlers.stream().collect(Collectors.toUnmodifiableMap(JobHandler::kind, Function.identity()));
        this.slots = new Semaphore(settings.concurrency());
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("worker-heartbeat").unstarted(r));
        this.claimer = Thread.ofPlatform().name("worker-claim").unstarted(this::claimLoop);
        this.listener = Thread.ofPlatform().daemon().name("worker-listen").unstarted(this::listenLoop);
    }

    public static WorkerLoop start(JobQueue queue, DataSource dataSource, Settings settings, List<JobHandler> handlers) {
        WorkerLoop loop = new WorkerLoop(queue, dataSource, settings, handlers);
        long beat = Math.max(200, settings.lease().toMillis() / 3);
        loop.heartbeats.scheduleAtFixedRate(loop::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        loop.listener.start();
        loop.claimer.start();
        LOG.info(() -> "worker " + settings.workerId() + " running " + loop.handlers.keySet() + " with "
                + settings.concurrency() + " slots");
        return loop;
    }

    public String workerId() {
        return settings.workerId();
    }

    /** Jobs this worker is running now. */
    public int inFlight() {
        return running.size();
    }

    private void claimLoop() {
        while (!stopping.get()) {
            try {
                int free = slots.availablePermits();
                List<Job> jobs = free == 0 ? List.of()
                        : queue.claim(settings.workerId(), handlers.keySet(), free, settings.lease());
                for (Job job : jobs) {
                    slots.acquireUninterruptibly();
                    JobContext ctx = new JobContext(job);
                    running.put(job.id(), ctx);
                    handlerThreads.execute(() -> run(ctx));
                }
                if (jobs.size() < free || free == 0) {
                    // nothing more is due (or every slot is busy): sleep until NOTIFY, a finished job, or the poll
                    wake.tryAcquire(settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "claiming jobs failed; retrying", e);
                sleepQuietly(1000);
            }
        }
    }

    private void run(JobContext ctx) {
        Job job = ctx.job();
        try {
            handlers.get(job.kind()).handle(ctx);
            ctx.checkpoint();
            if (!queue.complete(job.id(), settings.workerId())) {
                LOG.warning(() -> "job " + job.id() + " finished after its lease was lost; its new owner records the outcome");
            }
        } catch (JobContext.Deferred e) {
            queue.defer(job.id(), settings.workerId(), e.runAt());
            LOG.fine(() -> "job " + job.id() + " (" + job.kind() + ") deferred to " + e.runAt() + ": " + e.getMessage());
        } catch (JobContext.LeaseLost e) {
            if (stopping.get()) {
                queue.release(job.id(), settings.workerId()); // refused harmlessly if another worker owns it now
            } else {
                LOG.warning(e::getMessage);
            }
        } catch (Exception e) {
            if (stopping.get() && e instanceof InterruptedException) {
                queue.release(job.id(), settings.workerId());
            } else {
                String error = e.getClass().getSimpleName() + ": " + e.getMessage();
                var state = queue.fail(job.id(), settings.workerId(), error);
                LOG.log(Level.WARNING, "job " + job.id() + " (" + job.kind() + ") attempt " + job.attempts() + " failed -> "
                        + state.map(Enum::name).orElse("lease lost"), e);
            }
        } finally {
            running.remove(job.id());
            slots.release();
            wake.release();
        }
    }

    private void heartbeat() {
        for (JobContext ctx : running.values()) {
            try {
                if (!queue.heartbeat(ctx.job().id(), settings.workerId(), settings.lease())) {
                    ctx.loseLease();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "heartbeat for job " + ctx.job().id() + " failed", e);
            }
        }
    }

    /** Holds a connection that LISTENs for new jobs; reconnects when the database goes away. */
    private void listenLoop() {
        while (!stopping.get()) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("LISTEN " + JobQueue.CHANNEL);
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stopping.get()) {
                    PGNotification[] got = pg.getNotifications(1000);
                    if (got != null && got.length > 0) {
                        wake.release();
                    }
                }
            } catch (SQLException e) {
                if (!stopping.get()) {
                    LOG.log(Level.WARNING, "job notifications lost; reconnecting (polling meanwhile)", e);
                    sleepQuietly(1000);
                }
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops claiming, gives running handlers {@code grace} to finish, then interrupts them; their jobs are
     * released to the queue (or, if a handler ignores the interrupt, re-claimed once the lease expires).
     */
    public void stop(Duration grace) {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        wake.release();
        claimer.interrupt();
        handlerThreads.shutdown();
        try {
            claimer.join(5000);
            if (!handlerThreads.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                running.values().forEach(JobContext::loseLease);
                handlerThreads.shutdownNow();
                handlerThreads.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        heartbeats.shutdownNow();
        for (var ctx : running.values()) {
            queue.release(ctx.job().id(), settings.workerId());
        }
        LOG.info(() -> "worker " + settings.workerId() + " stopped");
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }
}
