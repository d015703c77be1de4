package io.switchboard.server.idempotency;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.detail;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.UUID;

import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.CreateOrganizationResponse;
import io.switchboard.v1.CreatedApiKey;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code request_id} on create RPCs, as a client sees it: same answer on retry, the refusals and their details. */
class RequestIdGrpcTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;
    private AgentServiceGrpc.AgentServiceBlockingStub agents;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "growth");
        agents = agents(acme);
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private AgentServiceGrpc.AgentServiceBlockingStub agents(Fixtures.Tenant t) {
        return AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(t.ownerKey()));
    }

    private static CreateAgentRequest createAgent(String name, String requestId) {
        return CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName(name).setLanguage("en-US"))
                .setRequestId(requestId).build();
    }

    @Test
    void retryWithTheSameRequestIdGetsTheSameAnswerAndOneAgent() {
        String id = UUID.randomUUID().toString();
        Agent first = agents.createAgent(createAgent("Sales", id));
        assertEquals(first, agents.createAgent(createAgent("Sales", id)));
        assertEquals(1, agents.listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsCount());
    }

    @Test
    void sameRequestIdWithAnotherBodyIsAlreadyExistsNamingRequestId() {
        String id = UUID.randomUUID().toString();
        agents.createAgent(createAgent("Sales", id));
        var e = fails(Status.Code.ALREADY_EXISTS, () -> agents.createAgent(createAgent("Support", id)));
        BadRequest.FieldViolation v = detail(e, BadRequest.class).orElseThrow().getFieldViolations(0);
        assertEquals("request_id", v.getField());
        assertEquals(true, v.getDescription().contains("different request"), v.getDescription());
    }

    @Test
    void requestIdThatIsNotAUuidIsInvalidArgumentNamingRequestId() {
        invalid(List.of("request_id"), () -> agents.createAgent(createAgent("Sales", "retry-1")));
        assertEquals(0, agents.listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsCount());
    }

    @Test
    void anotherOrganisationsSameRequestIdGetsItsOwnAgentAndNeverSeesTheFirst() {
        Fixtures.Tenant globex = api.fixtures.tenant("Globex", "growth");
        String id = UUID.randomUUID().toString();
        Agent ours = agents.createAgent(createAgent("Sales", id));
        Agent theirs = agents(globex).createAgent(createAgent("Sales", id));
        assertNotEquals(ours.getId(), theirs.getId());
        assertEquals(List.of(theirs), agents(globex).listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList());
    }

    @Test
    void retriedApiKeyAndOrganizationCreatesAnswerWithTheSameSecrets() {
        var keys = ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
        CreateApiKeyRequest key = CreateApiKeyRequest.newBuilder().setName("ci").setRole(Role.ROLE_ADMIN)
                .setRequestId(UUID.randomUUID().toString()).build();
        CreatedApiKey first = keys.createApiKey(key);
        assertEquals(first, keys.createApiKey(key));

        var orgs = OrganizationServiceGrpc.newBlockingStub(api.channel)
                .withCallCredentials(bearer(api.fixtures.operatorOrg.ownerKey().secret()));
        CreateOrganizationRequest org = CreateOrganizationRequest.newBuilder().setName("Initech")
                .setOwnerEmail("owner@initech.example").setRequestId(UUID.randomUUID().toString()).build();
        CreateOrganizationResponse made = orgs.createOrganization(org);
        assertEquals(made, orgs.createOrganization(org));
    }
}
