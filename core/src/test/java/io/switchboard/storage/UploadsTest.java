package io.switchboard.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.switchboard.testing.SaturatedCommonPool;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The object store's puts and its upload threads: never on the common ForkJoinPool, bounded, and drained at
 * shutdown, against the real S3 protocol (s3proxy).
 */
class UploadsTest {

    private static final Duration WAIT = Duration.ofSeconds(60); // a bound for a loaded machine, not a speed assertion

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    @Test
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // before the fix a put waited forever
    void putsFinishWhileEveryWorkerOfTheCommonPoolIsBlocked() throws Exception {
        ObjectStore store = TestObjectStore.freshBucket();
        byte[] small = bytes(1000);
        byte[] large = bytes(ObjectStore.PART_SIZE + 4096); // two parts: the multipart path
        try (SaturatedCommonPool pool = new SaturatedCommonPool()) {
            store.put("known", new ByteArrayInputStream(small), small.length, "audio/wav", Map.of("call-id", "c1"));
            store.put("unknown", new ByteArrayInputStream(small), -1, "audio/wav", Map.of());
            store.put("large", new ByteArrayInputStream(large), large.length, "audio/wav", Map.of());
            CompletableFuture<Void> later = new CompletableFuture<>();
            store.uploads().execute(() -> {
                store.put("later", new ByteArrayInputStream(small), small.length, "audio/wav", Map.of());
                later.complete(null);
            });
            later.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(pool.held(), "the common pool ran nothing meanwhile: the puts did not need it");
        }
        assertArrayEquals(small, store.get("known").readAllBytes());
        assertEquals("c1", store.stat("known").orElseThrow().userMetadata().get("call-id"));
        assertEquals("audio/wav", store.stat("known").orElseThrow().contentType());
        assertArrayEquals(small, store.get("unknown").readAllBytes());
        assertArrayEquals(large, store.get("large").readAllBytes());
        assertArrayEquals(small, store.get("later").readAllBytes());
    }

    @Test
    void aStreamShorterThanItsDeclaredSizeIsRefusedNamingBoth() {
        ObjectStore store = TestObjectStore.freshBucket();
        var e = assertThrows(ObjectStore.StorageException.class, () -> store.put("short",
                new ByteArrayInputStream(bytes(5)), 10, "audio/wav", Map.of()));
        assertTrue(e.getMessage().contains("short was declared 10 bytes long but its stream gave 5"), e.getMessage());
        assertTrue(store.stat("short").isEmpty(), "nothing stored");
    }

    @Test
    void pastItsQueueAnUploadIsRefusedAtOnceAndCountedAsAFailure() throws Exception {
        Uploads uploads = new Uploads(1, 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        uploads.execute(() -> {
            running.countDown();
            await(release);
        });
        running.await();
        uploads.execute(() -> { }); // waits in the queue
        assertEquals(2, uploads.pending());
        var refused = assertThrows(ObjectStore.StorageException.class, () -> uploads.execute(() -> { }));
        assertTrue(refused.getMessage().contains("upload queue full"), refused.getMessage());
        assertEquals(1, uploads.failures());
        assertEquals(2, uploads.pending(), "the refused one is not pending");
        release.countDown();
        assertTrue(uploads.close(WAIT));
        assertEquals(0, uploads.pending());
    }

    @Test
    void closingRunsWhatIsQueuedThenRefusesMore() throws Exception {
        Uploads uploads = new Uploads(1, 1000);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> ran = new CopyOnWriteArrayList<>();
        uploads.execute(() -> await(release));
        for (int i = 0; i < 5; i++) {
            int n = i;
            uploads.execute(() -> ran.add(n));
        }
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> closed.complete(uploads.close(WAIT)));
        var late = assertThrows(ObjectStore.StorageException.class, () -> {
            while (true) { // until the close has begun
                uploads.execute(() -> { });
                Thread.sleep(5);
            }
        });
        assertTrue(late.getMessage().contains("uploads are closed"), late.getMessage());
        release.countDown();
        assertTrue(closed.get(WAIT.toSeconds(), TimeUnit.SECONDS), "every queued upload finished");
        assertEquals(List.of(0, 1, 2, 3, 4), ran, "in the order they were queued");
    }

    @Test
    void aFailingUploadIsCountedAndTheThreadsGoOn() throws Exception {
        Uploads uploads = new Uploads(1, 4);
        uploads.execute(() -> {
            throw new ObjectStore.StorageException("connection refused", null);
        });
        CompletableFuture<String> next = new CompletableFuture<>();
        uploads.execute(() -> next.complete(Thread.currentThread().getName()));
        assertTrue(next.get(WAIT.toSeconds(), TimeUnit.SECONDS).startsWith("object-upload-"));
        assertEquals(1, uploads.failures());
        uploads.close(WAIT);
    }

    @Test
    void aSizeBelowOneIsRefusedNamingTheSetting() {
        var c = assertThrows(IllegalArgumentException.class, () -> new Uploads(0, 10));
        assertTrue(c.getMessage().contains("s3.upload-concurrency must be at least 1"), c.getMessage());
        var q = assertThrows(IllegalArgumentException.class, () -> new Uploads(2, 0));
        assertTrue(q.getMessage().contains("s3.upload-queue must be at least 1"), q.getMessage());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
