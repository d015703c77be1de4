package io.switchboard.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.storage.ObjectStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.Test;

/** Storage and database compared on a real S3 endpoint: orphans go once settled, missing recordings are reported. */
class StorageReconcilerTest {

    @Test
    void orphansAreDeletedOnceSettledAndMissingRecordingsAreReported() {
        MutableClock clock = new MutableClock(Instant.now());
        Fixtures f = Fixtures.fresh(clock);
        ObjectStore store = TestObjectStore.freshBucket();
        var dsl = f.plane.database().dsl();
        CallService calls = f.calls(store);
        RecordingStore recordings = new RecordingStore(store);
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        UUID org = acme.owner().organizationId();
        String agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        CallSpec spec = new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "", AudioFormat.Encoding.MULAW, 8000, 1,
                AudioFormat.Container.RAW);

        Call assembled = calls.open(acme.owner(), spec);
        calls.storeSegment(org, assembled.id(), 0, new byte[800]);
        calls.end(org, assembled.id(), Call.State.ENDED, "hangup");
        calls.recordRecording(org, assembled.id(), recordings.assemble(org, assembled.id(), assembled.format(), 1, 800));
        Call live = calls.open(acme.owner(), spec);
        calls.storeSegment(org, live.id(), 0, new byte[800]);
        Call lost = calls.open(acme.owner(), spec);
        calls.storeSegment(org, lost.id(), 0, new byte[800]);
        calls.end(org, lost.id(), Call.State.ENDED, "hangup");
        String lostKey = recordings.assemble(org, lost.id(), lost.format(), 1, 800).key();
        calls.recordRecording(org, lost.id(), new RecordingStore.Assembled(lostKey, 844, "0".repeat(64)));
        store.delete(lostKey); // gone behind the database's back; its segment is still there (the pipeline deletes it)

        String noCall = RecordingStore.recordingKey(org, UUID.randomUUID());
        String leftover = RecordingStore.segmentKey(org, assembled.id(), 0); // assembly crashed before its cleanup
        String strayOfLive = RecordingStore.segmentKey(org, live.id(), 5); // beyond what the call counted
        for (String k : List.of(noCall, leftover, strayOfLive)) {
            store.put(k, new ByteArrayInputStream(new byte[10]), 10, "application/octet-stream", Map.of());
        }

        StorageReconciler reconciler = new StorageReconciler(dsl, clock, recordings, Duration.ofHours(1));
        StorageReconciler.Report fresh = reconciler.run();
        assertTrue(fresh.ran());
        assertEquals(0, fresh.orphansDeleted(), "nothing younger than the settle time is touched");

        clock.advance(Duration.ofHours(2));
        StorageReconciler.Report r = reconciler.run();
        String lostSegment = RecordingStore.segmentKey(org, lost.id(), 0);
        assertEquals(4, r.orphansDeleted());
        assertEquals(10 + 10 + 10 + 800, r.orphanBytes());
        assertEquals(List.of(lostKey), r.missingObjects());
        for (String k : List.of(noCall, leftover, strayOfLive, lostSegment)) {
            assertTrue(store.stat(k).isEmpty(), k);
        }
        assertTrue(store.stat(assembled.recording().map(Call.Recording::key)
                .orElse(RecordingStore.recordingKey(org, assembled.id()))).isPresent(), "a recorded recording stays");
        assertTrue(store.stat(RecordingStore.segmentKey(org, live.id(), 0)).isPresent(), "a live call's segment stays");
        assertEquals(0, reconciler.run().orphansDeleted(), "a second run finds nothing");
    }
}
