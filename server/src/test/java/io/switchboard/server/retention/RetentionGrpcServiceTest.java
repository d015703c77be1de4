package io.switchboard.server.retention;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.grpc.Status;
import io.switchboard.server.ApiHarness;
import io.switchboard.server.grpc.Protos;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CloseOrganizationRequest;
import io.switchboard.v1.CloseOrganizationResponse;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.DataClass;
import io.switchboard.v1.DryRunPlanChangeRequest;
import io.switchboard.v1.GetOrganizationRequest;
import io.switchboard.v1.HoldScope;
import io.switchboard.v1.LegalHold;
import io.switchboard.v1.ListDeletionsRequest;
import io.switchboard.v1.ListLegalHoldsRequest;
import io.switchboard.v1.ListUpcomingExpiriesRequest;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.PlaceLegalHoldRequest;
import io.switchboard.v1.PlanChangeImpact;
import io.switchboard.v1.ReleaseLegalHoldRequest;
import io.switchboard.v1.ReopenOrganizationRequest;
import io.switchboard.v1.RetentionServiceGrpc;
import io.switchboard.v1.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RetentionService and organisation closure over gRPC: what clients see, bad input, roles. */
class RetentionGrpcServiceTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;
    private RetentionServiceGrpc.RetentionServiceBlockingStub retention;
    private RetentionServiceGrpc.RetentionServiceBlockingStub asViewer;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "enterprise");
        retention = RetentionServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
        String viewerKey = ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createApiKey(CreateApiKeyRequest.newBuilder().setName("ro").setRole(Role.ROLE_VIEWER).build()).getSecret();
        asViewer = RetentionServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(viewerKey));
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    @Test
    void holdsArePlacedListedAndReleasedByAdminsOnly() {
        LegalHold hold = retention.placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                .setScope(HoldScope.HOLD_SCOPE_ORGANIZATION).setReason("litigation 2026-17").build());
        assertTrue(hold.getActive());
        assertEquals(acme.owner().organizationId().toString(), hold.getResourceId());
        assertEquals(acme.key().apiKey().id().toString(), hold.getPlacedByApiKeyId());
        fails(Status.Code.PERMISSION_DENIED, () -> asViewer.placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                .setScope(HoldScope.HOLD_SCOPE_ORGANIZATION).setReason("x").build()));
        fails(Status.Code.PERMISSION_DENIED, () -> asViewer.listLegalHolds(ListLegalHoldsRequest.getDefaultInstance()));

        LegalHold released = retention.releaseLegalHold(ReleaseLegalHoldRequest.newBuilder().setId(hold.getId())
                .setReason("settled").build());
        assertFalse(released.getActive());
        assertTrue(released.hasReleaseTime());
        fails(Status.Code.FAILED_PRECONDITION, () -> retention.releaseLegalHold(ReleaseLegalHoldRequest.newBuilder()
                .setId(hold.getId()).build()));
        assertTrue(retention.listLegalHolds(ListLegalHoldsRequest.getDefaultInstance()).getHoldsList().isEmpty());
        assertEquals(List.of(hold.getId()), retention.listLegalHolds(ListLegalHoldsRequest.newBuilder()
                .setIncludeReleased(true).build()).getHoldsList().stream().map(LegalHold::getId).toList());
    }

    @Test
    void badRequestsNameTheirFields() {
        invalid(List.of("scope", "reason"), () -> retention.placeLegalHold(PlaceLegalHoldRequest.getDefaultInstance()));
        invalid(List.of("resource_id"), () -> retention.placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                .setScope(HoldScope.HOLD_SCOPE_CALL).setResourceId("call-7").setReason("x").build()));
        fails(Status.Code.NOT_FOUND, () -> retention.placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                .setScope(HoldScope.HOLD_SCOPE_CALL).setResourceId("5f0c1b9e-0000-4000-8000-000000000000")
                .setReason("x").build()));
        invalid(List.of("id"), () -> retention.releaseLegalHold(ReleaseLegalHoldRequest.newBuilder().setId("7").build()));
        invalid(List.of("days"), () -> retention.listUpcomingExpiries(ListUpcomingExpiriesRequest.newBuilder()
                .setDays(367).build()));
        invalid(List.of("days"), () -> retention.listUpcomingExpiries(ListUpcomingExpiriesRequest.newBuilder()
                .setDays(-1).build()));
        invalid(List.of("plan_id"), () -> retention.dryRunPlanChange(DryRunPlanChangeRequest.newBuilder()
                .setPlanId("platinum").build()));
        invalid(List.of("page_token"), () -> retention.listDeletions(ListDeletionsRequest.newBuilder()
                .setPageToken("not-ours").build()));
        invalid(List.of("data_class"), () -> retention.listDeletions(ListDeletionsRequest.newBuilder()
                .setDataClassValue(42).build()));
        fails(Status.Code.PERMISSION_DENIED, () -> asViewer.dryRunPlanChange(DryRunPlanChangeRequest.newBuilder()
                .setPlanId("starter").build()));
        fails(Status.Code.PERMISSION_DENIED, () -> asViewer.listDeletions(ListDeletionsRequest.getDefaultInstance()));
    }

    @Test
    void upcomingExpiriesAndADryRunDescribeTheOrganisationsData() {
        api.fixtures.plane.usage().record(acme.owner().organizationId(),
                io.switchboard.usage.UsageService.Metric.CALL_MS, 60_000, java.util.Optional.empty(), "probe",
                Instant.now().minus(Duration.ofDays(7 * 365 - 3)));
        var upcoming = asViewer.listUpcomingExpiries(ListUpcomingExpiriesRequest.newBuilder().setDays(7).build());
        assertEquals(7, upcoming.getDays());
        assertEquals(1, upcoming.getCountsList().stream().filter(c -> c.getDataClass() == DataClass.DATA_CLASS_USAGE_RECORDS)
                .mapToLong(c -> c.getItems()).sum(), "a usage record made almost 7 years ago expires this week");

        PlanChangeImpact impact = retention.dryRunPlanChange(DryRunPlanChangeRequest.newBuilder().setPlanId("starter").build());
        assertEquals("enterprise", impact.getFromPlanId());
        assertEquals("starter", impact.getToPlanId());
        assertEquals(Duration.ofDays(7), Duration.between(Protos.instant(impact.getChangeTime()),
                Protos.instant(impact.getGraceEnds())));
        var callLogs = impact.getImpactsList().stream().filter(i -> i.getDataClass() == DataClass.DATA_CLASS_CALL_LOGS)
                .findFirst().orElseThrow();
        assertTrue(callLogs.getFrom().getUnlimited());
        assertEquals("P30D", callLogs.getTo().getIso8601(), "Starter keeps call logs as long as recordings");
    }

    @Test
    void anOwnerClosesTheOrganisationAndAnOperatorCanReopenIt() {
        var orgs = OrganizationServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
        invalid(List.of("confirm_name"), () -> orgs.closeOrganization(CloseOrganizationRequest.newBuilder()
                .setConfirmName("ACME").build()));
        CloseOrganizationResponse closed = orgs.closeOrganization(CloseOrganizationRequest.newBuilder()
                .setConfirmName("Acme").build());
        Duration untilPurge = Duration.between(Instant.now(), Protos.instant(closed.getPurgeTime()));
        assertTrue(untilPurge.compareTo(Duration.ofDays(29)) > 0 && untilPurge.compareTo(Duration.ofDays(30)) <= 0);
        fails(Status.Code.UNAUTHENTICATED, () -> orgs.getOrganization(GetOrganizationRequest.getDefaultInstance()));

        var operator = OrganizationServiceGrpc.newBlockingStub(api.channel)
                .withCallCredentials(bearer(api.fixtures.operatorOrg.ownerKey().secret()));
        invalid(List.of("organization_id"), () -> operator.reopenOrganization(ReopenOrganizationRequest.newBuilder()
                .setOrganizationId("acme").build()));
        operator.reopenOrganization(ReopenOrganizationRequest.newBuilder()
                .setOrganizationId(acme.owner().organizationId().toString()).build());
        assertEquals("Acme", orgs.getOrganization(GetOrganizationRequest.getDefaultInstance()).getName());
        fails(Status.Code.FAILED_PRECONDITION, () -> operator.reopenOrganization(ReopenOrganizationRequest.newBuilder()
                .setOrganizationId(acme.owner().organizationId().toString()).build()));
    }
}
