package io.switchboard.retention;

import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.common.SwitchboardException;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.storage.ObjectStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention driven by an injected clock, against real PostgreSQL and a real S3 endpoint: items expire
 * exactly when the plan says, objects go before rows, evidence is left, nothing else is touched.
 */
class RetentionSweeperTest {

    private static final Duration GROWTH = Duration.ofDays(90); // recordings, transcripts, summaries on growth
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    private Fixtures f;
    private DSLContext dsl;
    private ObjectStore store;
    private CallService calls;
    private RetentionSweeper sweeper;
    private Fixtures.Tenant acme;
    private Fixtures.Tenant globex;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        dsl = f.plane.database().dsl();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        sweeper = new RetentionSweeper(dsl, clock, new RecordingStore(store), f.plane.auditLog(), f.plane.plans(), 2);
        acme = f.tenant("Acme", "growth");
        globex = f.tenant("Globex", "enterprise"); // unlimited retention
    }

    /** A finished call with a 3-segment transcript, a summary and an assembled recording. */
    private Call processedCall(Fixtures.Tenant t) {
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        Call c = calls.open(t.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "+14155550123", "+14155550100",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        UUID org = t.owner().organizationId();
        calls.storeSegment(org, c.id(), 0, new byte[8000]);
        calls.end(org, c.id(), Call.State.ENDED, "hangup");
        for (int i = 0; i < 3; i++) {
            calls.saveSegment(org, c.id(), new TranscriptSegment(0, i, "unknown", i * 1000L, i * 1000L + 900, "words " + i,
                    List.of(), "live"));
        }
        calls.saveSummary(org, c.id(), new CallSummary(Optional.of("a summary"), Map.of(), Optional.empty(), "in-process",
                Map.of()));
        RecordingStore.Assembled a = new RecordingStore(store).assemble(org, c.id(), c.format(), 1, 8000);
        assertTrue(calls.recordRecording(org, c.id(), a));
        return calls.find(org, c.id()).orElseThrow();
    }

    /** Recordings, transcript segments and summaries a sweep deleted. */
    private static List<Integer> content(RetentionSweeper.Result r) {
        return List.of(r.recordings(), r.transcriptSegments(), r.summaries());
    }

    @Test
    void everythingGoesExactlyWhenThePlanSaysAndLeavesEvidence() {
        Call call = processedCall(acme);
        UUID org = acme.owner().organizationId();
        String key = call.recording().orElseThrow().key();
        Instant stored = clock.instant();

        clock.set(stored.plus(GROWTH).minusMillis(1));
        assertEquals(0, sweeper.sweepAll().total(), "one millisecond early: nothing");
        assertTrue(store.stat(key).isPresent());

        clock.set(stored.plus(GROWTH));
        RetentionSweeper.Result r = sweeper.sweepAll();
        assertEquals(1, r.recordings());
        assertEquals(1, r.callLogs(), "the call log goes with its content: growth keeps both 90 days");
        assertTrue(store.stat(key).isEmpty(), "the object is gone from storage");
        assertTrue(calls.transcript(org, call.id()).isEmpty());
        assertTrue(calls.summary(org, call.id()).isEmpty());
        assertTrue(calls.find(org, call.id()).isEmpty());

        var evidence = dsl.selectFrom(RETENTION_DELETIONS).where(RETENTION_DELETIONS.ORGANIZATION_ID.eq(org))
                .and(RETENTION_DELETIONS.RESOURCE_TYPE.eq("call")).orderBy(RETENTION_DELETIONS.DATA_CLASS).fetch();
        assertEquals(List.of("call-logs", "recordings", "summaries", "transcripts"),
                evidence.getValues(RETENTION_DELETIONS.DATA_CLASS).stream().distinct().toList());
        for (var e : evidence) {
            assertEquals(call.id().toString(), e.getResourceId());
            assertEquals(stored.plus(GROWTH), e.getExpiredAt());
            assertEquals(clock.instant(), e.getDeletedAt());
            assertEquals("growth", e.getPlanId());
        }
        assertEquals(3, evidence.stream().filter(e -> e.getDataClass().equals("transcripts"))
                .mapToInt(e -> e.getItems()).sum(), "segments deleted over bounded passes, all accounted for");

        assertThrows(SwitchboardException.NotFound.class,
                () -> calls.recordingUrl(acme.owner(), call.id().toString(), Optional.empty()));
        assertEquals(0, sweeper.sweepAll().total(), "a second sweep finds nothing");
    }

    @Test
    void anotherPlansDataAndUnlimitedRetentionAreLeftAlone() {
        Call kept = processedCall(globex);
        Call expiring = processedCall(acme);
        clock.advance(GROWTH.multipliedBy(50));
        sweeper.sweepAll();
        UUID g = globex.owner().organizationId();
        assertEquals(3, calls.transcript(g, kept.id()).size());
        assertTrue(calls.summary(g, kept.id()).isPresent());
        assertTrue(store.stat(kept.recording().orElseThrow().key()).isPresent());
        assertTrue(calls.transcript(acme.owner().organizationId(), expiring.id()).isEmpty());
        assertEquals(0, dsl.fetchCount(RETENTION_DELETIONS, RETENTION_DELETIONS.ORGANIZATION_ID.eq(g)));
    }

    @Test
    void passesAreBoundedAndSweepAllWorksOffTheBacklog() {
        for (int i = 0; i < 3; i++) {
            processedCall(acme);
        }
        clock.advance(GROWTH);
        RetentionSweeper.Result one = sweeper.sweep();
        assertEquals(List.of(2, 2, 2), content(one), "at most a batch (2) of each class per pass");
        assertEquals(2, one.callLogs());
        RetentionSweeper.Result rest = sweeper.sweepAll();
        assertEquals(1, rest.callLogs());
        assertEquals(0, dsl.fetchCount(io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS));
        assertEquals(0, dsl.fetchCount(io.switchboard.db.Tables.CALLS, io.switchboard.db.Tables.CALLS.ORGANIZATION_ID
                .eq(acme.owner().organizationId())));
    }

    @Test
    void expiryIsStampedFromThePlanAtCreation() {
        Call call = processedCall(acme);
        var row = dsl.selectFrom(io.switchboard.db.Tables.CALLS).where(io.switchboard.db.Tables.CALLS.ID.eq(call.id()))
                .fetchSingle();
        assertEquals(clock.instant().plus(GROWTH), row.getRecordingExpiresAt());
        Call unlimited = processedCall(globex);
        assertNull(dsl.select(io.switchboard.db.Tables.CALLS.RECORDING_EXPIRES_AT).from(io.switchboard.db.Tables.CALLS)
                .where(io.switchboard.db.Tables.CALLS.ID.eq(unlimited.id())).fetchOne().value1());
    }
}
