package io.switchboard.testing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * Every worker of the common ForkJoinPool blocked until {@link #close}, as any code that blocks there would leave
 * it (on a 2-core machine the pool has one worker): what must not depend on that pool is tested inside one.
 */
public final class SaturatedCommonPool implements AutoCloseable {

    private final CountDownLatch release = new CountDownLatch(1);
    private final CompletableFuture<Void> probe;

    public SaturatedCommonPool() throws InterruptedException {
        int workers = ForkJoinPool.getCommonPoolParallelism();
        CountDownLatch running = new CountDownLatch(workers);
        for (int i = 0; i < workers; i++) {
            ForkJoinPool.commonPool().execute(() -> {
                running.countDown();
                boolean released = false;
                while (!released) {
                    try {
                        release.await();
                        released = true;
                    } catch (InterruptedException e) {
                        // held until close
                    }
                }
            });
        }
        if (!running.await(60, TimeUnit.SECONDS)) {
            close();
            throw new IllegalStateException("the common pool's " + workers + " workers did not all start");
        }
        probe = CompletableFuture.runAsync(() -> { });
    }

    /** Whether the pool has run nothing since it was blocked: a test checks its saturation held throughout. */
    public boolean held() {
        return !probe.isDone();
    }

    @Override
    public void close() {
        release.countDown();
    }
}
