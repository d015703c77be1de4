package io.switchboard.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.LiveEvents;
import io.switchboard.calls.Origin;
import io.switchboard.storage.ObjectStore;
import io.switchboard.storage.Uploads;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.SaturatedCommonPool;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A live call's recording goes up on the object store's upload threads, not on the call's: a store that has not
 * answered yet does not hold up the call's audio, a blocked common ForkJoinPool does not hold up the uploads,
 * and a shutdown waits for them. Real database, real S3 protocol (s3proxy), real speech.
 */
class RecordingUploadsTest {

    private static final int SEGMENT = CallSession.SEGMENT_SECONDS * 8000; // bytes of 8 kHz μ-law per segment

    private final CountDownLatch release = new CountDownLatch(1);
    private Uploads uploads;
    private ObjectStore store;
    private CallService calls;
    private LiveCalls live;
    private Fixtures.Tenant acme;
    private String agent;
    private CallSession session;
    private SessionProbe probe;

    /** @param threads the store's upload threads */
    private void start(int threads) {
        start(threads, LiveCalls.DEFAULT_STORE_GRACE);
    }

    /**
     * @param threads    the store's upload threads
     * @param storeGrace how long a call's end waits for its segments to be stored
     */
    private void start(int threads, Duration storeGrace) {
        Fixtures f = Fixtures.fresh();
        uploads = new Uploads(threads, 64);
        store = TestObjectStore.freshBucket(uploads);
        calls = f.calls(store);
        live = LiveCalls.builder(calls, new LiveEvents(f.plane.database().dsl(), f.plane.contentSeal()))
                .eventEncoding(t -> t.event().text().getBytes()).languages(f.plane.agents())
                .storeGrace(storeGrace).build();
        acme = f.tenant("Acme", "growth");
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        if (live != null) {
            live.close();
            store.close(SessionProbe.WAIT);
        }
    }

    /** Opens a live call ({@link #session}, heard by {@link #probe}); the call as accepted. */
    private Call open() throws Exception {
        probe = new SessionProbe();
        session = live.open(acme.owner(), probe);
        session.accept(new CallInput.Open(new CallSpec(agent, "", "", Call.Direction.INBOUND, "+14155550123",
                "+14155550100", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), Origin.CLIENT));
        return probe.accepted();
    }

    /** About 14 s of speech: more than two segments. */
    private static byte[] twice(byte[] speech) {
        byte[] both = java.util.Arrays.copyOf(speech, 2 * speech.length);
        System.arraycopy(speech, 0, both, speech.length, speech.length);
        return both;
    }

    /** Holds the store's only upload thread until the test releases it: every upload waits behind it. */
    private void holdTheUploads() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        uploads.execute(() -> {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
    }

    @Test
    void theCallHandlesAllItsAudioWhileItsFirstSegmentStillWaitsForTheStore() throws Exception {
        start(1);
        holdTheUploads();
        Call call = open();
        byte[] audio = twice(CallSessionTest.speech());
        assertTrue(audio.length > 2 * SEGMENT, "more than two segments of speech: " + audio.length);
        CallSessionTest.stream(session, audio, Integer.MAX_VALUE);

        SessionProbe.caughtUp(session); // every frame handled ...
        assertEquals(0, calls.segments(call.organizationId(), call.id()), "... while no segment is stored yet");
        assertEquals(2, uploads.pending(), "the first segment waits behind the held upload, and only it");

        release.countDown();
        session.accept(new CallInput.End(""));
        assertEquals(Optional.empty(), probe.awaitClosed());
        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.ENDED, ended.state());
        assertArrayEquals(audio, CallSessionTest.recording(store, calls, ended), "every byte, in order");
        assertEquals(2, calls.segments(call.organizationId(), call.id()),
                "the first segment, then what arrived while it was on its way");
    }

    @Test
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // before the fix the call never ended
    void aRecordingUploadsWhileEveryWorkerOfTheCommonPoolIsBlocked() throws Exception {
        start(Uploads.DEFAULT_CONCURRENCY);
        byte[] audio = CallSessionTest.speech();
        Call ended;
        try (SaturatedCommonPool pool = new SaturatedCommonPool()) {
            Call call = open();
            CallSessionTest.stream(session, audio, Integer.MAX_VALUE);
            session.accept(new CallInput.End(""));
            assertEquals(Optional.empty(), probe.awaitClosed());
            ended = SessionProbe.awaitEnded(calls, call);
            assertTrue(pool.held(), "the common pool ran nothing meanwhile");
        }
        assertEquals(Call.State.ENDED, ended.state(), ended.endReason());
        assertArrayEquals(audio, CallSessionTest.recording(store, calls, ended));
    }

    @Test
    void aShutdownEndsTheCallsOnlyOnceTheirPendingSegmentsAreStored() throws Exception {
        start(1);
        holdTheUploads();
        Call call = open();
        byte[] audio = CallSessionTest.speech();
        CallSessionTest.stream(session, audio, Integer.MAX_VALUE);
        SessionProbe.caughtUp(session);
        assertEquals(0, calls.segments(call.organizationId(), call.id()), "all of it waits for the store");

        CompletableFuture<Integer> stillLive = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> stillLive.complete(live.endLiveCalls(SessionProbe.WAIT)));
        release.countDown();
        assertEquals(0, stillLive.get(SessionProbe.WAIT.toSeconds() + 10, TimeUnit.SECONDS));
        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.ENDED, ended.state(), ended.endReason());
        assertArrayEquals(audio, CallSessionTest.recording(store, calls, ended), "nothing lost to the shutdown");
        assertTrue(store.close(SessionProbe.WAIT), "then the store's uploads drain");
        assertEquals(0, uploads.pending());
    }

    @Test
    void aStoreThatNeverAnswersWithinTheGraceEndsTheCallFailedNamingTheBytesLost() throws Exception {
        start(1, Duration.ofMillis(200));
        holdTheUploads();
        Call call = open();
        byte[] audio = CallSessionTest.speech();
        CallSessionTest.stream(session, audio, Integer.MAX_VALUE);
        session.accept(new CallInput.End(""));

        var failure = probe.awaitClosed().orElseThrow();
        assertTrue(failure.getMessage().contains("its last " + audio.length + " bytes of audio could not be stored"),
                failure.getMessage());
        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.FAILED, ended.state());
        release.countDown();
        assertTrue(store.close(SessionProbe.WAIT));
        assertEquals(0, calls.segments(call.organizationId(), call.id()),
                "a segment given up is not counted, even if the store takes it afterwards");
    }
}
