package io.switchboard.messaging;

import static io.switchboard.db.Tables.JOBS;
import static io.switchboard.db.Tables.MESSAGES;
import static io.switchboard.db.Tables.MESSAGING_CONSENT_EVENTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.Contact;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.privacy.Consent;
import io.switchboard.privacy.Consents;
import io.switchboard.queue.Job;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.usage.UsageService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sending, receiving, keywords and the compliance checks of texts, on real PostgreSQL. */
class MessagingServiceTest extends MessagingFixture {

    private static final String SMS_FROM = "+14155550100";
    private static final String SMS_FROM_2 = "+14155550101";
    private static final String WA_FROM = "whatsapp:+14155550102";

    @BeforeEach
    void setUp() {
        start("growth", "Lovelace", "ada@example.com", "{\"plan\":\"gold\"}", SMS_FROM, SMS_FROM_2, WA_FROM);
    }

    private static MessagingService.SendRequest toContact(Contact c, String from, String body) {
        return new MessagingService.SendRequest(c.id().toString(), "", from, body, "", "", "", Map.of());
    }

    private static MessagingService.SendRequest toNumber(String to, String from, String body) {
        return new MessagingService.SendRequest("", to, from, body, "", "", "", Map.of());
    }

    private Principal withRole(Fixtures.Tenant t, Role role) {
        return f.plane.apiKeys().authenticate(f.plane.apiKeys().create(t.owner(), role.dbName(), role, "",
                Optional.empty()).secret(), "test");
    }

    private static String failedType(Runnable r) {
        return assertThrows(SwitchboardException.FailedPrecondition.class, r::run).type();
    }

    @Test
    void aSendIsStoredSealedAndQueuedInOneTransaction() {
        Message m = messaging.send(acme.owner(), toContact(ada, SMS_FROM, "Your appointment is at 3pm €"));
        assertEquals(Message.Status.QUEUED, m.status());
        assertEquals(Channel.SMS, m.channel());
        assertEquals(PHONE, m.to());
        assertEquals(Optional.of(ada.id()), m.contactId());
        assertEquals(new Segments(Segments.Encoding.GSM7, 0, 1), m.segments());
        assertEquals("Your appointment is at 3pm €", messaging.get(acme.owner(), m.id().toString()).body());
        byte[] sealed = dsl.select(MESSAGES.SEALED).from(MESSAGES).where(MESSAGES.ID.eq(m.id())).fetchSingle(MESSAGES.SEALED);
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("appointment"), "the body is encrypted at rest");
        Job job = f.plane.jobs().find(MessagingService.SEND_JOB, m.id().toString()).orElseThrow();
        assertEquals(Job.State.QUEUED, job.state());
        assertEquals(Optional.of(acme.owner().organizationId()), job.organizationId());
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("message.send")));
    }

    @Test
    void templatesFillContactCallAndRequestVariablesAndAMissingOneRefusesNamingIt() {
        CallService calls = f.calls(TestObjectStore.freshBucket());
        String agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of()))
                .id().toString();
        Call call = calls.open(acme.owner(), new CallSpec(agent, "", ada.id().toString(), Call.Direction.OUTBOUND,
                SMS_FROM, PHONE, AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        Template t = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("renewal",
                Optional.of(Channel.SMS), Optional.empty(), "Hi {{first_name}} ({{metadata.plan}}), your renewal is on"
                        + " {{call.variables.renewal_date}}. {{ link }}", ""));
        var send = new MessagingService.SendRequest(ada.id().toString(), "", SMS_FROM, "", t.id().toString(),
                call.id().toString(), "", Map.of("link", "https://x.example/r"));

        var missing = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(), send));
        assertEquals("template_id", missing.violations().getFirst().field());
        assertTrue(missing.getMessage().contains("{{call.variables.renewal_date}} has no value: the call captured no renewal_date"),
                missing.getMessage());
        assertTrue(dsl.fetchCount(MESSAGES) == 0, "nothing was stored");

        calls.saveLiveOutcome(acme.owner().organizationId(), call.id(), Map.of("renewal_date", "1 March"), Optional.empty());
        Message m = messaging.send(acme.owner(), send);
        assertEquals("Hi Ada (gold), your renewal is on 1 March. https://x.example/r", m.body());
        assertEquals(Optional.of(call.id()), m.callId());

        var noLink = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                new MessagingService.SendRequest(ada.id().toString(), "", SMS_FROM, "", t.id().toString(),
                        call.id().toString(), "", Map.of())));
        assertTrue(noLink.getMessage().contains("{{link}} has no value"), noLink.getMessage());
    }

    @Test
    void aRecipientsRefusalComesBeforeTheirDataIsFilledInButAMalformedRequestIsRefusedWhoeverItGoesTo() {
        String bobPhone = "+12125550124";
        Contact bob = f.plane.contacts().create(acme.owner(), new ContactSpec("", bobPhone, "", "", "",
                "{\"note\":\"" + "n".repeat(100) + "\"}", List.of(), "America/New_York", List.of()), "");
        Template nudge = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("nudge",
                Optional.of(Channel.SMS), Optional.empty(), "Hi {{first_name}}, your {{metadata.tier}} plan: {{link}}", ""));
        Template note = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("note",
                Optional.of(Channel.SMS), Optional.empty(), "a".repeat(1580) + "{{metadata.note}}", ""));
        Template recap = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("recap",
                Optional.of(Channel.SMS), Optional.empty(), "You chose {{call.variables.plan}}", ""));
        Map<String, String> link = Map.of("link", "https://x.example/r");

        // a recipient who could receive it: the text's own gaps are what is wrong
        var lacking = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                withTemplate(bob, nudge, link)));
        assertTrue(lacking.getMessage().contains("{{first_name}} has no value"), lacking.getMessage());
        var overlong = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                withTemplate(bob, note, Map.of())));
        assertTrue(overlong.getMessage().contains("the filled-in text"), overlong.getMessage());

        messaging.receive("SM00000000000000000000000000000021", bobPhone, SMS_FROM, "STOP");
        f.plane.doNotCall().add(acme.owner(), List.of(PHONE), "", "asked", "api");
        // the same sends to people who may not be texted: that is what they are told, with their data left unread
        assertEquals("OPTED_OUT", failedType(() -> messaging.send(acme.owner(), withTemplate(bob, nudge, link))));
        assertEquals("OPTED_OUT", failedType(() -> messaging.send(acme.owner(), withTemplate(bob, note, Map.of()))));
        assertEquals("DO_NOT_CALL", failedType(() -> messaging.send(acme.owner(), withTemplate(ada, nudge, link))));

        // a request no recipient could satisfy is malformed, opted out or not
        var noLink = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                withTemplate(bob, nudge, Map.of("link", ""))));
        assertEquals("template_id", noLink.violations().getFirst().field());
        assertTrue(noLink.getMessage().contains("{{link}} has no value: it is not a contact field and the request's"
                + " variables do not give it"), noLink.getMessage());
        var noCall = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                withTemplate(ada, recap, Map.of())));
        assertTrue(noCall.getMessage().contains("{{call.variables.plan}} has no value: the send names no call_id"),
                noCall.getMessage());
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.send(acme.owner(), new MessagingService
                .SendRequest(bob.id().toString(), "", SMS_FROM, "", UUID.randomUUID().toString(), "", "", link)));
        var wrongChannel = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                new MessagingService.SendRequest(bob.id().toString(), "", WA_FROM, "", nudge.id().toString(), "", "", link)));
        assertEquals("template_id", wrongChannel.violations().getFirst().field());

        assertEquals(1, dsl.fetchCount(MESSAGES, MESSAGES.DIRECTION.eq("outbound")), "only bob's STOP confirmation");
        assertEquals(3, f.audited.stream().filter(e -> e.action().equals("message.refused")).count(),
                "each recipient refusal audited, no malformed request");
    }

    private static MessagingService.SendRequest withTemplate(Contact c, Template t, Map<String, String> variables) {
        return new MessagingService.SendRequest(c.id().toString(), "", SMS_FROM, "", t.id().toString(), "", "", variables);
    }

    @Test
    void everyOptOutKeywordInAnyCaseOptsTheNumberOutOrganisationWideWithOneConfirmation() {
        int n = 0;
        for (String word : List.of("STOP", "unsubscribe", "End", "quit", "STOPALL", "revoke", "OptOut", " cancel. ")) {
            String phone = "+1212555" + String.format("%04d", 200 + n++);
            messaging.send(acme.owner(), toNumber(phone, SMS_FROM_2, "hello"));
            MessagingService.Received r = messaging.receive("SM" + UUID.randomUUID().toString().replace("-", ""),
                    phone, SMS_FROM, word);
            assertEquals(Keywords.Kind.OPT_OUT, r.keyword(), word);
            assertTrue(r.replyId().isPresent(), "one confirmation for " + word);
            assertEquals(Message.Purpose.OPT_OUT_CONFIRMATION, messaging.get(acme.owner(), r.replyId().get().toString()).purpose());
            assertTrue(messaging.optedOut(acme.owner().organizationId(), phone));
            assertEquals("OPTED_OUT", failedType(() -> messaging.send(acme.owner(), toNumber(phone, SMS_FROM_2, "more"))),
                    "the opt-out covers every sender of the organisation");
        }
        assertEquals(8, messaging.optOuts(acme.owner(), 0, "").items().size());
    }

    @Test
    void aSecondStopIsRecordedButNotAnsweredAndStartOptsBackIn() {
        String sid = "SM00000000000000000000000000000001";
        MessagingService.Received first = messaging.receive(sid, PHONE, SMS_FROM, "STOP");
        assertEquals(first.messageId(), messaging.receive(sid, PHONE, SMS_FROM, "STOP").messageId(),
                "a webhook the carrier retries is stored once");
        assertTrue(messaging.receive("SM00000000000000000000000000000002", PHONE, SMS_FROM, "stop").replyId().isEmpty(),
                "nothing else after the one confirmation");
        assertTrue(messaging.receive("SM00000000000000000000000000000003", PHONE, SMS_FROM, "help").replyId().isEmpty(),
                "an opted-out number gets no help text either");
        assertEquals(Keywords.Kind.NONE, messaging.receive("SM00000000000000000000000000000004", PHONE, SMS_FROM,
                "stop please").keyword(), "only a single word counts");
        assertEquals("OPTED_OUT", failedType(() -> messaging.send(acme.owner(), toContact(ada, SMS_FROM, "hi"))));
        long outbound = dsl.fetchCount(MESSAGES, MESSAGES.DIRECTION.eq("outbound"));
        assertEquals(1, outbound, "one confirmation, and the refused send never stored");
        assertEquals(0, dsl.fetchCount(JOBS, JOBS.DEDUPE_KEY.notIn(dsl.select(MESSAGES.ID.cast(String.class)).from(MESSAGES))));

        MessagingService.Received start = messaging.receive("SM00000000000000000000000000000005", PHONE, SMS_FROM_2, "Start");
        assertEquals(Keywords.Kind.OPT_IN, start.keyword());
        assertTrue(start.replyId().isPresent());
        assertFalse(messaging.optedOut(acme.owner().organizationId(), PHONE));
        assertEquals(Message.Status.QUEUED, messaging.send(acme.owner(), toContact(ada, SMS_FROM, "hi")).status());
        assertEquals(List.of("OPT_OUT:STOP", "OPT_OUT:STOP", "OPT_IN:START"), messaging.consentEvents(acme.owner(), PHONE)
                .stream().map(e -> e.kind() + ":" + e.words()).toList());
        assertThrows(Exception.class, () -> dsl.deleteFrom(MESSAGING_CONSENT_EVENTS).execute(), "consent events are immutable");
        assertThrows(Exception.class, () -> dsl.update(MESSAGING_CONSENT_EVENTS).set(MESSAGING_CONSENT_EVENTS.KIND, "opt_in")
                .execute());
    }

    @Test
    void helpAndYesGetAnswersAndInboundIsMetered() {
        MessagingService.Received help = messaging.receive("SM00000000000000000000000000000011", PHONE, SMS_FROM, "HELP");
        assertEquals("Acme: reply STOP to stop receiving texts, START to receive them again.",
                messaging.get(acme.owner(), help.replyId().orElseThrow().toString()).body());
        assertTrue(messaging.receive("SM00000000000000000000000000000012", PHONE, SMS_FROM, "yes").replyId().isEmpty(),
                "YES from a number that never opted out is an ordinary reply");
        var usage = f.plane.usage().report(acme.owner(), Optional.of(NOON.minus(Duration.ofDays(1))),
                Optional.of(NOON.plus(Duration.ofDays(1))), UsageService.Granularity.DAY).totals();
        assertEquals(2, usage.smsSegments(), "inbound texts are billed per segment too");
    }

    @Test
    void whatsAppFreeFormOnlyWithinTwentyFourHoursOfTheContactsLastMessage() {
        String to = "whatsapp:" + PHONE;
        assertEquals("OUTSIDE_WHATSAPP_WINDOW", failedType(() -> messaging.send(acme.owner(), toNumber(to, WA_FROM, "hi"))),
                "never written to us");
        messaging.receive("SM00000000000000000000000000000021", to, WA_FROM, "Hello?");
        Instant last = clock.instant();
        clock.set(last.plus(Duration.ofHours(24)).minusNanos(1000));
        assertEquals(Channel.WHATSAPP, messaging.send(acme.owner(), toNumber(to, WA_FROM, "yes?")).channel());
        clock.set(last.plus(Duration.ofHours(24)));
        assertEquals("OUTSIDE_WHATSAPP_WINDOW", failedType(() -> messaging.send(acme.owner(), toNumber(to, WA_FROM, "hi"))),
                "exactly 24 hours later the window is closed");
        messaging.receive("SM00000000000000000000000000000022", PHONE, SMS_FROM, "on WhatsApp?");
        assertEquals("OUTSIDE_WHATSAPP_WINDOW", failedType(() -> messaging.send(acme.owner(), toNumber(to, WA_FROM, "x"))),
                "an SMS does not open the WhatsApp window");

        Template free = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("wa-free",
                Optional.of(Channel.WHATSAPP), Optional.empty(), "Your code is {{code}}", ""));
        Template approved = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("wa-approved",
                Optional.of(Channel.WHATSAPP), Optional.empty(), "Your code is {{code}}", "HX" + "0".repeat(32)));
        assertEquals("OUTSIDE_WHATSAPP_WINDOW", failedType(() -> messaging.send(acme.owner(),
                new MessagingService.SendRequest("", to, WA_FROM, "", free.id().toString(), "", "", Map.of("code", "1")))),
                "template text in the body is free-form too");
        Message m = messaging.send(acme.owner(), new MessagingService.SendRequest("", to, WA_FROM, "",
                approved.id().toString(), "", "", Map.of("code", "1234")));
        assertEquals("Your code is 1234", m.body());
        MessagingService.Dispatch d = messaging.dispatch(m.id()).orElseThrow();
        assertEquals("HX" + "0".repeat(32), d.contentSid());
        assertEquals(Map.of("code", "1234"), d.contentVariables());
    }

    @Test
    void theDoNotCallListAndMarketingConsentApplyToTexts() {
        f.plane.doNotCall().add(acme.owner(), List.of("+12125550199"), "", "asked", "api");
        assertEquals("DO_NOT_CALL", failedType(() -> messaging.send(acme.owner(), toNumber("+12125550199", SMS_FROM, "hi"))));
        Template promo = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("promo",
                Optional.of(Channel.SMS), Optional.of(Template.Category.MARKETING), "Sale, {{first_name}}!", ""));
        var send = new MessagingService.SendRequest(ada.id().toString(), "", SMS_FROM, "", promo.id().toString(), "", "",
                Map.of());
        assertEquals("NO_MARKETING_CONSENT", failedType(() -> messaging.send(acme.owner(), send)));
        Consents consents = new Consents(dsl, clock, f.plane.audit());
        consents.record(acme.owner(), new Consents.Input(ada.id().toString(), Optional.of(Consent.Purpose.MARKETING), true,
                "web form", "", Optional.empty()));
        assertEquals("Sale, Ada!", messaging.send(acme.owner(), send).body());
        clock.advance(Duration.ofMinutes(1));
        consents.record(acme.owner(), new Consents.Input(ada.id().toString(), Optional.of(Consent.Purpose.MARKETING), false,
                "phone call", "", Optional.empty()));
        assertEquals("NO_MARKETING_CONSENT", failedType(() -> messaging.send(acme.owner(), send)), "withdrawn");
    }

    @Test
    void outsideTheCallingWindowASendIsScheduledForItsOpening() {
        clock.set(ZonedDateTime.of(2026, 12, 8, 3, 0, 0, 0, NEW_YORK).toInstant());
        Message m = messaging.send(acme.owner(), toContact(ada, SMS_FROM, "good morning"));
        Instant opening = ZonedDateTime.of(2026, 12, 8, 8, 0, 0, 0, NEW_YORK).toInstant();
        assertEquals(Message.Status.SCHEDULED, m.status());
        assertEquals(Optional.of(opening), m.sendAfter());
        assertEquals(opening, f.plane.jobs().find(MessagingService.SEND_JOB, m.id().toString()).orElseThrow().runAt());
        assertEquals("NO_TIME_ZONE", failedType(() -> messaging.send(acme.owner(), toNumber("+80012345678", SMS_FROM, "x"))),
                "a number whose region names no zone");
    }

    @Test
    void carrierStatusesOnlyMoveForwardAndError21610OptsOut() {
        Message m = messaging.send(acme.owner(), toContact(ada, SMS_FROM, "hi"));
        UUID id = m.id();
        assertTrue(messaging.carrierStatus(id, "SM1", "sent", "", ""));
        assertTrue(messaging.carrierStatus(id, "SM1", "delivered", "", ""));
        assertFalse(messaging.carrierStatus(id, "SM1", "sent", "", ""), "a late 'sent' does not undo 'delivered'");
        assertEquals(Message.Status.DELIVERED, messaging.get(acme.owner(), id.toString()).status());
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> messaging.carrierStatus(id, "SM2", "read", "", ""));
        assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.carrierStatus(id, "SM1", "exploded", "", ""));

        Message other = messaging.send(acme.owner(), toNumber("+12125550177", SMS_FROM, "hi"));
        assertTrue(messaging.carrierStatus(other.id(), "SM3", "failed", "21610", "Attempt to send to unsubscribed recipient"));
        Message failed = messaging.get(acme.owner(), other.id().toString());
        assertEquals("21610", failed.errorCode());
        assertTrue(messaging.optedOut(acme.owner().organizationId(), "+12125550177"), "the carrier's opt-out is ours too");
        assertEquals("carrier", messaging.consentEvents(acme.owner(), "+12125550177").getFirst().source());
    }

    @Test
    void threadsAndMessagesArePagedNewestFirst() {
        for (int i = 0; i < 3; i++) {
            messaging.send(acme.owner(), toContact(ada, SMS_FROM, "m" + i));
            clock.advance(Duration.ofSeconds(1));
        }
        messaging.receive("SM00000000000000000000000000000031", "+12125550155", SMS_FROM, "who is this");
        var threads = messaging.threads(acme.owner(), 1, "");
        assertEquals("+12125550155", threads.items().getFirst().contactPhone());
        var second = messaging.threads(acme.owner(), 1, threads.nextPageToken().orElseThrow());
        assertEquals(PHONE, second.items().getFirst().contactPhone());
        assertEquals(3, second.items().getFirst().messages());
        assertTrue(second.nextPageToken().isEmpty());

        var page = messaging.messages(acme.owner(), "", ada.id().toString(), 2, "");
        assertEquals(List.of("m2", "m1"), page.items().stream().map(Message::body).toList());
        var rest = messaging.messages(acme.owner(), "", ada.id().toString(), 2, page.nextPageToken().orElseThrow());
        assertEquals(List.of("m0"), rest.items().stream().map(Message::body).toList());
        assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.messages(acme.owner(), "+12125550155", "",
                2, page.nextPageToken().orElseThrow()), "a token works only in its own thread");
    }

    @Test
    void noOrganisationSeesOrUsesAnothersMessagesTemplatesOrSenders() {
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        messaging.addSender(globex.owner(), "+14155550200");
        Message m = messaging.send(acme.owner(), toContact(ada, SMS_FROM, "private"));
        Template t = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("t", Optional.of(Channel.SMS),
                Optional.empty(), "x", ""));
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.get(globex.owner(), m.id().toString()));
        assertTrue(messaging.threads(globex.owner(), 0, "").items().isEmpty());
        assertTrue(messaging.messages(globex.owner(), PHONE, "", 0, "").items().isEmpty());
        assertTrue(messaging.templates(globex.owner(), 0, "").items().isEmpty());
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.messages(globex.owner(), "", ada.id().toString(), 0, ""));
        var notOurs = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> messaging.send(globex.owner(), toNumber(PHONE, SMS_FROM, "hi")));
        assertEquals("from", notOurs.violations().getFirst().field());
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.send(globex.owner(),
                new MessagingService.SendRequest("", PHONE, "+14155550200", "", t.id().toString(), "", "", Map.of())));
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.send(globex.owner(),
                toContact(ada, "+14155550200", "hi")));
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.deleteTemplate(globex.owner(), t.id().toString()));
        assertThrows(SwitchboardException.AlreadyExists.class, () -> messaging.addSender(globex.owner(), SMS_FROM),
                "an address belongs to one organisation");
        // a STOP to Globex's number opts out at Globex only
        messaging.receive("SM00000000000000000000000000000041", PHONE, "+14155550200", "STOP");
        assertFalse(messaging.optedOut(acme.owner().organizationId(), PHONE));
        assertTrue(messaging.optedOut(globex.owner().organizationId(), PHONE));
        assertTrue(messaging.optOuts(acme.owner(), 0, "").items().isEmpty());
    }

    @Test
    void badInputsAreRefusedNamingTheirFields() {
        var v = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                new MessagingService.SendRequest("", "not a number", "", "", "", "", "", Map.of())));
        assertEquals(Set.of("to", "body", "from"), v.violations().stream().map(SwitchboardException.Violation::field)
                .collect(Collectors.toSet()));
        var tooLong = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                toContact(ada, SMS_FROM, "a".repeat(1601))));
        assertTrue(tooLong.getMessage().contains("at most 1600"), tooLong.getMessage());
        var channels = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                toNumber("whatsapp:" + PHONE, SMS_FROM, "hi")));
        assertEquals("to", channels.violations().getFirst().field());
        var both = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                new MessagingService.SendRequest(ada.id().toString(), PHONE, SMS_FROM, "hi", "", "", "", Map.of())));
        assertEquals("to", both.violations().getFirst().field());
        var badId = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.send(acme.owner(),
                new MessagingService.SendRequest("nope", "", SMS_FROM, "hi", "", "", "", Map.of())));
        assertEquals("contact_id", badId.violations().getFirst().field());

        var template = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.createTemplate(acme.owner(),
                new MessagingService.TemplateSpec("Bad Name", Optional.empty(), Optional.empty(), "Hi {{first name}}", "HX1")));
        assertEquals(Set.of("template.name", "template.channel", "template.body", "template.content_sid"),
                template.violations().stream().map(SwitchboardException.Violation::field).collect(Collectors.toSet()));
        var smsSid = assertThrows(SwitchboardException.InvalidArgument.class, () -> messaging.createTemplate(acme.owner(),
                new MessagingService.TemplateSpec("s", Optional.of(Channel.SMS), Optional.empty(), "x", "HX" + "a".repeat(32))));
        assertTrue(smsSid.getMessage().contains("only WhatsApp"), smsSid.getMessage());
        assertEquals("address", assertThrows(SwitchboardException.InvalidArgument.class,
                () -> messaging.addSender(acme.owner(), "whatsapp:12")).violations().getFirst().field());
        assertThrows(SwitchboardException.PermissionDenied.class,
                () -> messaging.send(withRole(acme, Role.VIEWER), toContact(ada, SMS_FROM, "hi")));
        assertThrows(SwitchboardException.PermissionDenied.class,
                () -> messaging.addSender(withRole(acme, Role.AGENT), "+14155550109"));
        assertThrows(SwitchboardException.NotFound.class, () -> messaging.receive("SMx", PHONE, "+14155550999", "hi"),
                "an inbound text to a number nobody owns");
    }
}
