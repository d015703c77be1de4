package io.switchboard.server.tenancy;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.CreateOrganizationResponse;
import io.switchboard.v1.GetOrganizationRequest;
import io.switchboard.v1.ListOrganizationsRequest;
import io.switchboard.v1.ListOrganizationsResponse;
import io.switchboard.v1.Organization;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.Role;
import io.switchboard.v1.UpdateOrganizationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OrganizationGrpcServiceTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;
    private OrganizationServiceGrpc.OrganizationServiceBlockingStub operator;
    private OrganizationServiceGrpc.OrganizationServiceBlockingStub acmeOwner;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "growth");
        operator = orgs(api.fixtures.operatorOrg.ownerKey().secret());
        acmeOwner = orgs(acme.ownerKey());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private OrganizationServiceGrpc.OrganizationServiceBlockingStub orgs(String secret) {
        return OrganizationServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(secret));
    }

    private String keyWithRole(Role role) {
        return ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createApiKey(CreateApiKeyRequest.newBuilder().setName(role.name()).setRole(role).build()).getSecret();
    }

    private static UpdateOrganizationRequest update(Organization.Builder o, String... paths) {
        return UpdateOrganizationRequest.newBuilder().setOrganization(o)
                .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths))).build();
    }

    @Test
    void operatorCreatesAnOrganisationWhoseOwnerKeyWorksAtOnce() {
        CreateOrganizationResponse r = operator.createOrganization(CreateOrganizationRequest.newBuilder()
                .setName("  Globex ").setOwnerEmail("hank@globex.example").setOwnerDisplayName("Hank").build());
        assertEquals("Globex", r.getOrganization().getName());
        assertEquals("starter", r.getOrganization().getPlanId(), "the catalog's default plan");
        assertEquals(Role.ROLE_OWNER, r.getOwner().getRole());
        assertEquals(Role.ROLE_OWNER, r.getOwnerApiKey().getApiKey().getRole());
        assertEquals(r.getOwner().getId(), r.getOwnerApiKey().getApiKey().getUserId());
        assertEquals(false, r.getOwnerApiKey().getApiKey().getPlatformOperator());
        assertEquals(r.getOrganization(), orgs(r.getOwnerApiKey().getSecret())
                .getOrganization(GetOrganizationRequest.getDefaultInstance()));
    }

    @Test
    void createOrganizationNamesEveryBadField() {
        invalid(List.of("name", "owner_email"), () -> operator.createOrganization(
                CreateOrganizationRequest.getDefaultInstance()));
        invalid(List.of("owner_email", "owner_display_name"), () -> operator.createOrganization(
                CreateOrganizationRequest.newBuilder().setName("X").setOwnerEmail("nope")
                        .setOwnerDisplayName("d".repeat(201)).build()));
        invalid(List.of("name", "plan_id"), () -> operator.createOrganization(CreateOrganizationRequest.newBuilder()
                .setOwnerEmail("x@x.example").setPlanId("platinum").build()));
    }

    @Test
    void onlyPlatformOperatorsCreateOrListOrganisations() {
        fails(Status.Code.PERMISSION_DENIED, () -> acmeOwner.createOrganization(CreateOrganizationRequest.newBuilder()
                .setName("Mine").setOwnerEmail("me@mine.example").build()));
        fails(Status.Code.PERMISSION_DENIED, () -> acmeOwner.listOrganizations(
                ListOrganizationsRequest.getDefaultInstance()));
    }

    @Test
    void operatorListsEveryOrganisationPageByPage() {
        api.fixtures.tenant("Initech", "starter");
        List<String> names = new ArrayList<>();
        String token = "";
        do {
            ListOrganizationsResponse page = operator.listOrganizations(ListOrganizationsRequest.newBuilder()
                    .setPageSize(2).setPageToken(token).build());
            page.getOrganizationsList().forEach(o -> names.add(o.getName()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertEquals(List.of("Operator Org", "Acme", "Initech"), names);
        invalid(List.of("page_token"), () -> operator.listOrganizations(ListOrganizationsRequest.newBuilder()
                .setPageToken("garbage").build()));
    }

    @Test
    void getOrganizationIsTheCallersOwn() {
        Organization o = acmeOwner.getOrganization(GetOrganizationRequest.getDefaultInstance());
        assertEquals(acme.created().organization().id().toString(), o.getId());
        assertEquals("growth", o.getPlanId());
        assertEquals(o, orgs(keyWithRole(Role.ROLE_VIEWER)).getOrganization(GetOrganizationRequest.getDefaultInstance()));
    }

    @Test
    void adminRenamesButOnlyTheOwnerSwitchesHipaaMode() {
        var admin = orgs(keyWithRole(Role.ROLE_ADMIN));
        Organization renamed = admin.updateOrganization(update(Organization.newBuilder().setName("Acme Corp")
                .setPlanId("enterprise"), "name"));
        assertEquals("Acme Corp", renamed.getName());
        assertEquals("growth", renamed.getPlanId(), "plan_id is not updatable here");
        fails(Status.Code.PERMISSION_DENIED, () -> admin.updateOrganization(update(Organization.newBuilder()
                .setHipaaMode(false), "hipaa_mode")));
        fails(Status.Code.PERMISSION_DENIED, () -> orgs(keyWithRole(Role.ROLE_AGENT)).updateOrganization(
                update(Organization.newBuilder().setName("Mine"), "name")));
    }

    @Test
    void updateOrganizationNamesBadFields() {
        invalid(List.of("organization.name"), () -> acmeOwner.updateOrganization(update(Organization.newBuilder()
                .setName(" "), "name")));
        invalid(List.of("update_mask"), () -> acmeOwner.updateOrganization(update(Organization.newBuilder()
                .setPlanId("enterprise"), "plan_id")));
        invalid(List.of("update_mask"), () -> acmeOwner.updateOrganization(update(Organization.newBuilder())));
        assertEquals("Acme", acmeOwner.getOrganization(GetOrganizationRequest.getDefaultInstance()).getName());
    }

    @Test
    void anAdminSetsTheMessagingHelpTextAndStopConfirmationsAndBadTextsAreRefused() {
        Organization before = acmeOwner.getOrganization(GetOrganizationRequest.getDefaultInstance());
        assertEquals("", before.getMessagingHelpText(), "unset: the platform's default");
        assertTrue(before.getConfirmOptOut(), "STOPs are confirmed by default");
        var admin = orgs(keyWithRole(Role.ROLE_ADMIN));
        Organization set = admin.updateOrganization(update(Organization.newBuilder()
                .setMessagingHelpText("{organization}: help at acme.example. Reply STOP to opt out.")
                .setConfirmOptOut(false).setName("ignored"), "messaging_help_text", "confirm_opt_out"));
        assertEquals("{organization}: help at acme.example. Reply STOP to opt out.", set.getMessagingHelpText());
        assertFalse(set.getConfirmOptOut());
        assertEquals("Acme", set.getName(), "only the masked fields change");
        invalid(List.of("organization.messaging_help_text"), () -> admin.updateOrganization(update(
                Organization.newBuilder().setMessagingHelpText("x".repeat(321)), "messaging_help_text")));
        fails(Status.Code.PERMISSION_DENIED, () -> orgs(keyWithRole(Role.ROLE_AGENT)).updateOrganization(
                update(Organization.newBuilder().setConfirmOptOut(true), "confirm_opt_out")));
        assertEquals(set, acmeOwner.getOrganization(GetOrganizationRequest.getDefaultInstance()));
        assertEquals("", admin.updateOrganization(update(Organization.newBuilder().setMessagingHelpText(""),
                "messaging_help_text")).getMessagingHelpText(), "empty in the mask: back to the platform's default");
    }

    @Test
    void hipaaModeNeedsAPlanThatAllowsIt() {
        var e = fails(Status.Code.FAILED_PRECONDITION, () -> acmeOwner.updateOrganization(update(
                Organization.newBuilder().setHipaaMode(true), "hipaa_mode")));
        assertTrue(e.getStatus().getDescription().contains("growth"), e.getStatus().toString());
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        Organization on = orgs(big.ownerKey()).updateOrganization(update(Organization.newBuilder().setHipaaMode(true),
                "hipaa_mode"));
        assertTrue(on.getHipaaMode());
        assertTrue(api.fixtures.audited.stream().anyMatch(a -> a.action().equals("hipaa.enable")
                && a.organizationId().equals(big.created().organization().id())));
    }
}
