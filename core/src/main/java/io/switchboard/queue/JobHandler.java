package io.switchboard.queue;

/**
 * Runs one kind of job. A job may run more than once (its worker can die after doing the work but before
 * recording success), so a handler must be idempotent: it writes its effects keyed by the job's subject
 * (INSERT ... ON CONFLICT, "skip if already done") so that a second run changes nothing. A handler that
 * runs long calls {@link JobContext#checkpoint()} between steps, which stops it once its lease was lost.
 */
public interface JobHandler {

    String kind();

    /** Returns normally on success; any exception fails this attempt (retried with backoff, or dead). */
    void handle(JobContext context) throws Exception;
}
