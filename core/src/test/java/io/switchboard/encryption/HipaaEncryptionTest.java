package io.switchboard.encryption;

import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.ORGANIZATION_DATA_KEYS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.TranscriptStore;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.common.SwitchboardException;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.storage.ObjectStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.transcription.Word;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HIPAA mode's encryption at rest on real PostgreSQL: what is stored is ciphertext bound to its row, what is
 * read is the plaintext, content written before the mode went on gets sealed, and a master key rotation
 * re-wraps data keys without touching content.
 */
class HipaaEncryptionTest {

    private static final String SECRET = "my date of birth is nineteen eighty four";
    private Fixtures f;
    private DSLContext dsl;
    private ObjectStore store;
    private javax.crypto.SecretKey keyA;
    private MasterKeys masterA;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        dsl = f.plane.database().dsl();
        store = TestObjectStore.freshBucket();
        keyA = MasterKeys.newKey();
        masterA = MasterKeys.of(keyA, List.of());
    }

    private ContentSeal seal(MasterKeys master) {
        return new ContentSeal(dsl, f.plane.clock(), master);
    }

    private CallService calls(MasterKeys master) {
        return f.calls(store, seal(master));
    }

    private Fixtures.Tenant tenant(String name, boolean hipaa) {
        Fixtures.Tenant t = f.tenant(name, "enterprise");
        if (hipaa) {
            f.plane.organizations().update(t.owner(), Optional.empty(), Optional.of(true));
        }
        return t;
    }

    private Call callWithContent(CallService calls, Fixtures.Tenant t) {
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        Call c = calls.open(t.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "", AudioFormat.Encoding.MULAW,
                8000, 1, AudioFormat.Container.RAW));
        UUID org = t.owner().organizationId();
        calls.end(org, c.id(), Call.State.ENDED, "hangup");
        calls.saveSegment(org, c.id(), new TranscriptSegment(1, 0, "customer", 0, 2000, SECRET,
                List.of(new Word("nineteen", Duration.ofMillis(900), Duration.ofMillis(1300), 0.9)), "recording"));
        calls.saveSummary(org, c.id(), new CallSummary(Optional.of("The caller gave their birth year."),
                Map.of("birth_year", "1984"), Optional.of("qualified"), "in-process", Map.of()));
        return c;
    }

    /** Everything stored about the call's content, as text, straight from PostgreSQL. */
    private String storedText(UUID callId) {
        return String.join("\n", dsl.fetch("select t::text from transcript_segments t where call_id = ?", callId)
                .getValues(0, String.class)) + "\n" + String.join("\n", dsl.fetch(
                "select s::text from call_summaries s where call_id = ?", callId).getValues(0, String.class));
    }

    @Test
    void inHipaaModeContentIsStoredOnlyAsCiphertextAndReadBackAsPlaintext() {
        CallService calls = calls(masterA);
        Fixtures.Tenant hipaa = tenant("Clinic", true);
        Fixtures.Tenant plain = tenant("Shop", false);
        Call sealedCall = callWithContent(calls, hipaa);
        Call plainCall = callWithContent(calls, plain);

        String stored = storedText(sealedCall.id());
        assertFalse(stored.contains("nineteen"), stored);
        assertFalse(stored.contains("1984"), stored);
        assertFalse(stored.contains("birth"), stored);
        assertTrue(stored.contains("qualified"), "the disposition code stays queryable for campaign statistics");
        assertNotNull(dsl.select(TRANSCRIPT_SEGMENTS.SEALED).from(TRANSCRIPT_SEGMENTS)
                .where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(sealedCall.id())).fetchSingle().value1());
        assertTrue(storedText(plainCall.id()).contains("nineteen"), "outside HIPAA mode nothing is sealed");

        UUID org = hipaa.owner().organizationId();
        TranscriptSegment back = calls.transcript(org, sealedCall.id()).getFirst();
        assertEquals(SECRET, back.text());
        assertEquals("nineteen", back.words().getFirst().text());
        CallSummary summary = calls.summary(org, sealedCall.id()).orElseThrow();
        assertEquals(Optional.of("The caller gave their birth year."), summary.summary());
        assertEquals(Map.of("birth_year", "1984"), summary.variables());
        assertEquals(1, dsl.fetchCount(ORGANIZATION_DATA_KEYS, ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(org)));
        assertEquals(0, dsl.fetchCount(ORGANIZATION_DATA_KEYS,
                ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(plain.owner().organizationId())));
    }

    @Test
    void ciphertextMovedToAnotherRowOrAlteredDoesNotOpen() {
        CallService calls = calls(masterA);
        Fixtures.Tenant hipaa = tenant("Clinic", true);
        Call a = callWithContent(calls, hipaa);
        Call b = callWithContent(calls, hipaa);
        UUID org = hipaa.owner().organizationId();
        byte[] fromA = dsl.select(CALL_SUMMARIES.SEALED).from(CALL_SUMMARIES).where(CALL_SUMMARIES.CALL_ID.eq(a.id()))
                .fetchSingle().value1();
        dsl.update(CALL_SUMMARIES).set(CALL_SUMMARIES.SEALED, fromA).where(CALL_SUMMARIES.CALL_ID.eq(b.id())).execute();
        assertThrows(MasterKeys.SealBroken.class, () -> calls.summary(org, b.id()), "bound to its own call");

        byte[] altered = fromA.clone();
        altered[altered.length - 20] ^= 1;
        dsl.update(CALL_SUMMARIES).set(CALL_SUMMARIES.SEALED, altered).where(CALL_SUMMARIES.CALL_ID.eq(a.id())).execute();
        assertThrows(MasterKeys.SealBroken.class, () -> calls.summary(org, a.id()), "one flipped bit is caught");
    }

    @Test
    void contentWrittenBeforeHipaaModeIsSealedByTheWorkerPass() {
        ContentSeal sealA = seal(masterA);
        CallService calls = f.calls(store, sealA);
        TranscriptStore transcripts = new TranscriptStore(dsl, f.plane.clock(), f.plane.plans(), sealA);
        Fixtures.Tenant clinic = tenant("Clinic", false);
        Call c = callWithContent(calls, clinic);
        assertTrue(storedText(c.id()).contains("nineteen"));
        f.plane.organizations().update(clinic.owner(), Optional.empty(), Optional.of(true));
        assertEquals(2, transcripts.sealExisting(100), "one transcript segment and one summary");
        assertEquals(0, transcripts.sealExisting(100));
        assertFalse(storedText(c.id()).contains("nineteen"));
        assertEquals(SECRET, calls.transcript(clinic.owner().organizationId(), c.id()).getFirst().text());
        assertEquals(Map.of("birth_year", "1984"), calls.summary(clinic.owner().organizationId(), c.id()).orElseThrow()
                .variables());
    }

    @Test
    void rotatingTheMasterKeyRewrapsDataKeysAndNeverTouchesContent() {
        Fixtures.Tenant clinic = tenant("Clinic", true);
        UUID org = clinic.owner().organizationId();
        Call c = callWithContent(calls(masterA), clinic);
        byte[] sealedBefore = dsl.select(TRANSCRIPT_SEGMENTS.SEALED).from(TRANSCRIPT_SEGMENTS)
                .where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(c.id())).fetchSingle().value1();

        var keyB = MasterKeys.newKey();
        var onlyB = calls(MasterKeys.of(keyB, List.of()));
        var missing = assertThrows(IllegalStateException.class, () -> onlyB.transcript(org, c.id()));
        assertTrue(missing.getMessage().contains("previous-master-key-files"), missing.getMessage());

        ContentSeal rotatedSeal = seal(MasterKeys.of(keyB, List.of(keyA)));
        CallService rotated = f.calls(store, rotatedSeal);
        assertEquals(1, rotatedSeal.rewrapAll());
        assertEquals(0, rotatedSeal.rewrapAll());
        assertEquals(MasterKeys.idOf(keyB), dsl.select(ORGANIZATION_DATA_KEYS.MASTER_KEY_ID).from(ORGANIZATION_DATA_KEYS)
                .where(ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(org)).fetchSingle().value1());
        assertArrayEquals(sealedBefore, dsl.select(TRANSCRIPT_SEGMENTS.SEALED).from(TRANSCRIPT_SEGMENTS)
                .where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(c.id())).fetchSingle().value1(), "content is not re-encrypted");
        assertEquals(SECRET, calls(MasterKeys.of(keyB, List.of())).transcript(org, c.id()).getFirst().text(),
                "after re-wrapping, the old master key is no longer needed");

        int v2 = rotatedSeal.rotateDataKey(org);
        assertEquals(2, v2);
        Call later = callWithContent(rotated, clinic);
        assertEquals(SECRET, rotated.transcript(org, later.id()).getFirst().text());
        assertEquals(SECRET, rotated.transcript(org, c.id()).getFirst().text(), "version 1 content still opens");
    }

    @Test
    void recordingUrlsAreShorterLivedInHipaaMode() {
        CallService calls = calls(masterA);
        Fixtures.Tenant clinic = tenant("Clinic", true);
        Call c = callWithContent(calls, clinic);
        UUID org = clinic.owner().organizationId();
        calls.recordRecording(org, c.id(), new RecordingStore.Assembled(RecordingStore.recordingKey(org, c.id()), 44,
                "0".repeat(64)));
        var tooLong = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> calls.recordingUrl(clinic.owner(), c.id().toString(), Optional.of(Duration.ofMinutes(10))));
        assertEquals("ttl", tooLong.violations().getFirst().field());
        CallService.RecordingUrl url = calls.recordingUrl(clinic.owner(), c.id().toString(), Optional.empty());
        Duration lives = Duration.between(java.time.Instant.now(), url.expiresAt());
        assertTrue(lives.compareTo(CallService.HIPAA_MAX_URL_TTL) <= 0
                && lives.compareTo(CallService.HIPAA_MAX_URL_TTL.minusSeconds(10)) > 0, lives.toString());
        assertTrue(url.url().contains("X-Amz-Expires=300"), url.url());
    }
}
