package io.switchboard.messaging;

import static io.switchboard.db.Tables.WEBHOOK_DELIVERIES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The organisation's messaging settings: its own HELP/INFO answer, and whether a STOP gets the platform's
 * confirmation; and a confirmation the carrier refuses with 21610 (it confirmed the opt-out itself) is recorded
 * as expected, without the failure alarm (the message.status webhook).
 */
class MessagingSettingsTest {

    private static final Instant NOON = ZonedDateTime.of(2026, 12, 7, 12, 0, 0, 0, ZoneId.of("America/New_York"))
            .toInstant();
    private static final String SENDER = "+14155550100";
    private static final String OTHER_SENDER = "+14155550200";
    private static final String HELP = "{organization} support: call +1 415 555 0100 or visit acme.example/help."
            + " Reply STOP to opt out.";

    private Fixtures f;
    private MessagingService messaging;
    private OrganizationService organizations;
    private DSLContext dsl;
    private Fixtures.Tenant acme;
    private Fixtures.Tenant globex;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(new MutableClock(NOON));
        messaging = f.plane.messaging();
        organizations = f.plane.organizations();
        dsl = f.plane.database().dsl();
        acme = f.tenant("Acme", "growth");
        globex = f.tenant("Globex", "growth");
        messaging.addSender(acme.owner(), SENDER);
        messaging.addSender(globex.owner(), OTHER_SENDER);
    }

    private static String sid() {
        return "SM" + UUID.randomUUID().toString().replace("-", "");
    }

    private String replyBody(MessagingService.Received r, Principal reader) {
        return messaging.get(reader, r.replyId().orElseThrow().toString()).body();
    }

    private static OrganizationService.Changes helpText(String text) {
        return new OrganizationService.Changes(Optional.empty(), Optional.empty(), Optional.of(text), Optional.empty());
    }

    private static OrganizationService.Changes confirmOptOut(boolean confirm) {
        return new OrganizationService.Changes(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(confirm));
    }

    @Test
    void anOrganisationsHelpTextAnswersHelpAndInfoAndOnlyItsOwn() {
        assertEquals("", organizations.get(acme.owner()).messagingHelpText(), "unset: the platform's default");
        var updated = organizations.update(acme.owner(), helpText("  " + HELP + " "));
        assertEquals(HELP, updated.messagingHelpText(), "stored trimmed");

        String expected = "Acme support: call +1 415 555 0100 or visit acme.example/help. Reply STOP to opt out.";
        assertEquals(expected, replyBody(messaging.receive(sid(), "+12125550101", SENDER, "HELP"), acme.owner()));
        assertEquals(expected, replyBody(messaging.receive(sid(), "+12125550102", SENDER, "info"), acme.owner()));
        assertEquals("Globex: reply STOP to stop receiving texts, START to receive them again.",
                replyBody(messaging.receive(sid(), "+12125550101", OTHER_SENDER, "HELP"), globex.owner()),
                "another organisation keeps the default");
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("organization.update")
                && e.details().get("fields").equals("messaging_help_text")), "the change is audited");
    }

    @Test
    void aBadHelpTextIsRefusedNamingTheFieldAndAgentsMayNotSetIt() {
        organizations.update(acme.owner(), helpText(HELP));
        var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> organizations.update(acme.owner(),
                helpText("x".repeat(OrganizationService.MAX_HELP_TEXT + 1))));
        assertEquals("organization.messaging_help_text", e.violations().getFirst().field(), e.getMessage());
        assertEquals(HELP, organizations.get(acme.owner()).messagingHelpText(), "a refused text keeps the one before");
        assertEquals(OrganizationService.MAX_HELP_TEXT, organizations.update(acme.owner(),
                helpText("x".repeat(OrganizationService.MAX_HELP_TEXT))).messagingHelpText().length(), "the limit is allowed");
        Principal agent = f.plane.apiKeys().authenticate(f.plane.apiKeys().create(acme.owner(), "agent", Role.AGENT, "",
                Optional.empty()).secret(), "test");
        assertThrows(SwitchboardException.PermissionDenied.class, () -> organizations.update(agent, helpText(HELP)));
        assertThrows(SwitchboardException.PermissionDenied.class, () -> organizations.update(agent, confirmOptOut(false)));
    }

    @Test
    void anEmptyHelpTextReturnsTheOrganisationToThePlatformsDefault() {
        organizations.update(acme.owner(), helpText(HELP));
        for (String empty : List.of("", "   ")) {
            organizations.update(acme.owner(), helpText(HELP));
            assertEquals("", organizations.update(acme.owner(), helpText(empty)).messagingHelpText(),
                    "'" + empty + "' unsets the answer rather than storing an empty one");
        }
        assertEquals("Acme: reply STOP to stop receiving texts, START to receive them again.",
                replyBody(messaging.receive(sid(), "+12125550104", SENDER, "HELP"), acme.owner()),
                "HELP gets the platform's default again");
    }

    @Test
    void withConfirmationsOffAStopOptsOutWithoutAReply() {
        assertTrue(organizations.get(acme.owner()).confirmOptOut(), "confirmations are on by default");
        assertFalse(organizations.update(acme.owner(), confirmOptOut(false)).confirmOptOut());
        MessagingService.Received stop = messaging.receive(sid(), "+12125550103", SENDER, "STOP");
        assertEquals(Keywords.Kind.OPT_OUT, stop.keyword());
        assertTrue(stop.replyId().isEmpty(), "the carrier confirms; we do not");
        assertTrue(messaging.optedOut(acme.owner().organizationId(), "+12125550103"), "the opt-out itself still holds");
        assertTrue(messaging.receive(sid(), "+12125550103", OTHER_SENDER, "STOP").replyId().isPresent(),
                "another organisation's confirmations are unaffected");
    }

    @Test
    void theCarriersRefusalOfOurConfirmationIsRecordedAsExpectedWithoutAlarm() {
        f.plane.webhooks().create(acme.owner(), "http://placeholder/hook", List.of("message.status"), "statuses");
        MessagingService.Received stop = messaging.receive(sid(), "+12125550104", SENDER, "STOP");
        MessagingService.Dispatch confirmation = messaging.dispatch(stop.replyId().orElseThrow()).orElseThrow();
        messaging.failed(confirmation, "21610", "Attempt to send to unsubscribed recipient");
        Message recorded = messaging.get(acme.owner(), confirmation.id().toString());
        assertEquals(Message.Status.FAILED, recorded.status());
        assertEquals("21610", recorded.errorCode());
        assertEquals(MessagingService.CARRIER_CONFIRMED, recorded.errorMessage());
        assertEquals(0, dsl.fetchCount(WEBHOOK_DELIVERIES), "no failure alarm for an expected refusal");
        assertEquals(1, messaging.consentEvents(acme.owner(), "+12125550104").size(), "the STOP only, no carrier event");

        // the same refusal reported later by a status callback
        MessagingService.Received stop2 = messaging.receive(sid(), "+12125550105", SENDER, "UNSUBSCRIBE");
        UUID second = stop2.replyId().orElseThrow();
        assertTrue(messaging.carrierStatus(second, "SM55", "failed", "21610", "Attempt to send to unsubscribed recipient"));
        assertEquals(MessagingService.CARRIER_CONFIRMED, messaging.get(acme.owner(), second.toString()).errorMessage());
        assertEquals(0, dsl.fetchCount(WEBHOOK_DELIVERIES));

        // an ordinary text refused with 21610 still raises the failure
        Message text = messaging.send(acme.owner(), new MessagingService.SendRequest("", "+12125550106", SENDER, "hi",
                "", "", "", java.util.Map.of()));
        messaging.failed(messaging.dispatch(text.id()).orElseThrow(), "21610", "Attempt to send to unsubscribed recipient");
        assertEquals("Attempt to send to unsubscribed recipient", messaging.get(acme.owner(), text.id().toString())
                .errorMessage());
        assertEquals(1, dsl.fetchCount(WEBHOOK_DELIVERIES), "the text's failure is reported");
    }
}
