package io.switchboard.queue;

import java.util.concurrent.atomic.AtomicBoolean;

/** What a handler sees of its job, and whether its worker still holds the lease. */
public final class JobContext {

    private final Job job;
    private final AtomicBoolean leaseLost = new AtomicBoolean();

    public JobContext(Job job) {
        this.job = job;
    }

    public Job job() {
        return job;
    }

    /** Called by the worker when a heartbeat found the lease taken over. */
    public void loseLease() {
        leaseLost.set(true);
    }

    public boolean leaseLost() {
        return leaseLost.get();
    }

    /** Throws {@link LeaseLost} when another worker may now be running this job: stop without side effects. */
    public void checkpoint() {
        if (leaseLost.get() || Thread.currentThread().isInterrupted()) {
            throw new LeaseLost(job);
        }
    }

    public static final class LeaseLost extends RuntimeException {
        public LeaseLost(Job job) {
            super("lease on job " + job.id() + " (" + job.kind() + ") was lost; another worker may run it", null, false, false);
        }
    }

    /**
     * Thrown by a handler whose job cannot run yet (a rate limit): the worker hands it back to run at
     * {@link #runAt()} without counting the attempt ({@link JobQueue#defer}).
     */
    public static final class Deferred extends RuntimeException {
        private final java.time.Instant runAt;

        public Deferred(String why, java.time.Instant runAt) {
            super(why, null, false, false);
            this.runAt = runAt;
        }

        public java.time.Instant runAt() {
            return runAt;
        }
    }
}
