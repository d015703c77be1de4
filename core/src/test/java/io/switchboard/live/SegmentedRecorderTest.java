package io.switchboard.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.storage.ObjectStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call's audio into the real object store in segments, through an outage: buffered, stored when the store
 * is back, refused past the bound, and at the end kept trying for the grace before it is given up.
 */
class SegmentedRecorderTest {

    private CallService calls;

    private ObjectStore store;
    private Call call;
    private final AtomicBoolean storeDown = new AtomicBoolean();
    private final AtomicLong now = new AtomicLong(1);

    @BeforeEach
    void setUp() {
        Fixtures f = Fixtures.fresh();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        String agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of()))
                .id().toString();
        call = calls.open(acme.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
    }

    /** The real store, unreachable while {@code storeDown} (as the store's client reports an outage). */
    private void store(int n, byte[] audio) {
        if (storeDown.get()) {
            throw new ObjectStore.StorageException("connection refused", null);
        }
        calls.storeSegment(call.organizationId(), call.id(), n, audio);
    }

    private SegmentedRecorder recorder(long maxBuffered, Duration grace) {
        return recorder(Runnable::run, maxBuffered, grace);
    }

    /** @param uploads where the uploads run: here at once on the caller's thread, so each test reads in order */
    private SegmentedRecorder recorder(Executor uploads, long maxBuffered, Duration grace) {
        return new SegmentedRecorder(this::store, uploads, call.id().toString(), 4096, maxBuffered, grace, now::get);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void audioIsStoredInSegmentsAsItComesAndTheRestAtTheEnd() throws Exception {
        SegmentedRecorder r = recorder(1 << 20, Duration.ZERO);
        byte[] audio = bytes(10_000, 1);
        for (int i = 0; i < audio.length; i += 160) {
            r.write(audio, i, Math.min(160, audio.length - i));
        }
        assertEquals(2, r.segments(), "two full segments stored while the call goes on");
        r.finish();
        assertEquals(3, r.segments());
        assertEquals(0, r.buffered());
        assertArrayEquals(audio, CallSessionTest.recording(store, calls, calls.find(call.organizationId(), call.id()).orElseThrow()));
    }

    @Test
    void whileTheStoreIsDownAudioIsBufferedAndStoredWhenItIsBack() throws Exception {
        SegmentedRecorder r = recorder(1 << 20, Duration.ZERO);
        storeDown.set(true);
        byte[] audio = bytes(20_000, 2);
        r.write(audio, 0, 12_000);
        assertTrue(r.storeDown());
        assertEquals(0, r.segments());
        assertEquals(12_000, r.buffered(), "nothing dropped");
        storeDown.set(false);
        r.write(audio, 12_000, 8_000);
        assertFalse(r.storeDown());
        assertEquals(1, r.segments(), "what waited is stored at once, in one segment");
        r.finish();
        assertArrayEquals(audio, CallSessionTest.recording(store, calls, calls.find(call.organizationId(), call.id()).orElseThrow()));
    }

    @Test
    void pastTheBoundTheCallIsRefusedSayingHowMuchWaits() {
        SegmentedRecorder r = recorder(10_000, Duration.ZERO);
        storeDown.set(true);
        r.write(bytes(8_000, 3));
        now.addAndGet(Duration.ofSeconds(7).toNanos());
        var refused = assertThrows(SwitchboardException.Unavailable.class, () -> r.write(bytes(4_096, 4)));
        assertTrue(refused.getMessage().contains("unavailable for 7 s and 12096 bytes"), refused.getMessage());
    }

    @Test
    void atTheEndTheStoreIsTriedForTheGraceThenTheLostBytesAreNamed() {
        SegmentedRecorder r = recorder(1 << 20, Duration.ZERO);
        r.write(bytes(4_096, 5)); // stored
        storeDown.set(true);
        r.write(bytes(1_000, 6));
        var lost = assertThrows(SwitchboardException.Unavailable.class, r::finish);
        assertTrue(lost.getMessage().contains("its last 1000 bytes of audio could not be stored"), lost.getMessage());
        assertEquals(1, r.segments(), "the audio before the outage is kept");
        assertEquals(0, r.buffered());
    }

    @Test
    void anUploadsRecorderThrowsTheStoresFailureAsItIs() {
        SegmentedRecorder r = SegmentedRecorder.unbuffered(this::store, call.id().toString(), 4096);
        storeDown.set(true);
        r.write(bytes(1_000, 7));
        assertThrows(ObjectStore.StorageException.class, () -> r.write(bytes(4_000, 8)));
        assertEquals(5_000, r.buffered());
        storeDown.set(false);
        r.flush();
        assertEquals(1, r.segments());
    }

    @Test
    void aSegmentTheUploadsRefuseStaysBufferedLikeAnOutageAndGoesWithTheNext() throws Exception {
        AtomicBoolean full = new AtomicBoolean(true);
        SegmentedRecorder r = recorder(task -> {
            if (full.get()) {
                throw new ObjectStore.StorageException("upload queue full: 1024 uploads wait for the object store", null);
            }
            task.run();
        }, 1 << 20, Duration.ZERO);
        byte[] audio = bytes(8_192, 9);
        r.write(audio, 0, 4_096);
        assertTrue(r.storeDown());
        assertEquals(4_096, r.buffered(), "kept, not dropped");
        full.set(false);
        r.write(audio, 4_096, 4_096);
        assertEquals(1, r.segments(), "what waited goes in the next segment");
        assertEquals(0, r.buffered());
        r.finish();
        assertArrayEquals(audio, CallSessionTest.recording(store, calls, calls.find(call.organizationId(), call.id()).orElseThrow()));
    }

    @Test
    void whileASegmentIsOnItsWayTheAudioQueuedBehindItIsBoundedToo() {
        List<Runnable> held = new java.util.ArrayList<>();
        SegmentedRecorder r = recorder(held::add, 10_000, Duration.ZERO);
        r.write(bytes(4_096, 10)); // on its way, and held there
        r.write(bytes(8_000, 11));
        assertEquals(1, held.size(), "one segment of a call on its way at a time");
        assertEquals(12_096, r.buffered());
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        var refused = assertThrows(SwitchboardException.Unavailable.class, () -> r.write(bytes(2_001, 12)));
        assertTrue(refused.getMessage().contains("storing one segment of this call for 9 s and 14097 bytes"),
                refused.getMessage());
    }
}
