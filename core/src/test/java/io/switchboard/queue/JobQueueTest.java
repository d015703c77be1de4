package io.switchboard.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JobQueueTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-02T10:00:00Z"));
    private JobQueue queue;
    private final Duration lease = Duration.ofSeconds(30);

    @BeforeEach
    void setUp() {
        TestDatabase db = TestDatabase.get();
        db.reset();
        queue = new JobQueue(db.database().dsl(), clock, new JobQueue.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(60)),
                () -> 1.0);
    }

    private static JobQueue.NewJob job(String key) {
        return new JobQueue.NewJob("test.work", Optional.empty(), "{\"n\":1}", Optional.of(key), Optional.empty(), 3);
    }

    @Test
    void enqueueingTheSameLogicalJobTwiceIsANoOpEvenAfterItRan() {
        UUID id = queue.enqueue(job("call-1")).orElseThrow();
        assertTrue(queue.enqueue(job("call-1")).isEmpty());
        queue.claim("w1", Set.of("test.work"), 10, lease);
        queue.complete(id, "w1");
        assertTrue(queue.enqueue(job("call-1")).isEmpty(), "a finished job is not redone by a repeated enqueue");
        assertEquals(Job.State.SUCCEEDED, queue.get(id).orElseThrow().state());
    }

    @Test
    void concurrentClaimersNeverGetTheSameJob() throws Exception {
        for (int i = 0; i < 200; i++) {
            queue.enqueue(job("j" + i));
        }
        ConcurrentLinkedQueue<UUID> claimed = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            String worker = "w" + w;
            futures.add(pool.submit(() -> {
                go.await();
                List<Job> got;
                while (!(got = queue.claim(worker, Set.of("test.work"), 7, lease)).isEmpty()) {
                    got.forEach(j -> claimed.add(j.id()));
                }
                return null;
            }));
        }
        go.countDown();
        for (var f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(200, claimed.size());
        assertEquals(200, new HashSet<>(claimed).size(), "no job was claimed twice");
    }

    @Test
    void aJobWhoseWorkerStoppedHeartbeatingIsClaimedAgainAndTheOldOwnerCanNoLongerFinishIt() {
        UUID id = queue.enqueue(job("a")).orElseThrow();
        assertEquals(1, queue.claim("w1", Set.of("test.work"), 1, lease).getFirst().attempts());
        clock.advance(Duration.ofSeconds(20));
        assertTrue(queue.heartbeat(id, "w1", lease), "a heartbeat renews the lease");
        clock.advance(Duration.ofSeconds(29));
        assertTrue(queue.claim("w2", Set.of("test.work"), 1, lease).isEmpty(), "the renewed lease still holds");
        clock.advance(Duration.ofSeconds(2));
        Job again = queue.claim("w2", Set.of("test.work"), 1, lease).getFirst();
        assertEquals(2, again.attempts());
        assertEquals(Optional.of("w2"), again.leaseOwner());
        assertFalse(queue.heartbeat(id, "w1", lease), "the old owner learns it lost the lease");
        assertFalse(queue.complete(id, "w1"));
        assertTrue(queue.fail(id, "w1", "late").isEmpty());
        assertTrue(queue.complete(id, "w2"));
    }

    @Test
    void failuresBackOffExponentiallyWithinJitterBoundsThenGoDeadWithTheLastError() {
        JobQueue jittered = new JobQueue(TestDatabase.get().database().dsl(), clock,
                new JobQueue.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(60)), () -> 0.0);
        UUID id = queue.enqueue(job("a")).orElseThrow();
        Instant t0 = clock.instant();
        queue.claim("w", Set.of("test.work"), 1, lease);
        jittered.fail(id, "w", "boom 1");
        // attempt 1: d = 2 s, equal jitter at random 0 -> d/2
        assertEquals(t0.plusSeconds(1), queue.get(id).orElseThrow().runAt());
        assertTrue(queue.claim("w", Set.of("test.work"), 1, lease).isEmpty(), "not due before its backoff");
        clock.advance(Duration.ofSeconds(1));
        queue.claim("w", Set.of("test.work"), 1, lease);
        queue.fail(id, "w", "boom 2");
        // attempt 2: d = 4 s, random 1 -> d
        assertEquals(clock.instant().plusSeconds(4), queue.get(id).orElseThrow().runAt());
        clock.advance(Duration.ofSeconds(4));
        queue.claim("w", Set.of("test.work"), 1, lease);
        assertEquals(Optional.of(Job.State.DEAD), queue.fail(id, "w", "boom 3"));
        Job dead = queue.get(id).orElseThrow();
        assertEquals(Optional.of("boom 3"), dead.lastError());
        assertTrue(queue.retryDead(id));
        assertEquals(Job.State.QUEUED, queue.get(id).orElseThrow().state());
    }

    @Test
    void backoffIsCappedAndJitteredWithinHalfToFull() {
        JobQueue.Backoff b = new JobQueue.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(60));
        assertEquals(Duration.ofSeconds(30), b.delay(10, 0.0));
        assertEquals(Duration.ofSeconds(60), b.delay(10, 1.0));
        assertEquals(Duration.ofSeconds(6), b.delay(3, 0.5));
    }

    @Test
    void aWorkerThatDiesOnTheLastAttemptLeavesADeadJobWithTheReason() {
        UUID id = queue.enqueue(new JobQueue.NewJob("test.work", Optional.empty(), "{}", Optional.empty(),
                Optional.empty(), 1)).orElseThrow();
        queue.claim("w1", Set.of("test.work"), 1, lease);
        clock.advance(lease.plusSeconds(1));
        assertTrue(queue.claim("w2", Set.of("test.work"), 1, lease).isEmpty());
        Job dead = queue.get(id).orElseThrow();
        assertEquals(Job.State.DEAD, dead.state());
        assertTrue(dead.lastError().orElseThrow().contains("w1"), dead.lastError().toString());
    }

    @Test
    void releaseHandsAJobBackWithoutSpendingAnAttempt() {
        UUID id = queue.enqueue(job("a")).orElseThrow();
        queue.claim("w1", Set.of("test.work"), 1, lease);
        assertTrue(queue.release(id, "w1"));
        Job j = queue.get(id).orElseThrow();
        assertEquals(Job.State.QUEUED, j.state());
        assertEquals(0, j.attempts());
    }

    @Test
    void deferHandsAJobBackForLaterWithoutSpendingAnAttempt() {
        UUID id = queue.enqueue(job("paced")).orElseThrow();
        queue.claim("w1", Set.of("test.work"), 1, lease);
        assertFalse(queue.defer(id, "w2", clock.instant()), "only the lease owner may defer");
        assertTrue(queue.defer(id, "w1", clock.instant().plusSeconds(5)));
        Job j = queue.get(id).orElseThrow();
        assertEquals(Job.State.QUEUED, j.state());
        assertEquals(0, j.attempts());
        assertTrue(queue.claim("w1", Set.of("test.work"), 1, lease).isEmpty(), "not before its time");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(1, queue.claim("w1", Set.of("test.work"), 1, lease).size());
    }
}
