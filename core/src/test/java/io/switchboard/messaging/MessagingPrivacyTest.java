package io.switchboard.messaging;

import static io.switchboard.db.Tables.MESSAGES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import io.switchboard.plans.DataClass;
import io.switchboard.privacy.Consents;
import io.switchboard.privacy.SubjectRights;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.retention.LegalHold;
import io.switchboard.retention.RetentionSweeper;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Texts under the data rules: export, erasure, retention by plan and legal holds, on real PostgreSQL. */
class MessagingPrivacyTest extends MessagingFixture {

    private static final String SENDER = "+14155550100";

    private SubjectRights rights;

    @BeforeEach
    void setUp() {
        start("starter", "", "", "{}", SENDER);
        var store = TestObjectStore.freshBucket();
        rights = new SubjectRights(dsl, clock, f.calls(store), new RecordingStore(store),
                new Consents(dsl, clock, f.plane.audit()), f.plane.audit(), f.plane.messaging());
    }

    private Message text(String body) {
        return messaging.send(acme.owner(), new MessagingService.SendRequest(ada.id().toString(), "", SENDER, body, "",
                "", "", Map.of()));
    }

    @Test
    void anExportCarriesTheContactsTextsOpenedAndItsOptOuts() {
        text("your code is 1234");
        messaging.receive("SM" + "1".repeat(32), PHONE, SENDER, "STOP");
        StringBuilder out = new StringBuilder();
        rights.export(acme.owner(), ada.id().toString(), SubjectRights.Format.JSON, out::append);
        String json = out.toString();
        assertTrue(json.contains("\"messages\""), json);
        assertTrue(json.contains("your code is 1234"), "bodies are opened for the person's own export");
        assertTrue(json.contains("\"text_consent_events\"") && json.contains("\"words\":\"STOP\""), json);
    }

    @Test
    void erasureRemovesBodiesAndTheNumberAndKeepsAnonymisedStructure() {
        Message sent = text("meet me at 221B Baker Street");
        messaging.receive("SM" + "2".repeat(32), PHONE, SENDER, "see you there, Ada here");
        SubjectRights.Erasure e = rights.erase(acme.owner(), ada.id().toString());
        assertEquals(2, e.messagesAnonymised());
        assertEquals(2, dsl.fetchCount(MESSAGES), "the structure stays for billing and statistics");
        // every column of every message row, as text, and the sealed bytes: nothing of the person is left
        for (var r : dsl.selectFrom(MESSAGES).fetch()) {
            String row = r.intoMap().toString();
            assertFalse(row.contains(PHONE.substring(1)), row);
            assertFalse(row.contains("Baker") || row.contains("Ada"), row);
            assertEquals(null, r.getSealed());
            assertEquals(null, r.getContactId());
        }
        assertEquals(Message.Status.FAILED, messaging.find(acme.owner().organizationId(), sent.id()).orElseThrow().status(),
                "a text still queued for the person never goes out");
        assertEquals(1, dsl.fetchCount(io.switchboard.db.Tables.RETENTION_DELETIONS,
                io.switchboard.db.Tables.RETENTION_DELETIONS.DATA_CLASS.eq("messages")
                        .and(io.switchboard.db.Tables.RETENTION_DELETIONS.REASON.eq("erased"))));
    }

    @Test
    void textsExpireWithTheirPlansMessagesPeriodUnlessHeld() {
        assertEquals(f.plane.plans().effectivePolicy(acme.owner().organizationId()).retention(DataClass.CALL_LOGS),
                f.plane.plans().effectivePolicy(acme.owner().organizationId()).retention(DataClass.MESSAGES),
                "the default catalog keeps texts as long as call logs");
        Message kept = text("held");
        Fixtures.Tenant globex = f.tenant("Globex", "starter");
        messaging.addSender(globex.owner(), "+14155550200");
        Message gone = messaging.send(globex.owner(), new MessagingService.SendRequest("", "+12125550177",
                "+14155550200", "expires", "", "", "", Map.of()));
        Instant expiry = dsl.select(MESSAGES.EXPIRES_AT).from(MESSAGES).where(MESSAGES.ID.eq(gone.id()))
                .fetchSingle(MESSAGES.EXPIRES_AT);
        assertEquals(NOON.plus(Duration.ofDays(30)), expiry, "starter keeps texts 30 days");
        f.plane.legalHolds().place(acme.owner(), Optional.of(LegalHold.Scope.CONTACT), ada.id().toString(), "matter 7");

        clock.set(NOON.plus(Duration.ofDays(31)));
        RetentionSweeper sweeper = new RetentionSweeper(dsl, clock, new RecordingStore(TestObjectStore.freshBucket()),
                f.plane.auditLog(), f.plane.plans(), 100);
        RetentionSweeper.Result r = sweeper.sweep();
        assertEquals(1, r.messages());
        assertTrue(messaging.find(acme.owner().organizationId(), kept.id()).isPresent(), "a hold on the contact keeps it");
        assertTrue(messaging.find(globex.owner().organizationId(), gone.id()).isEmpty());
    }

    @Test
    void inHipaaModeEveryReadOfABodyIsAudited() {
        Fixtures.Tenant clinic = f.tenant("Clinic", "enterprise");
        f.plane.organizations().update(clinic.owner(), Optional.empty(), Optional.of(true));
        messaging.addSender(clinic.owner(), "+14155550300");
        Message m = messaging.send(clinic.owner(), new MessagingService.SendRequest("", PHONE, "+14155550300",
                "your results are ready", "", "", "", Map.of()));
        f.audited.clear();
        messaging.get(clinic.owner(), m.id().toString());
        messaging.messages(clinic.owner(), PHONE, "", 0, "");
        assertEquals(2, f.audited.stream().filter(e -> e.action().equals("message.content.read")).count());
        f.audited.clear();
        text("not PHI");
        messaging.messages(acme.owner(), PHONE, "", 0, "");
        assertEquals(0, f.audited.stream().filter(e -> e.action().equals("message.content.read")).count(),
                "outside HIPAA mode reads are not audited one by one");
    }
}
