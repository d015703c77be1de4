package io.switchboard.server.plans;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Period;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.switchboard.plans.RetentionPeriod;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.DataClass;
import io.switchboard.v1.EffectivePolicy;
import io.switchboard.v1.GetEffectivePolicyRequest;
import io.switchboard.v1.GetOrganizationPlanRequest;
import io.switchboard.v1.ListPlansRequest;
import io.switchboard.v1.Organization;
import io.switchboard.v1.OrganizationPlan;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.Plan;
import io.switchboard.v1.PlanChange;
import io.switchboard.v1.PlanOverrides;
import io.switchboard.v1.PlanServiceGrpc;
import io.switchboard.v1.RetentionPeriod.PeriodCase;
import io.switchboard.v1.RetentionRule;
import io.switchboard.v1.Role;
import io.switchboard.v1.SetOrganizationPlanRequest;
import io.switchboard.v1.SetPlanOverridesRequest;
import io.switchboard.v1.UpdateOrganizationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PlanGrpcServiceTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;
    private PlanServiceGrpc.PlanServiceBlockingStub acmeOwner;
    private PlanServiceGrpc.PlanServiceBlockingStub operator;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "starter");
        acmeOwner = plans(acme.ownerKey());
        operator = plans(api.fixtures.operatorOrg.ownerKey().secret());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private PlanServiceGrpc.PlanServiceBlockingStub plans(String secret) {
        return PlanServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(secret));
    }

    private String acmeKey(Role role) {
        return ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createApiKey(CreateApiKeyRequest.newBuilder().setName(role.name()).setRole(role).build()).getSecret();
    }

    private static io.switchboard.v1.RetentionPeriod iso(String text) {
        return io.switchboard.v1.RetentionPeriod.newBuilder().setIso8601(text).build();
    }

    private static RetentionRule rule(DataClass c, io.switchboard.v1.RetentionPeriod p) {
        return RetentionRule.newBuilder().setDataClass(c).setPeriod(p).build();
    }

    private static Map<DataClass, String> retention(List<RetentionRule> rules) {
        return rules.stream().collect(Collectors.toMap(RetentionRule::getDataClass,
                r -> r.getPeriod().getPeriodCase() == PeriodCase.UNLIMITED ? "unlimited" : r.getPeriod().getIso8601()));
    }

    private SetPlanOverridesRequest overrides(Fixtures.Tenant t, PlanOverrides.Builder o) {
        return SetPlanOverridesRequest.newBuilder().setOrganizationId(t.created().organization().id().toString())
                .setOverrides(o).build();
    }

    private void enableHipaa(String ownerKey) {
        OrganizationServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(ownerKey))
                .updateOrganization(UpdateOrganizationRequest.newBuilder()
                        .setOrganization(Organization.newBuilder().setHipaaMode(true))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("hipaa_mode")).build());
    }

    @Test
    void listPlansShowsTheConfiguredCatalogAndRetention() {
        List<Plan> plans = plans(acmeKey(Role.ROLE_VIEWER)).listPlans(ListPlansRequest.getDefaultInstance()).getPlansList();
        assertEquals(List.of("starter", "growth", "enterprise"), plans.stream().map(Plan::getId).toList());
        Map<DataClass, String> starter = retention(plans.get(0).getRetentionList());
        assertEquals("P30D", starter.get(DataClass.DATA_CLASS_RECORDINGS));
        assertEquals("P7Y", starter.get(DataClass.DATA_CLASS_USAGE_RECORDS));
        assertEquals("P30D", starter.get(DataClass.DATA_CLASS_MESSAGES));
        assertEquals(7, starter.size(), "every data class has a rule");
        Map<DataClass, String> enterprise = retention(plans.get(2).getRetentionList());
        assertEquals("unlimited", enterprise.get(DataClass.DATA_CLASS_RECORDINGS));
        assertEquals("P7Y", enterprise.get(DataClass.DATA_CLASS_USAGE_RECORDS));
        assertEquals(3, plans.get(0).getLimits().getMaxAgents());
        assertEquals(10.0, plans.get(0).getLimits().getApiRequestsPerSecond());
        assertFalse(plans.get(0).getHipaaAllowed());
        assertTrue(plans.get(2).getHipaaAllowed());
    }

    @Test
    void unknownPlanIdIsInvalidArgumentOnPlanId() {
        invalid(List.of("plan_id"), () -> acmeOwner.setOrganizationPlan(SetOrganizationPlanRequest.newBuilder()
                .setPlanId("platinum").build()));
        invalid(List.of("plan_id"), () -> acmeOwner.setOrganizationPlan(SetOrganizationPlanRequest.getDefaultInstance()));
    }

    @Test
    void onlyTheOwnerChangesThePlan() {
        fails(Status.Code.PERMISSION_DENIED, () -> plans(acmeKey(Role.ROLE_ADMIN)).setOrganizationPlan(
                SetOrganizationPlanRequest.newBuilder().setPlanId("growth").build()));
        assertEquals("starter", acmeOwner.getOrganizationPlan(GetOrganizationPlanRequest.getDefaultInstance())
                .getPlan().getId());
    }

    @Test
    void historyRecordsEachChangeWithItsActorNewestFirst() {
        OrganizationPlan p = acmeOwner.setOrganizationPlan(SetOrganizationPlanRequest.newBuilder()
                .setPlanId("growth").build());
        assertEquals("growth", p.getPlan().getId());
        List<PlanChange> history = p.getHistoryList();
        assertEquals(2, history.size());
        assertEquals("starter", history.get(0).getFromPlanId());
        assertEquals("growth", history.get(0).getToPlanId());
        assertEquals(acme.key().apiKey().id().toString(), history.get(0).getActorApiKeyId());
        assertEquals("", history.get(1).getFromPlanId(), "creation has no previous plan");
        assertEquals("starter", history.get(1).getToPlanId());
        assertEquals(api.fixtures.operatorOrg.ownerKey().apiKey().id().toString(), history.get(1).getActorApiKeyId());
        assertTrue(api.fixtures.audited.stream().anyMatch(a -> a.action().equals("plan.set")
                && a.details().equals(Map.of("from", "starter", "to", "growth"))));
    }

    @Test
    void hipaaModeOnlyOnEnterpriseAndItBlocksLeavingEnterprise() {
        fails(Status.Code.FAILED_PRECONDITION, () -> enableHipaa(acme.ownerKey()));
        acmeOwner.setOrganizationPlan(SetOrganizationPlanRequest.newBuilder().setPlanId("enterprise").build());
        enableHipaa(acme.ownerKey());
        var e = fails(Status.Code.FAILED_PRECONDITION, () -> acmeOwner.setOrganizationPlan(
                SetOrganizationPlanRequest.newBuilder().setPlanId("growth").build()));
        assertTrue(e.getStatus().getDescription().contains("HIPAA"), e.getStatus().toString());
        EffectivePolicy policy = acmeOwner.getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance());
        assertEquals("enterprise", policy.getPlanId());
        assertTrue(policy.getHipaaMode());
    }

    @Test
    void hipaaModeKeepsTheAuditLogAtLeastSixYearsWhateverTheOverride() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        operator.setPlanOverrides(overrides(big, PlanOverrides.newBuilder()
                .addRetention(rule(DataClass.DATA_CLASS_AUDIT_LOG, iso("P1Y")))));
        var bigPlans = plans(big.ownerKey());
        assertEquals("P1Y", retention(bigPlans.getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance())
                .getRetentionList()).get(DataClass.DATA_CLASS_AUDIT_LOG), "without HIPAA the contract term applies");
        enableHipaa(big.ownerKey());
        EffectivePolicy policy = bigPlans.getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance());
        RetentionPeriod audit = RetentionPeriod.parse(retention(policy.getRetentionList())
                .get(DataClass.DATA_CLASS_AUDIT_LOG));
        assertTrue(audit.atLeast(RetentionPeriod.of(Period.ofYears(6))), audit.toString());
        assertEquals("unlimited", retention(policy.getRetentionList()).get(DataClass.DATA_CLASS_RECORDINGS));
    }

    @Test
    void operatorOverridesAnEnterpriseContractAndTheyShowInPlanAndPolicy() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        OrganizationPlan p = operator.setPlanOverrides(overrides(big, PlanOverrides.newBuilder().setMaxAgents(7)
                .setApiBurst(1000)
                .addRetention(rule(DataClass.DATA_CLASS_RECORDINGS, iso("p10y")))
                .addRetention(rule(DataClass.DATA_CLASS_USAGE_RECORDS,
                        io.switchboard.v1.RetentionPeriod.newBuilder().setUnlimited(true).build()))));
        assertEquals(7, p.getOverrides().getMaxAgents());
        assertFalse(p.getOverrides().hasMaxCampaigns());
        assertEquals(Map.of(DataClass.DATA_CLASS_RECORDINGS, "P10Y", DataClass.DATA_CLASS_USAGE_RECORDS, "unlimited"),
                retention(p.getOverrides().getRetentionList()));
        assertEquals(api.fixtures.operatorOrg.ownerKey().apiKey().id().toString(),
                p.getHistory(0).getActorApiKeyId());
        assertEquals(7, p.getHistory(0).getOverrides().getMaxAgents());

        EffectivePolicy policy = plans(big.ownerKey()).getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance());
        assertEquals(7, policy.getLimits().getMaxAgents());
        assertEquals(1000, policy.getLimits().getApiBurst());
        assertEquals(500, policy.getLimits().getMaxConcurrentCalls(), "unset fields keep the plan's value");
        assertEquals("P10Y", retention(policy.getRetentionList()).get(DataClass.DATA_CLASS_RECORDINGS));

        OrganizationPlan cleared = operator.setPlanOverrides(overrides(big, PlanOverrides.newBuilder()));
        assertEquals(PlanOverrides.getDefaultInstance(), cleared.getOverrides());
    }

    @Test
    void overridesLapseWhenTheOrganisationLeavesEnterprise() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        operator.setPlanOverrides(overrides(big, PlanOverrides.newBuilder().setMaxAgents(7)));
        OrganizationPlan p = plans(big.ownerKey()).setOrganizationPlan(SetOrganizationPlanRequest.newBuilder()
                .setPlanId("growth").build());
        assertEquals(PlanOverrides.getDefaultInstance(), p.getOverrides());
        assertEquals(25, plans(big.ownerKey()).getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance())
                .getLimits().getMaxAgents());
    }

    @Test
    void overridesOnANonEnterpriseOrganisationAreRefused() {
        fails(Status.Code.FAILED_PRECONDITION, () -> operator.setPlanOverrides(overrides(acme,
                PlanOverrides.newBuilder().setMaxAgents(50))));
        assertFalse(acmeOwner.getOrganizationPlan(GetOrganizationPlanRequest.getDefaultInstance()).getOverrides()
                .hasMaxAgents());
    }

    @Test
    void onlyAPlatformOperatorSetsOverrides() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        fails(Status.Code.PERMISSION_DENIED, () -> plans(big.ownerKey()).setPlanOverrides(overrides(big,
                PlanOverrides.newBuilder().setMaxAgents(-1))));
    }

    @Test
    void badOverridesNameEveryField() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        invalid(List.of("overrides.max_concurrent_calls", "overrides.max_agents", "overrides.max_campaigns",
                "overrides.api_requests_per_second", "overrides.api_burst",
                "overrides.retention[0].data_class", "overrides.retention[2].data_class",
                "overrides.retention[3].period", "overrides.retention[4].period", "overrides.retention[5].period"),
                () -> operator.setPlanOverrides(overrides(big, PlanOverrides.newBuilder()
                        .setMaxConcurrentCalls(-1).setMaxAgents(-2).setMaxCampaigns(-3)
                        .setApiRequestsPerSecond(0).setApiBurst(0)
                        .addRetention(rule(DataClass.DATA_CLASS_UNSPECIFIED, iso("P1Y")))
                        .addRetention(rule(DataClass.DATA_CLASS_RECORDINGS, iso("P1Y")))
                        .addRetention(rule(DataClass.DATA_CLASS_RECORDINGS, iso("P2Y")))
                        .addRetention(rule(DataClass.DATA_CLASS_TRANSCRIPTS, iso("soon")))
                        .addRetention(RetentionRule.newBuilder().setDataClass(DataClass.DATA_CLASS_SUMMARIES))
                        .addRetention(rule(DataClass.DATA_CLASS_CALL_LOGS, iso("P-1D"))))));
        invalid(List.of("overrides.api_requests_per_second"), () -> operator.setPlanOverrides(overrides(big,
                PlanOverrides.newBuilder().setApiRequestsPerSecond(Double.NaN))));
        invalid(List.of("organization_id"), () -> operator.setPlanOverrides(SetPlanOverridesRequest.getDefaultInstance()));
        fails(Status.Code.NOT_FOUND, () -> operator.setPlanOverrides(SetPlanOverridesRequest.newBuilder()
                .setOrganizationId(java.util.UUID.randomUUID().toString()).build()));
        assertEquals(PlanOverrides.getDefaultInstance(), plans(big.ownerKey()).getOrganizationPlan(
                GetOrganizationPlanRequest.getDefaultInstance()).getOverrides());
    }

    @Test
    void badRetentionTextNamesTheFieldAndTheAcceptedForms() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        var e = fails(Status.Code.INVALID_ARGUMENT, () -> operator.setPlanOverrides(overrides(big,
                PlanOverrides.newBuilder().addRetention(rule(DataClass.DATA_CLASS_RECORDINGS, iso("forever-ish"))))));
        assertEquals(List.of("overrides.retention[0].period"), ApiHarness.badFields(e));
        assertTrue(e.getStatus().getDescription().contains("P30D"), e.getStatus().toString());
    }
}
