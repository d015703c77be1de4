package io.switchboard.server.campaigns;

import static io.switchboard.db.Tables.CONTACT_LISTS;
import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.google.protobuf.FieldMask;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.switchboard.common.Ids;
import io.switchboard.server.ApiHarness;
import io.switchboard.server.GrpcAssertions;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.CallingWindow;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.ListCampaignsRequest;
import io.switchboard.v1.RetryPolicy;
import io.switchboard.v1.UpdateCampaignRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CampaignGrpcServiceTest {

    private ApiHarness api;
    private CampaignServiceGrpc.CampaignServiceBlockingStub campaigns;
    private String agentId;
    private String listId;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        Fixtures.Tenant acme = api.fixtures.tenant("Acme", "growth");
        var creds = bearer(acme.ownerKey());
        campaigns = CampaignServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds);
        agentId = AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds).createAgent(
                CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Sales").setLanguage("en-US")).build()).getId();
        UUID list = Ids.newId();
        api.fixtures.plane.database().dsl().insertInto(CONTACT_LISTS).set(CONTACT_LISTS.ID, list)
                .set(CONTACT_LISTS.ORGANIZATION_ID, acme.owner().organizationId()).set(CONTACT_LISTS.NAME, "Leads")
                .set(CONTACT_LISTS.CREATED_AT, Instant.now()).set(CONTACT_LISTS.UPDATED_AT, Instant.now()).execute();
        listId = list.toString();
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private Campaign.Builder valid() {
        return Campaign.newBuilder().setName("Spring").setAgentId(agentId).setContactListId(listId)
                .setCallerId("+14155550100");
    }

    @Test
    void createRoundTripsEveryFieldAndFillsDefaults() {
        Campaign created = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(valid()
                .setCallingWindow(CallingWindow.newBuilder().setStartLocalTime("09:00").setEndLocalTime("18:30")
                        .addDaysOfWeek(5).addDaysOfWeek(1).setFallbackTimeZone("America/Chicago"))
                .setRetryPolicy(RetryPolicy.newBuilder().setMaxAttempts(5)
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(900))
                        .addRetryOn(RetryPolicy.Outcome.OUTCOME_VOICEMAIL))
                .addDispositionCodes("interested").addDispositionCodes("callback")).build());
        assertEquals(Campaign.State.STATE_DRAFT, created.getState());
        assertEquals("09:00", created.getCallingWindow().getStartLocalTime());
        assertEquals(List.of(1, 5), created.getCallingWindow().getDaysOfWeekList());
        assertEquals(900, created.getRetryPolicy().getRetryDelay().getSeconds());
        assertEquals(List.of(RetryPolicy.Outcome.OUTCOME_VOICEMAIL), created.getRetryPolicy().getRetryOnList());
        assertEquals(1, created.getMaxConcurrency(), "unset concurrency defaults to 1");
        assertEquals(created, campaigns.getCampaign(GetCampaignRequest.newBuilder().setId(created.getId()).build()));

        Campaign defaults = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(valid()).build());
        assertEquals("08:00", defaults.getCallingWindow().getStartLocalTime());
        assertEquals("21:00", defaults.getCallingWindow().getEndLocalTime());
        assertEquals(3, defaults.getRetryPolicy().getMaxAttempts());
        assertEquals(3600, defaults.getRetryPolicy().getRetryDelay().getSeconds());
    }

    @Test
    void badFieldsAreNamedInBadRequestDetails() {
        invalid(List.of("campaign.name", "campaign.caller_id", "campaign.calling_window.end_local_time",
                "campaign.retry_policy.retry_on[0]"), () -> campaigns.createCampaign(CreateCampaignRequest.newBuilder()
                .setCampaign(valid().setName("").setCallerId("call me")
                        .setCallingWindow(CallingWindow.newBuilder().setStartLocalTime("20:00").setEndLocalTime("08:00"))
                        .setRetryPolicy(RetryPolicy.newBuilder().addRetryOn(RetryPolicy.Outcome.OUTCOME_UNSPECIFIED)))
                .build()));
        fails(Status.Code.NOT_FOUND, () -> campaigns.createCampaign(CreateCampaignRequest.newBuilder()
                .setCampaign(valid().setAgentId(UUID.randomUUID().toString())).build()));
    }

    @Test
    void forbiddenTransitionIsFailedPreconditionWithAReason() {
        Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(valid()).build());
        var e = fails(Status.Code.FAILED_PRECONDITION, () -> campaigns.pauseCampaign(
                CampaignTransitionRequest.newBuilder().setId(c.getId()).build()));
        assertEquals("CAMPAIGN_STATE", GrpcAssertions.detail(e, ErrorInfo.class).orElseThrow().getReason());
        Campaign running = campaigns.startCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
        assertEquals(Campaign.State.STATE_RUNNING, running.getState());
        assertTrue(running.hasStartTime());
        fails(Status.Code.FAILED_PRECONDITION, () -> campaigns.updateCampaign(UpdateCampaignRequest.newBuilder()
                .setCampaign(Campaign.newBuilder().setId(c.getId()).setName("x"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build()));
        assertEquals(List.of(running.getId()), campaigns.listCampaigns(ListCampaignsRequest.newBuilder()
                .setState(Campaign.State.STATE_RUNNING).build()).getCampaignsList().stream().map(Campaign::getId).toList());
    }
}
