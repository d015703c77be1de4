package io.switchboard.server.audit;

import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AuditEntry;
import io.switchboard.v1.AuditFilter;
import io.switchboard.v1.AuditServiceGrpc;
import io.switchboard.v1.ChainVerification;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.ListAuditEntriesRequest;
import io.switchboard.v1.Role;
import io.switchboard.v1.VerifyChainRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The audit trail over gRPC: what an API change leaves behind, how it is read, and who may read it. */
class AuditGrpcServiceTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;
    private AuditServiceGrpc.AuditServiceBlockingStub audit;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "growth");
        audit = AuditServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    @Test
    void anApiChangeIsAuditedWithActorAndAddressAndTheChainVerifies() {
        Agent agent = AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Renewals")
                        .setLanguage("en-US")).build());
        List<AuditEntry> entries = audit.listAuditEntries(ListAuditEntriesRequest.newBuilder()
                .setFilter(AuditFilter.newBuilder().setResourceType("agent").setResourceId(agent.getId())).build())
                .getEntriesList();
        assertEquals(1, entries.size(), entries.toString());
        AuditEntry e = entries.getFirst();
        assertEquals("agent.create", e.getAction());
        assertEquals(acme.key().apiKey().id().toString(), e.getActorApiKeyId());
        assertTrue(e.getRemoteAddress().contains("127.0.0.1"), e.getRemoteAddress());
        assertEquals(64, e.getHash().length());

        ChainVerification v = audit.verifyChain(VerifyChainRequest.getDefaultInstance());
        assertTrue(v.getIntact(), v.getReason());
        assertEquals(e.getSeq(), v.getLastSeq());
        List<AuditEntry> exported = new ArrayList<>();
        audit.exportAuditEntries(AuditFilter.getDefaultInstance()).forEachRemaining(exported::add);
        assertEquals(v.getEntriesChecked(), exported.size());
        for (int i = 1; i < exported.size(); i++) {
            assertEquals(exported.get(i - 1).getHash(), exported.get(i).getPrevHash(), "exported in chain order");
        }
    }

    @Test
    void anEditFoundByVerifyChainIsReportedOverTheApi() {
        AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("A").setLanguage("en-US")).build());
        var dsl = api.fixtures.plane.database().dsl();
        dsl.transaction(cfg -> {
            org.jooq.impl.DSL.using(cfg).execute("set local session_replication_role = replica");
            org.jooq.impl.DSL.using(cfg).execute("update audit_log set action = 'agent.delete' where organization_id = ?::uuid "
                    + "and action = 'agent.create'", acme.owner().organizationId().toString());
        });
        ChainVerification v = audit.verifyChain(VerifyChainRequest.getDefaultInstance());
        assertFalse(v.getIntact());
        assertTrue(v.getBrokenSeq() > 0);
        assertTrue(v.getReason().contains("altered"), v.getReason());
    }

    @Test
    void readingTheTrailNeedsAdminAndBadFiltersAreNamed() {
        String viewerKey = ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createApiKey(CreateApiKeyRequest.newBuilder().setName("ro").setRole(Role.ROLE_VIEWER).build()).getSecret();
        var asViewer = AuditServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(viewerKey));
        StatusRuntimeException denied = assertThrows(StatusRuntimeException.class,
                () -> asViewer.verifyChain(VerifyChainRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
        StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> audit.listAuditEntries(
                ListAuditEntriesRequest.newBuilder().setFilter(AuditFilter.newBuilder().setActorApiKeyId("nope")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertEquals(List.of("filter.actor_api_key_id"), ApiHarness.badFields(bad));
        StatusRuntimeException token = assertThrows(StatusRuntimeException.class, () -> audit.listAuditEntries(
                ListAuditEntriesRequest.newBuilder().setPageToken("garbage").build()));
        assertEquals(List.of("page_token"), ApiHarness.badFields(token));
    }
}
