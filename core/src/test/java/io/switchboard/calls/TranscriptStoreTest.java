package io.switchboard.calls;

import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.encryption.MasterKeys;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.transcription.Word;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Spoken content at rest, sealed or in the clear by the organisation's mode, on real PostgreSQL. */
class TranscriptStoreTest {

    private static final List<Word> WORDS = List.of(new Word("born", Duration.ofMillis(100), Duration.ofMillis(400), 0.75),
            new Word("nineteen", Duration.ofMillis(450), Duration.ofMillis(900), 0.5));
    private static final TranscriptSegment SEGMENT = new TranscriptSegment(1, 0, "customer", 100, 900, "born nineteen",
            WORDS, "live");

    private Fixtures f;
    private DSLContext dsl;
    private CallService calls;
    private TranscriptStore store;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        dsl = f.plane.database().dsl();
        calls = f.calls(TestObjectStore.freshBucket());
        store = f.plane.transcripts();
    }

    private Call call(boolean hipaa) {
        Fixtures.Tenant t = f.tenant(hipaa ? "Clinic" : "Shop", "enterprise");
        if (hipaa) {
            f.plane.organizations().update(t.owner(), Optional.empty(), Optional.of(true));
        }
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        return calls.open(t.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "", AudioFormat.Encoding.MULAW,
                8000, 1, AudioFormat.Container.RAW));
    }

    private org.jooq.Record3<String, String, byte[]> stored(UUID callId, int seq) {
        return dsl.select(TRANSCRIPT_SEGMENTS.TEXT, TRANSCRIPT_SEGMENTS.WORDS.cast(String.class), TRANSCRIPT_SEGMENTS.SEALED)
                .from(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(callId))
                .and(TRANSCRIPT_SEGMENTS.SEQ.eq(seq)).fetchSingle();
    }

    @Test
    void anAgentSentenceTheCallerCutKeepsItsFlagInTheClearAndSealed() {
        TranscriptSegment cut = new TranscriptSegment(0, 3, "agent", 2000, 2600, "Hello, this is", List.of(), "live",
                true);
        for (boolean hipaa : new boolean[] {false, true}) {
            Call c = call(hipaa);
            store.save(dsl, c.organizationId(), c.id(), cut);
            assertEquals(List.of(cut), store.transcript(c.organizationId(), c.id()), "hipaa " + hipaa);
        }
    }

    @Test
    void aSealedAgentSentenceMarkedCutInItsTextBeforeTheFlagReadsBackFlagged() {
        Call c = call(true);
        store.save(dsl, c.organizationId(), c.id(), new TranscriptSegment(0, 0, "agent", 0, 600, "Hello, this is —",
                List.of(), "live"));
        assertEquals(List.of(new TranscriptSegment(0, 0, "agent", 0, 600, "Hello, this is", List.of(), "live", true)),
                store.transcript(c.organizationId(), c.id()));
    }

    @Test
    void onlyAnAgentSentenceCanBeFlaggedCut() {
        Call c = call(false);
        TranscriptSegment caller = new TranscriptSegment(1, 0, "customer", 0, 600, "yes", List.of(), "live", true);
        assertThrows(org.jooq.exception.DataAccessException.class,
                () -> store.save(dsl, c.organizationId(), c.id(), caller));
    }

    @Test
    void inHipaaModeASegmentIsStoredOnlySealedAndReadsBackWordForWord() {
        Call c = call(true);
        store.save(dsl, c.organizationId(), c.id(), SEGMENT);
        var row = stored(c.id(), 0);
        assertEquals("", row.value1());
        assertEquals("[]", row.value2());
        assertNotNull(row.value3());
        assertFalse(new String(row.value3(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("nineteen"));
        assertEquals(List.of(SEGMENT), store.transcript(c.organizationId(), c.id()), "text, words, timings and confidence");
    }

    @Test
    void outsideHipaaModeTheSegmentIsInTheClearAndReadsBackTheSame() {
        Call c = call(false);
        store.save(dsl, c.organizationId(), c.id(), SEGMENT);
        var row = stored(c.id(), 0);
        assertEquals("born nineteen", row.value1());
        assertTrue(row.value2().contains("\"start_ms\": 450"), row.value2());
        assertNull(row.value3());
        assertEquals(List.of(SEGMENT), store.transcript(c.organizationId(), c.id()));
    }

    @Test
    void aSealedSegmentMovedToAnotherRowDoesNotOpen() {
        Call c = call(true);
        store.save(dsl, c.organizationId(), c.id(), SEGMENT);
        store.save(dsl, c.organizationId(), c.id(), new TranscriptSegment(1, 1, "customer", 1000, 1500, "other", List.of(),
                "live"));
        dsl.update(TRANSCRIPT_SEGMENTS).set(TRANSCRIPT_SEGMENTS.SEALED, stored(c.id(), 0).value3())
                .where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(c.id())).and(TRANSCRIPT_SEGMENTS.SEQ.eq(1)).execute();
        assertThrows(MasterKeys.SealBroken.class, () -> store.transcript(c.organizationId(), c.id()));
    }

    @Test
    void aSummaryRoundTripsSealedAndIsStoredOnce() {
        Call c = call(true);
        CallSummary s = new CallSummary(Optional.of("Gave a birth year."), Map.of("birth_year", "1984"),
                Optional.of("qualified"), "in-process", Map.of("action_items", "none said"));
        boolean first = dsl.transactionResult(cfg -> store.saveSummary(org.jooq.impl.DSL.using(cfg), c.organizationId(),
                c.id(), s));
        boolean second = dsl.transactionResult(cfg -> store.saveSummary(org.jooq.impl.DSL.using(cfg), c.organizationId(),
                c.id(), new CallSummary(Optional.of("second"), Map.of(), Optional.empty(), "x", Map.of())));
        assertTrue(first);
        assertFalse(second, "the first one stays");
        assertEquals(Optional.of(s), store.summary(c.organizationId(), c.id()));
    }

    @Test
    void contentWrittenInTheClearIsSealedByTheBackfillAndStillReads() {
        Call c = call(false);
        store.save(dsl, c.organizationId(), c.id(), SEGMENT);
        assertEquals(0, store.sealExisting(10), "not in HIPAA mode: left alone");
        dsl.update(io.switchboard.db.Tables.ORGANIZATIONS).set(io.switchboard.db.Tables.ORGANIZATIONS.HIPAA_MODE, true)
                .where(io.switchboard.db.Tables.ORGANIZATIONS.ID.eq(c.organizationId())).execute();
        assertEquals(1, store.sealExisting(10));
        assertEquals("", stored(c.id(), 0).value1());
        assertEquals(List.of(SEGMENT), store.transcript(c.organizationId(), c.id()));
    }
}
