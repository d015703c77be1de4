package io.switchboard.messaging;

import static io.switchboard.db.Tables.CALL_FOLLOW_UPS;
import static io.switchboard.db.Tables.MESSAGES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.Contact;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Follow-up rules: matching, sending through the messaging checks, recording refusals, once per call; real PostgreSQL. */
class FollowUpsTest {

    /** A Monday, noon in New York: inside the default calling window. */
    private static final Instant NOON = ZonedDateTime.of(2026, 12, 7, 12, 0, 0, 0, ZoneId.of("America/New_York")).toInstant();
    private static final String SMS_FROM = "+14155550100";
    private static final String PHONE = "+12125550123";

    private Fixtures f;
    private MessagingService messaging;
    private FollowUps followUps;
    private CallService calls;
    private DSLContext dsl;
    private Fixtures.Tenant acme;
    private Contact ada;
    private String agent;
    private String campaign;
    private Template thanks;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(new MutableClock(NOON));
        messaging = f.plane.messaging();
        followUps = f.plane.followUps();
        calls = f.calls(TestObjectStore.freshBucket());
        dsl = f.plane.database().dsl();
        acme = f.tenant("Acme", "growth");
        messaging.addSender(acme.owner(), SMS_FROM);
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        String list = f.plane.contacts().createList(acme.owner(), "L", "").id().toString();
        campaign = f.plane.campaigns().create(acme.owner(), new CampaignSpec("Spring", agent, list, SMS_FROM,
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET,
                List.of("interested", "not_interested"))).id().toString();
        ada = f.plane.contacts().create(acme.owner(), new ContactSpec("", PHONE, "Ada", "Lovelace", "", "{}", List.of(),
                "America/New_York", List.of(list)), "");
        thanks = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("thanks", Optional.of(Channel.SMS),
                Optional.empty(), "Thanks {{first_name}}, you said {{call.disposition}}", ""));
    }

    private Call endedCall(Map<String, String> variables, Optional<String> disposition) {
        Call c = calls.open(acme.owner(), new CallSpec(agent, campaign, ada.id().toString(), Call.Direction.OUTBOUND,
                SMS_FROM, PHONE, AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        calls.saveLiveOutcome(acme.owner().organizationId(), c.id(), variables, disposition);
        return calls.end(acme.owner().organizationId(), c.id(), Call.State.ENDED, "hung up");
    }

    private FollowUps.Rule onCampaign(String disposition) {
        return followUps.create(acme.owner(), new FollowUps.RuleSpec(campaign, "", disposition, "", "", "",
                thanks.id().toString(), ""));
    }

    @Test
    void aMatchingDispositionSendsTheTemplateAndIsRecordedOnTheCall() {
        FollowUps.Rule rule = onCampaign("interested");
        Call call = endedCall(Map.of(), Optional.of("interested"));

        List<FollowUps.Outcome> done = followUps.run(call);

        assertEquals(1, done.size());
        FollowUps.Outcome o = done.getFirst();
        assertTrue(o.sent(), o.toString());
        Message m = messaging.get(acme.owner(), o.messageId().orElseThrow().toString());
        assertEquals("Thanks Ada, you said interested", m.body());
        assertEquals(Optional.of(call.id()), m.callId());
        assertEquals(PHONE, m.to());
        assertEquals(List.of(o.ruleId()), followUps.forCall(acme.owner().organizationId(), call.id()).stream()
                .map(FollowUps.Outcome::ruleId).toList());
        assertEquals(Optional.of(rule.id()), o.ruleId());
        assertEquals(FollowUps.Trigger.AFTER_CALL, o.trigger());
    }

    @Test
    void aDifferentDispositionOrNoneSendsNothing() {
        onCampaign("interested");
        assertEquals(List.of(), followUps.run(endedCall(Map.of(), Optional.of("not_interested"))));
        assertEquals(List.of(), followUps.run(endedCall(Map.of(), Optional.empty())));
        assertEquals(0, dsl.fetchCount(MESSAGES));
        assertEquals(0, dsl.fetchCount(CALL_FOLLOW_UPS));
    }

    @Test
    void variableConditionsEqualsAndPresentOnAnAgentRule() {
        Template link = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("link",
                Optional.of(Channel.SMS), Optional.empty(), "Your link: {{call.variables.email}}", ""));
        followUps.create(acme.owner(), new FollowUps.RuleSpec("", agent, "", "email", "present", "", link.id().toString(), ""));
        followUps.create(acme.owner(), new FollowUps.RuleSpec("", agent, "", "plan", "equals", "gold",
                thanks.id().toString(), SMS_FROM));

        List<FollowUps.Outcome> none = followUps.run(endedCall(Map.of("plan", "silver"), Optional.of("interested")));
        assertEquals(List.of(), none, "no email captured, plan is not gold");

        List<FollowUps.Outcome> both = followUps.run(endedCall(Map.of("plan", "gold", "email", "ada@example.com"),
                Optional.of("interested")));
        assertEquals(2, both.size());
        assertTrue(both.stream().allMatch(FollowUps.Outcome::sent));
        assertEquals(List.of("Your link: ada@example.com"), both.stream().filter(o -> o.templateId().equals(link.id()))
                .map(o -> messaging.get(acme.owner(), o.messageId().orElseThrow().toString()).body()).toList());
    }

    @Test
    void anOptedOutContactIsRecordedAsARefusalAndNothingIsQueued() {
        onCampaign("interested");
        messaging.receive("SMstop", PHONE, SMS_FROM, "STOP");
        long before = dsl.fetchCount(MESSAGES);
        Call call = endedCall(Map.of(), Optional.of("interested"));

        FollowUps.Outcome o = followUps.run(call).getFirst();

        assertFalse(o.sent());
        assertEquals("opted_out", o.refusal());
        assertTrue(o.detail().contains("opted out"), o.detail());
        assertFalse(o.detail().contains(PHONE), "the stored refusal does not name the number: " + o.detail());
        assertEquals(before, dsl.fetchCount(MESSAGES), "no text was queued");
        assertEquals(List.of("opted_out"), followUps.forCall(acme.owner().organizationId(), call.id()).stream()
                .map(FollowUps.Outcome::refusal).toList());
        assertEquals(List.of(), followUps.run(call), "a refusal is recorded once, not retried");
    }

    @Test
    void deletingARuleKeepsWhatItDidOnPastCallsAndSendsNothingMore() {
        FollowUps.Rule rule = onCampaign("interested");
        Call before = endedCall(Map.of(), Optional.of("interested"));
        FollowUps.Outcome sent = followUps.run(before).getFirst();
        Call after = endedCall(Map.of(), Optional.of("interested"));

        followUps.delete(acme.owner(), rule.id().toString());

        assertEquals(List.of(sent), followUps.forCall(acme.owner().organizationId(), before.id()),
                "the past call still shows the text the rule sent, and which rule it was");
        assertEquals(List.of(), followUps.run(after), "a deleted rule sends nothing");
        assertEquals(1, dsl.fetchCount(MESSAGES));
        assertThrows(SwitchboardException.NotFound.class, () -> followUps.delete(acme.owner(), rule.id().toString()),
                "deleted once");
        assertEquals("id", assertThrows(SwitchboardException.InvalidArgument.class,
                () -> followUps.delete(acme.owner(), "nope")).violations().getFirst().field());
    }

    @Test
    void aRetriedStageSendsNothingTwiceEvenIfTheRecordWasLost() {
        onCampaign("interested");
        Call call = endedCall(Map.of(), Optional.of("interested"));
        followUps.run(call);
        assertEquals(List.of(), followUps.run(call), "already recorded");
        assertEquals(1, dsl.fetchCount(MESSAGES));

        // a crash between the send and its record: the retry finds the queued text instead of sending again
        dsl.deleteFrom(CALL_FOLLOW_UPS).execute();
        List<FollowUps.Outcome> again = followUps.run(call);
        assertEquals(1, again.size());
        assertTrue(again.getFirst().sent());
        assertEquals(1, dsl.fetchCount(MESSAGES), "still one text");
        assertEquals(1, dsl.fetchCount(CALL_FOLLOW_UPS));
    }

    @Test
    void anotherOrganisationsTemplateCampaignOrAgentIsRefused() {
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        String theirAgent = f.plane.agents().create(globex.owner(), new AgentSpec("G", "en-US", "", "", "", "", List.of()))
                .id().toString();
        var unknown = assertThrows(SwitchboardException.InvalidArgument.class, () -> followUps.create(globex.owner(),
                new FollowUps.RuleSpec("", theirAgent, "interested", "", "", "", thanks.id().toString(), "")));
        assertEquals("template_id", unknown.violations().getFirst().field());
        assertTrue(unknown.getMessage().contains("unknown template"), unknown.getMessage());
        Template theirs = f.plane.messaging().createTemplate(globex.owner(), new MessagingService.TemplateSpec("t",
                Optional.of(Channel.SMS), Optional.empty(), "hi", ""));
        assertThrows(SwitchboardException.NotFound.class, () -> followUps.create(globex.owner(),
                new FollowUps.RuleSpec(campaign, "", "interested", "", "", "", theirs.id().toString(), "")));
        assertThrows(SwitchboardException.NotFound.class, () -> followUps.create(globex.owner(),
                new FollowUps.RuleSpec("", agent, "interested", "", "", "", theirs.id().toString(), "")));
        assertThrows(SwitchboardException.InvalidArgument.class, () -> followUps.list(globex.owner(), "", ""));
        assertEquals(List.of(), followUps.list(globex.owner(), campaign, ""), "another organisation's rules are invisible");
        FollowUps.Rule ours = onCampaign("interested");
        assertThrows(SwitchboardException.NotFound.class, () -> followUps.delete(globex.owner(), ours.id().toString()));
        assertEquals(List.of(ours), followUps.list(acme.owner(), campaign, ""));
    }

    @Test
    void badRulesAreRefusedNamingTheirFields() {
        String t = thanks.id().toString();
        assertEquals("disposition", field(new FollowUps.RuleSpec(campaign, "", "maybe", "", "", "", t, "")));
        assertEquals("disposition", field(new FollowUps.RuleSpec(campaign, "", "", "", "", "", t, "")));
        assertEquals("campaign_id", field(new FollowUps.RuleSpec(campaign, agent, "interested", "", "", "", t, "")));
        assertEquals("campaign_id", field(new FollowUps.RuleSpec("", "", "interested", "", "", "", t, "")));
        assertEquals("template_id", field(new FollowUps.RuleSpec(campaign, "", "interested", "", "", "", "", "")));
        assertEquals("template_id", field(new FollowUps.RuleSpec(campaign, "", "interested", "", "", "", "nope", "")));
        assertEquals("condition", field(new FollowUps.RuleSpec(campaign, "", "", "plan", "greater", "", t, "")));
        assertEquals("value", field(new FollowUps.RuleSpec(campaign, "", "", "plan", "equals", "", t, "")));
        assertEquals("variable", field(new FollowUps.RuleSpec(campaign, "", "", "Plan!", "present", "", t, "")));
        assertEquals("from", field(new FollowUps.RuleSpec(campaign, "", "interested", "", "", "", t, "+14155550999")));
        assertEquals(0, followUps.list(acme.owner(), campaign, "").size());
    }

    private String field(FollowUps.RuleSpec spec) {
        return assertThrows(SwitchboardException.InvalidArgument.class, () -> followUps.create(acme.owner(), spec))
                .violations().getFirst().field();
    }

    private Call liveCall(Map<String, String> variables) {
        Call c = calls.open(acme.owner(), new CallSpec(agent, campaign, ada.id().toString(), Call.Direction.OUTBOUND,
                SMS_FROM, PHONE, AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        calls.saveLiveOutcome(acme.owner().organizationId(), c.id(), variables, Optional.empty());
        return c;
    }

    @Test
    void aTextDuringTheCallIsSentOnceAndRecordedWithItsNode() {
        Template link = messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("booking-link",
                Optional.of(Channel.SMS), Optional.empty(), "Hi {{first_name}}, book for {{call.variables.day}}: "
                + "https://example.com/b", ""));
        Call call = liveCall(Map.of("day", "2026-12-09"));

        FollowUps.DuringCall first = followUps.duringCall(call, "booking-link", "", "offer_link");

        assertFalse(first.repeated());
        FollowUps.Outcome o = first.outcome();
        assertTrue(o.sent(), o.toString());
        assertEquals(FollowUps.Trigger.DURING_CALL, o.trigger());
        assertEquals("offer_link", o.nodeId());
        assertEquals(Optional.empty(), o.ruleId());
        assertEquals(link.id(), o.templateId());
        Message m = messaging.get(acme.owner(), o.messageId().orElseThrow().toString());
        assertEquals("Hi Ada, book for 2026-12-09: https://example.com/b", m.body(), "the variables captured so far");
        assertEquals(Optional.of(call.id()), m.callId());
        assertEquals(PHONE, m.to());

        FollowUps.DuringCall again = followUps.duringCall(call, link.id().toString(), "", "offer_link_again");
        assertTrue(again.repeated(), "by id, the same template");
        assertEquals(o.messageId(), again.outcome().messageId());
        assertEquals(1, dsl.fetchCount(MESSAGES), "texted once");
        assertEquals(List.of(o), followUps.forCall(acme.owner().organizationId(), call.id()));

        // an after-call rule with the same template finds the text the agent sent and does not send it again
        followUps.create(acme.owner(), new FollowUps.RuleSpec("", agent, "interested", "", "", "",
                link.id().toString(), ""));
        calls.saveLiveOutcome(acme.owner().organizationId(), call.id(), Map.of("day", "2026-12-09"),
                Optional.of("interested"));
        List<FollowUps.Outcome> after = followUps.run(calls.end(acme.owner().organizationId(), call.id(),
                Call.State.ENDED, "hung up"));
        assertEquals(1, after.size());
        assertEquals(o.messageId(), after.getFirst().messageId());
        assertEquals(FollowUps.Trigger.AFTER_CALL, after.getFirst().trigger());
        assertEquals(1, dsl.fetchCount(MESSAGES), "still one text");
        assertEquals(2, followUps.forCall(acme.owner().organizationId(), call.id()).size());
    }

    @Test
    void anOptedOutCallerIsRefusedDuringTheCallAndTheRefusalIsRecordedOnce() {
        messaging.createTemplate(acme.owner(), new MessagingService.TemplateSpec("hello", Optional.of(Channel.SMS),
                Optional.empty(), "Hi {{first_name}}", ""));
        messaging.receive("SMstop", PHONE, SMS_FROM, "STOP");
        long before = dsl.fetchCount(MESSAGES);
        Call call = liveCall(Map.of());

        FollowUps.Outcome o = followUps.duringCall(call, "hello", SMS_FROM, "text_me").outcome();

        assertFalse(o.sent());
        assertEquals("opted_out", o.refusal());
        assertFalse(o.detail().contains(PHONE), "the stored refusal does not name the number: " + o.detail());
        assertEquals(before, dsl.fetchCount(MESSAGES), "nothing was queued");
        FollowUps.DuringCall again = followUps.duringCall(call, "hello", SMS_FROM, "text_me");
        assertTrue(again.repeated());
        assertEquals("opted_out", again.outcome().refusal());
        assertEquals(List.of("opted_out"), followUps.forCall(acme.owner().organizationId(), call.id()).stream()
                .map(FollowUps.Outcome::refusal).toList());
    }

    @Test
    void aTemplateDeletedSinceTheAgentWasSavedIsRecordedAsRefused() {
        Call call = liveCall(Map.of());
        messaging.deleteTemplate(acme.owner(), thanks.id().toString());

        FollowUps.Outcome o = followUps.duringCall(call, "thanks", "", "text_me").outcome();

        assertEquals("not_found", o.refusal());
        assertEquals(thanks.id(), o.templateId());
        assertEquals(0, dsl.fetchCount(MESSAGES));
    }

    @Test
    void anotherOrganisationsTemplateCannotBeTextedDuringACall() {
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        Template theirs = f.plane.messaging().createTemplate(globex.owner(), new MessagingService.TemplateSpec(
                "globex-only", Optional.of(Channel.SMS), Optional.empty(), "hi", ""));
        Call call = liveCall(Map.of());

        assertThrows(SwitchboardException.NotFound.class, () -> followUps.duringCall(call, "globex-only", "", "n"));
        assertThrows(SwitchboardException.NotFound.class, () -> followUps.duringCall(call, theirs.id().toString(), "",
                "n"));
        assertEquals(0, dsl.fetchCount(MESSAGES));
        assertEquals(0, dsl.fetchCount(CALL_FOLLOW_UPS));
        assertEquals(List.of(), TemplateRefs.live(dsl, acme.owner().organizationId(), theirs.id().toString())
                .stream().toList());
    }
}
