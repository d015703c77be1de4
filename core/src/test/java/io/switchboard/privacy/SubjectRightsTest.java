package io.switchboard.privacy;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CONSENTS;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.retention.LegalHold;
import io.switchboard.storage.ObjectStore;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consent records, export and erasure on real PostgreSQL and S3. The erasure test looks for the person in
 * every table of the schema and every object of the bucket.
 */
class SubjectRightsTest {

    private static final String PHONE = "+14155550123";
    private static final String SPOKEN = "my account number is seven seven four";
    private Fixtures f;
    private DSLContext dsl;
    private ObjectStore store;
    private CallService calls;
    private Consents consents;
    private SubjectRights rights;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        dsl = f.plane.database().dsl();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        consents = new Consents(dsl, f.plane.clock(), f.plane.audit());
        rights = new SubjectRights(dsl, f.plane.clock(), calls, new RecordingStore(store), consents, f.plane.audit(),
                f.plane.messaging());
    }

    private record Person(Fixtures.Tenant t, UUID contact, Call call) {
        UUID org() {
            return t.owner().organizationId();
        }
    }

    /** A contact (Ada Lovelace) with a processed call: recording, transcript, summary with a variable. */
    private Person person(String orgName, boolean hipaa) {
        Fixtures.Tenant t = f.tenant(orgName, "enterprise");
        if (hipaa) {
            f.plane.organizations().update(t.owner(), Optional.empty(), Optional.of(true));
        }
        String list = f.plane.contacts().createList(t.owner(), "Leads", "").id().toString();
        UUID contact = f.plane.contacts().create(t.owner(), new ContactSpec("crm-ada", PHONE, "Ada", "Lovelace",
                "ada@lovelace.example", "{\"account\":\"A-9931\"}", List.of("vip"), "Europe/London", List.of(list)), "US").id();
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        UUID org = t.owner().organizationId();
        Call c = calls.open(t.owner(), new CallSpec(agent, "", contact.toString(), Call.Direction.OUTBOUND, "+14155550100",
                PHONE, AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        calls.storeSegment(org, c.id(), 0, new byte[800]);
        calls.end(org, c.id(), Call.State.ENDED, "hangup");
        calls.saveSegment(org, c.id(), new TranscriptSegment(1, 0, "customer", 0, 1500, SPOKEN, List.of(), "recording"));
        calls.saveSummary(org, c.id(), new CallSummary(Optional.of("Ada Lovelace asked about account A-9931."),
                Map.of("account", "A-9931"), Optional.of("callback"), "in-process", Map.of()));
        calls.recordRecording(org, c.id(), new RecordingStore(store).assemble(org, c.id(), c.format(), 1, 800));
        consents.record(t.owner(), new Consents.Input(contact.toString(), Optional.of(Consent.Purpose.RECORDING), true,
                "web-form", "203.0.113.7", Optional.empty()));
        return new Person(t, contact, calls.find(org, c.id()).orElseThrow());
    }

    private String export(Fixtures.Tenant t, String contact, SubjectRights.Format format) {
        StringBuilder all = new StringBuilder();
        List<Integer> chunks = new ArrayList<>();
        rights.export(t.owner(), contact, format, s -> {
            chunks.add(s.length());
            all.append(s);
        });
        assertTrue(chunks.stream().allMatch(n -> n <= 64 * 1024 + 8192), "streamed in bounded chunks: " + chunks);
        return all.toString();
    }

    @Test
    void consentIsValidatedScopedToTheTenantAndImmutable() {
        Person ada = person("Acme", false);
        Fixtures.Tenant other = f.tenant("Globex", "growth");
        var bad = assertThrows(SwitchboardException.InvalidArgument.class, () -> consents.record(ada.t().owner(),
                new Consents.Input(ada.contact().toString(), Optional.empty(), true, " ", "",
                        Optional.of(Instant.now().plus(Duration.ofHours(1))))));
        assertEquals(Set.of("purpose", "source", "given_time"), bad.violations().stream()
                .map(SwitchboardException.Violation::field).collect(Collectors.toSet()));
        assertThrows(SwitchboardException.InvalidArgument.class, () -> consents.record(ada.t().owner(),
                new Consents.Input("ada", Optional.of(Consent.Purpose.CALLS), true, "ivr", "", Optional.empty())));
        assertThrows(SwitchboardException.NotFound.class, () -> consents.record(other.owner(),
                new Consents.Input(ada.contact().toString(), Optional.of(Consent.Purpose.CALLS), true, "ivr", "",
                        Optional.empty())));
        assertThrows(SwitchboardException.NotFound.class, () -> consents.list(other.owner(), ada.contact().toString()));

        List<Consent> recorded = consents.list(ada.t().owner(), ada.contact().toString());
        assertEquals(1, recorded.size());
        assertEquals(PHONE, recorded.getFirst().phoneNumber(), "who, as they were when they consented");
        assertEquals("203.0.113.7", recorded.getFirst().ipAddress());
        var edit = assertThrows(org.jooq.exception.DataAccessException.class,
                () -> dsl.update(CONSENTS).set(CONSENTS.GRANTED, false).execute());
        assertTrue(edit.getMessage().contains("immutable"), edit.getMessage());
        assertThrows(org.jooq.exception.DataAccessException.class, () -> dsl.deleteFrom(CONSENTS).execute());
    }

    @Test
    void anExportHoldsEverythingOfThePersonDecryptedAndNothingOfAnotherTenant() throws Exception {
        Person ada = person("Clinic", true); // content sealed at rest
        Person other = person("Globex", false);
        JsonNode doc = new ObjectMapper().readTree(export(ada.t(), ada.contact().toString(), SubjectRights.Format.JSON));
        JsonNode contact = doc.get("contacts").get(0);
        assertEquals("Lovelace", contact.get("last_name").asText());
        assertEquals("A-9931", contact.get("metadata").get("account").asText());
        assertEquals("recording", contact.get("consents").get(0).get("purpose").asText());
        JsonNode call = contact.get("calls").get(0);
        assertEquals(SPOKEN, call.get("transcript").get(0).get("text").asText(), "decrypted for the requester");
        assertEquals("A-9931", call.get("summary").get("variables").get("account").asText());
        assertEquals(1, doc.get("contacts").size());

        String csv = export(ada.t(), ada.contact().toString(), SubjectRights.Format.CSV);
        assertTrue(csv.startsWith("path,value\n"), csv);
        assertTrue(csv.contains("contacts[0].calls[0].transcript[0].text," + SPOKEN + "\n"), csv);
        assertTrue(csv.contains("contacts[0].calls[0].summary.text,\"Ada Lovelace asked about account A-9931.\"\n")
                || csv.contains("contacts[0].calls[0].summary.text,Ada Lovelace asked about account A-9931.\n"), csv);

        String whole = export(ada.t(), "", SubjectRights.Format.JSON);
        assertFalse(whole.contains(other.contact().toString()) || whole.contains(other.call().id().toString()),
                "an organisation export holds only that organisation");
        assertThrows(SwitchboardException.NotFound.class, () -> rights.export(other.t().owner(), ada.contact().toString(),
                SubjectRights.Format.JSON, s -> { }));
    }

    @Test
    void erasureLeavesThePersonInNoTableAndNoObjectButKeepsTheStructure() {
        Person ada = person("Clinic", false);
        Person bystander = person("Globex", false);
        UUID org = ada.org();
        String recording = ada.call().recording().orElseThrow().key();

        LegalHold hold = f.plane.legalHolds().place(ada.t().owner(), Optional.of(LegalHold.Scope.CONTACT),
                ada.contact().toString(), "dispute");
        var held = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> rights.erase(ada.t().owner(), ada.contact().toString()));
        assertEquals("LEGAL_HOLD", held.type());
        f.plane.legalHolds().release(ada.t().owner(), hold.id().toString(), "resolved");
        assertThrows(SwitchboardException.NotFound.class, () -> rights.erase(bystander.t().owner(),
                ada.contact().toString()));

        var busy = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> rights.erase(ada.t().owner(), ada.contact().toString()));
        assertEquals("PIPELINE_RUNNING", busy.type(), "the call's pipeline job is still queued");
        dsl.execute("update jobs set state = 'succeeded', finished_at = now()"); // as the worker would
        SubjectRights.Erasure e = rights.erase(ada.t().owner(), ada.contact().toString());
        assertEquals(new SubjectRights.Erasure(ada.contact(), 1, 2, 1, 1, 1, 0), e, "one recording and its one segment");

        List<String> needles = List.of("Lovelace", "ada@lovelace", "4155550123", "A-9931", "seven seven four",
                "crm-ada", "203.0.113.7");
        List<String> found = new ArrayList<>();
        for (String table : dsl.fetch("select table_name from information_schema.tables where table_schema = 'public' "
                + "and table_type = 'BASE TABLE'").getValues(0, String.class)) {
            for (String needle : needles) {
                int n = dsl.fetchSingle("select count(*) from " + table + " t where t::text ilike ? and "
                        + "t::text not ilike ?", "%" + needle + "%", "%" + bystander.org() + "%").get(0, Integer.class);
                if (n > 0) {
                    found.add(table + " holds " + needle);
                }
            }
        }
        assertEquals(List.of(), found, "the person is in no table (the bystander's own rows aside)");
        assertTrue(store.stat(recording).isEmpty());
        List<String> objects = new ArrayList<>();
        store.list("recordings/" + org + "/").forEach(o -> objects.add(o.key()));
        assertEquals(List.of(), objects, "and in no object");

        Call kept = calls.find(org, ada.call().id()).orElseThrow();
        assertEquals("", kept.toNumber(), "the call log stays, without the number");
        assertEquals(1, dsl.fetchCount(CONSENTS, CONSENTS.ORGANIZATION_ID.eq(org)), "consent stays, anonymised");
        assertEquals(Set.of("recordings", "transcripts", "summaries", "contacts"), Set.copyOf(dsl.select(
                RETENTION_DELETIONS.DATA_CLASS).from(RETENTION_DELETIONS).where(RETENTION_DELETIONS.ORGANIZATION_ID.eq(org))
                .and(RETENTION_DELETIONS.REASON.eq("erased")).fetch(RETENTION_DELETIONS.DATA_CLASS)));
        assertTrue(f.audited.stream().anyMatch(a -> a.action().equals("privacy.erase")));
        assertEquals(PHONE, dsl.select(CALLS.TO_NUMBER).from(CALLS).where(CALLS.ID.eq(bystander.call().id()))
                .fetchSingle().value1(), "another tenant's contact with the same number is untouched");
        assertTrue(calls.summary(bystander.org(), bystander.call().id()).isPresent());
    }
}
