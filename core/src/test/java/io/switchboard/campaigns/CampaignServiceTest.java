package io.switchboard.campaigns;

import static io.switchboard.db.Tables.CONTACT_LISTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CampaignServiceTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-02T15:00:00Z"));
    private Fixtures f;
    private CampaignService campaigns;
    private Fixtures.Tenant acme;
    private String agentId;
    private String listId;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        campaigns = f.plane.campaigns();
        acme = f.tenant("Acme", "starter");
        agentId = agent(acme.owner());
        listId = list(acme.owner());
    }

    private String agent(Principal owner) {
        return f.plane.agents().create(owner, new AgentSpec("Sales", "en-US", "", "", "", "", List.of())).id().toString();
    }

    /** Contact lists are written directly: this test is about campaigns, not the contact service. */
    private String list(Principal owner) {
        UUID id = Ids.newId();
        f.plane.database().dsl().insertInto(CONTACT_LISTS).set(CONTACT_LISTS.ID, id)
                .set(CONTACT_LISTS.ORGANIZATION_ID, owner.organizationId()).set(CONTACT_LISTS.NAME, "Leads")
                .set(CONTACT_LISTS.CREATED_AT, clock.instant()).set(CONTACT_LISTS.UPDATED_AT, clock.instant()).execute();
        return id.toString();
    }

    private CampaignSpec spec(String name) {
        return new CampaignSpec(name, agentId, listId, "+14155550100", Optional.empty(), Optional.empty(),
                CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of());
    }

    private Campaign create(String name) {
        return campaigns.create(acme.owner(), spec(name));
    }

    @Test
    void createFillsTheDocumentedDefaults() {
        Campaign c = create("Spring");
        assertEquals(CampaignState.DRAFT, c.state());
        assertEquals(LocalTime.of(8, 0), c.callingWindow().start());
        assertEquals(LocalTime.of(21, 0), c.callingWindow().end());
        assertEquals(EnumSet.allOf(DayOfWeek.class), c.callingWindow().days());
        assertEquals(1, c.maxConcurrency());
        assertEquals(RetryPolicy.DEFAULT, c.retryPolicy());
        assertEquals(c, campaigns.get(acme.owner(), c.id().toString()), "what create returns is what is stored");
    }

    @Test
    void invalidSpecReportsEveryBadFieldAndStoresNothing() {
        CampaignSpec bad = new CampaignSpec(" ", "not-a-uuid", "", "555-0100",
                Optional.of(Instant.parse("2026-04-01T00:00:00Z")), Optional.of(Instant.parse("2026-03-01T00:00:00Z")),
                new CampaignSpec.Window("25:00", "8pm", List.of(1, 8, 1), "Mars/Olympus"), -3,
                new CampaignSpec.Retry(21, Optional.of(Duration.ofSeconds(-1)), new ArrayList<>(java.util.Collections.singletonList(null))),
                List.of("Interested", "callback", "callback"));
        var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> campaigns.create(acme.owner(), bad));
        List<String> fields = e.violations().stream().map(SwitchboardException.Violation::field).toList();
        assertEquals(List.of("campaign.name", "campaign.agent_id", "campaign.contact_list_id", "campaign.caller_id",
                "campaign.schedule.end_time", "campaign.schedule.end_time",
                "campaign.calling_window.start_local_time", "campaign.calling_window.end_local_time",
                "campaign.calling_window.days_of_week[1]", "campaign.calling_window.days_of_week[2]",
                "campaign.calling_window.fallback_time_zone", "campaign.max_concurrency",
                "campaign.retry_policy.max_attempts", "campaign.retry_policy.retry_delay",
                "campaign.retry_policy.retry_on[0]", "campaign.disposition_codes[0]",
                "campaign.disposition_codes[2]"), fields);
        assertTrue(campaigns.list(acme.owner(), Optional.empty(), 0, "").items().isEmpty());
    }

    @Test
    void callerIdMustBeARealNumberNotJustDigits() {
        var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> campaigns.create(acme.owner(),
                new CampaignSpec("x", agentId, listId, "+10000000000", Optional.empty(), Optional.empty(),
                        CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of())));
        assertEquals("campaign.caller_id", e.violations().getFirst().field());
    }

    @Test
    void lifecycleFollowsTheStateMachineAndRecordsWhoMovedIt() {
        Campaign c = create("Spring");
        String id = c.id().toString();
        Campaign running = campaigns.start(acme.owner(), id);
        assertEquals(CampaignState.RUNNING, running.state());
        assertEquals(Optional.of(clock.instant()), running.startedAt());
        clock.advance(Duration.ofMinutes(5));
        assertEquals(CampaignState.PAUSED, campaigns.pause(acme.owner(), id).state());
        assertEquals(CampaignState.RUNNING, campaigns.resume(acme.owner(), id).state());
        Campaign done = campaigns.complete(acme.owner(), id);
        assertEquals(CampaignState.COMPLETED, done.state());
        assertEquals(running.startedAt(), done.startedAt(), "resuming does not restart the clock");
        assertEquals(Optional.of(clock.instant()), done.endedAt());

        List<CampaignService.Transition> history = campaigns.transitions(acme.owner(), id);
        assertEquals(List.of("DRAFT>RUNNING", "RUNNING>PAUSED", "PAUSED>RUNNING", "RUNNING>COMPLETED"),
                history.stream().map(t -> t.from() + ">" + t.to()).toList());
        assertTrue(history.stream().allMatch(t -> t.actorApiKeyId().equals(Optional.of(acme.owner().apiKeyId()))));
    }

    @Test
    void transitionsTheStateMachineForbidsAreRefusedAndChangeNothing() {
        String draft = create("Draft").id().toString();
        for (var refused : List.<java.util.function.Function<String, Campaign>>of(
                id -> campaigns.pause(acme.owner(), id), id -> campaigns.resume(acme.owner(), id),
                id -> campaigns.complete(acme.owner(), id))) {
            var e = assertThrows(SwitchboardException.FailedPrecondition.class, () -> refused.apply(draft));
            assertEquals("CAMPAIGN_STATE", e.type());
        }
        String running = create("Running").id().toString();
        campaigns.start(acme.owner(), running);
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> campaigns.start(acme.owner(), running));
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> campaigns.resume(acme.owner(), running),
                "resume means from PAUSED only");
        campaigns.cancel(acme.owner(), running);
        for (var refused : List.<java.util.function.Function<String, Campaign>>of(
                id -> campaigns.start(acme.owner(), id), id -> campaigns.pause(acme.owner(), id),
                id -> campaigns.resume(acme.owner(), id), id -> campaigns.complete(acme.owner(), id),
                id -> campaigns.cancel(acme.owner(), id))) {
            assertThrows(SwitchboardException.FailedPrecondition.class, () -> refused.apply(running), "CANCELLED is final");
        }
        assertEquals(CampaignState.DRAFT, campaigns.get(acme.owner(), draft).state());
        assertEquals(2, campaigns.transitions(acme.owner(), running).size());
    }

    @Test
    void configurationChangesOnlyWhileNothingIsDialling() {
        String id = create("Spring").id().toString();
        String otherAgent = agent(acme.owner());
        Campaign patched = campaigns.update(acme.owner(), id, new CampaignSpec("Summer", otherAgent, "", "", Optional.empty(),
                Optional.empty(), new CampaignSpec.Window("09:30", "17:00", List.of(1, 2, 3, 4, 5), "America/Chicago"), 4,
                CampaignSpec.Retry.UNSET, List.of("interested")), List.of("name", "agent_id", "calling_window", "max_concurrency"));
        assertEquals("Summer", patched.name());
        assertEquals(otherAgent, patched.agentId().toString());
        assertEquals(LocalTime.of(9, 30), patched.callingWindow().start());
        assertEquals(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), patched.callingWindow().days());
        assertEquals(4, patched.maxConcurrency());
        assertEquals(List.of(), patched.dispositionCodes(), "fields outside the mask are kept");

        campaigns.start(acme.owner(), id);
        var e = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> campaigns.update(acme.owner(), id, spec("x"), List.of("name")));
        assertTrue(e.getMessage().contains("pause it first"), e.getMessage());
        campaigns.pause(acme.owner(), id);
        assertEquals("Autumn", campaigns.update(acme.owner(), id, spec("Autumn"), List.of("name")).name());
        assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> campaigns.update(acme.owner(), id, spec("x"), List.of("contact_list_id")),
                "re-pointing a campaign that has dialled would mix two audiences");
        assertThrows(SwitchboardException.InvalidArgument.class,
                () -> campaigns.update(acme.owner(), id, spec("x"), List.of("state")), "state changes only by transitions");
    }

    @Test
    void onlyFinishedOrDraftCampaignsCanBeDeletedAndTheyFreeTheirAgent() {
        Campaign c = create("Spring");
        String id = c.id().toString();
        campaigns.start(acme.owner(), id);
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> campaigns.delete(acme.owner(), id));
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> f.plane.agents().delete(acme.owner(), agentId),
                "an agent under a running campaign cannot be deleted");
        campaigns.cancel(acme.owner(), id);
        campaigns.delete(acme.owner(), id);
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.get(acme.owner(), id));
        f.plane.agents().delete(acme.owner(), agentId);
    }

    @Test
    void aDeletedAgentCannotBeGivenToACampaign() {
        String gone = agent(acme.owner());
        f.plane.agents().delete(acme.owner(), gone);
        var e = assertThrows(SwitchboardException.NotFound.class, () -> campaigns.create(acme.owner(),
                new CampaignSpec("x", gone, listId, "+14155550100", Optional.empty(), Optional.empty(),
                        CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of())));
        assertEquals("agent", e.resourceType());
    }

    @Test
    void anotherOrganisationsAgentListAndCampaignsDoNotExistForMe() {
        Fixtures.Tenant other = f.tenant("Other", "growth");
        String foreignAgent = agent(other.owner());
        String foreignList = list(other.owner());
        Campaign mine = create("Mine");
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.create(acme.owner(),
                new CampaignSpec("x", foreignAgent, listId, "+14155550100", Optional.empty(), Optional.empty(),
                        CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of())));
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.create(acme.owner(),
                new CampaignSpec("x", agentId, foreignList, "+14155550100", Optional.empty(), Optional.empty(),
                        CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of())));
        String id = mine.id().toString();
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.get(other.owner(), id));
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.start(other.owner(), id));
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.transitions(other.owner(), id));
        assertThrows(SwitchboardException.NotFound.class, () -> campaigns.delete(other.owner(), id));
        assertTrue(campaigns.list(other.owner(), Optional.empty(), 0, "").items().isEmpty());
        assertEquals(CampaignState.DRAFT, campaigns.get(acme.owner(), id).state());
    }

    @Test
    void starterPlanCapsUnfinishedCampaignsButFinishedOnesDoNotCount() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(create("c" + i).id().toString());
        }
        var e = assertThrows(SwitchboardException.ResourceExhausted.class, () -> create("c5"));
        assertEquals("quota:campaigns", e.subject());
        campaigns.cancel(acme.owner(), ids.getFirst());
        create("c5");
    }

    @Test
    void viewersReadButCannotChangeCampaigns() {
        var viewerKey = f.plane.apiKeys().create(acme.owner(), "dashboard", Role.VIEWER, "", Optional.empty());
        Principal viewer = f.plane.apiKeys().authenticate(viewerKey.secret(), "test");
        String id = create("Spring").id().toString();
        assertEquals("Spring", campaigns.get(viewer, id).name());
        assertThrows(SwitchboardException.PermissionDenied.class, () -> campaigns.create(viewer, spec("x")));
        assertThrows(SwitchboardException.PermissionDenied.class, () -> campaigns.start(viewer, id));
        assertThrows(SwitchboardException.PermissionDenied.class, () -> campaigns.delete(viewer, id));
    }

    @Test
    void operatorsStartAndPauseButOnlyAdminsEndACampaign() {
        var agentKey = f.plane.apiKeys().create(acme.owner(), "floor", Role.AGENT, "", Optional.empty());
        Principal operator = f.plane.apiKeys().authenticate(agentKey.secret(), "test");
        String id = create("Spring").id().toString();
        assertEquals(CampaignState.RUNNING, campaigns.start(operator, id).state());
        assertEquals(CampaignState.PAUSED, campaigns.pause(operator, id).state());
        assertEquals(CampaignState.RUNNING, campaigns.resume(operator, id).state());
        assertThrows(SwitchboardException.PermissionDenied.class, () -> campaigns.cancel(operator, id));
        assertThrows(SwitchboardException.PermissionDenied.class, () -> campaigns.complete(operator, id));
        assertThrows(SwitchboardException.PermissionDenied.class, () -> campaigns.update(operator, id, spec("x"), List.of("name")));
    }

    @Test
    void aCampaignWhoseScheduleEndedCannotStart() {
        Campaign c = campaigns.create(acme.owner(), new CampaignSpec("Week", agentId, listId, "+14155550100",
                Optional.empty(), Optional.of(clock.instant().plus(Duration.ofDays(7))),
                CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of()));
        clock.advance(Duration.ofDays(8));
        var e = assertThrows(SwitchboardException.FailedPrecondition.class, () -> campaigns.start(acme.owner(), c.id().toString()));
        assertEquals("CAMPAIGN_SCHEDULE_OVER", e.type());
    }

    @Test
    void listFiltersByStateAndPagesWithoutGaps() {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            made.add(create("c" + i).id().toString());
        }
        campaigns.start(acme.owner(), made.get(1));
        campaigns.start(acme.owner(), made.get(3));
        assertEquals(List.of(made.get(1), made.get(3)), campaigns.list(acme.owner(), Optional.of(CampaignState.RUNNING), 0, "")
                .items().stream().map(c -> c.id().toString()).toList());
        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            var page = campaigns.list(acme.owner(), Optional.empty(), 2, token);
            page.items().forEach(c -> seen.add(c.id().toString()));
            token = page.nextPageToken().orElse("");
        } while (!token.isEmpty());
        assertEquals(made, seen);
        assertFalse(seen.isEmpty());
    }
}
