package io.switchboard.storage;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The object store's own threads for uploads their caller must not wait for (a live call's recording segments):
 * at most {@code concurrency} run at once, on virtual threads named {@code object-upload-N}, and at most
 * {@code queue} wait; past that an upload is refused at once rather than queued without bound, and the caller
 * keeps its data (the live recorder treats a refusal like an outage of the store).
 *
 * <p>Never the common ForkJoinPool: the MinIO client's own asynchronous puts start there, and on a 2-core
 * machine that pool has one worker, so any code blocking it would have frozen every recording. {@link ObjectStore}
 * keeps its puts off it too, so an upload run here needs no other pool to finish.
 */
public final class Uploads implements Executor {

    private static final Logger LOG = Logger.getLogger(Uploads.class.getName());
    public static final int DEFAULT_CONCURRENCY = 8;
    public static final int DEFAULT_QUEUE = 1024;

    private final ThreadPoolExecutor pool;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong failures = new AtomicLong();

    /**
     * @param concurrency uploads running at once
     * @param queue       uploads waiting for a thread before more are refused
     */
    public Uploads(int concurrency, int queue) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("s3.upload-concurrency must be at least 1; it is " + concurrency);
        }
        if (queue < 1) {
            throw new IllegalArgumentException("s3.upload-queue must be at least 1; it is " + queue);
        }
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), Thread.ofVirtual().name("object-upload-", 1).factory());
        pool.allowCoreThreadTimeOut(true); // an idle store holds no thread
    }

    /**
     * Runs {@code upload} on an upload thread. A {@link RuntimeException} it throws is counted as a failure, and
     * logged unless it is the store's ({@link ObjectStore.StorageException}: the uploader reports its outages
     * itself, once each rather than once per upload); an upload that must react to its failure records it
     * before it throws.
     *
     * @throws ObjectStore.StorageException at once when {@code queue} uploads already wait, or after {@link #close}
     *                                      (a refusal is the store's failure to its caller, not a bug)
     */
    @Override
    public void execute(Runnable upload) {
        pending.incrementAndGet();
        try {
            pool.execute(() -> {
                try {
                    upload.run();
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    if (!(e instanceof ObjectStore.StorageException)) {
                        LOG.log(Level.WARNING, "an object-store upload failed", e);
                    }
                } finally {
                    pending.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            pending.decrementAndGet();
            failures.incrementAndGet();
            throw new ObjectStore.StorageException(pool.isShutdown() ? "uploads are closed (the process is stopping)"
                    : "upload queue full: " + pool.getQueue().size() + " uploads wait for the object store", e);
        }
    }

    /** Uploads queued or running (the pending-uploads gauge). */
    public int pending() {
        return pending.get();
    }

    /** Uploads that failed or were refused since the start (the upload-failures counter). */
    public long failures() {
        return failures.get();
    }

    /**
     * Takes no more uploads and waits up to {@code wait} for those queued and running to finish (a process's
     * shutdown, after its live calls have ended). Those still unfinished are abandoned: a live call's segment
     * not stored by then is missing from its row's count, never counted without its object.
     *
     * @return whether every upload finished
     */
    public boolean close(Duration wait) {
        pool.shutdown();
        try {
            if (pool.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.warning(pending.get() + " object-store upload(s) did not finish within " + wait.toSeconds()
                + " s of the shutdown");
        return false;
    }
}
