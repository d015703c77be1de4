package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.CreateOrganizationResponse;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.sdk.ApiKeyCredentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's promise, end to end: the dev stack (embedded PostgreSQL and S3, migrations, bootstrap key,
 * API server) starts in a fresh directory, a generated Java client creates a tenant and its resources with
 * the printed operator key, and a restart finds the data and the key again.
 */
class AppSmokeTest {

    @TempDir
    Path home;

    @Test
    void devStackServesTheApiWithTheBootstrapKeyAndKeepsDataAcrossRestarts() throws Exception {
        Config config = devConfig();
        String operatorKey;
        String agentId;
        try (DevStack stack = DevStack.start(config)) {
            operatorKey = stack.operatorKey();
            assertTrue(operatorKey.startsWith("sb_"), operatorKey);
            assertEquals(operatorKey, Files.readString(home.resolve("bootstrap-key")).trim());
            assertTrue(Files.isDirectory(home.resolve("objects").resolve("switchboard")), "bucket created in the embedded S3");
            ManagedChannel ch = channel(stack);
            try {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                        HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance()).getStatus());
                CreateOrganizationResponse acme = OrganizationServiceGrpc.newBlockingStub(ch)
                        .withCallCredentials(bearer(operatorKey))
                        .createOrganization(CreateOrganizationRequest.newBuilder().setName("Acme").setPlanId("growth")
                                .setOwnerEmail("ops@acme.example").build());
                String acmeKey = acme.getOwnerApiKey().getSecret();
                Agent agent = AgentServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(acmeKey))
                        .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder()
                                .setName("Renewals").setLanguage("en-US")).build());
                agentId = agent.getId();
                var contacts = io.switchboard.v1.ContactServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(acmeKey));
                var list = contacts.createContactList(io.switchboard.v1.CreateContactListRequest.newBuilder()
                        .setContactList(io.switchboard.v1.ContactList.newBuilder().setName("Renewals Q3")).build());
                var contact = contacts.createContact(io.switchboard.v1.CreateContactRequest.newBuilder().setDefaultRegion("US")
                        .setContact(io.switchboard.v1.Contact.newBuilder().setPhoneNumber("(415) 555-0123")
                                .addListIds(list.getId())).build());
                assertEquals("+14155550123", contact.getPhoneNumber());
                var campaign = io.switchboard.v1.CampaignServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(acmeKey))
                        .createCampaign(io.switchboard.v1.CreateCampaignRequest.newBuilder().setCampaign(
                                io.switchboard.v1.Campaign.newBuilder().setName("Q3").setAgentId(agentId)
                                        .setContactListId(list.getId()).setCallerId("+14155550100")).build());
                assertEquals(io.switchboard.v1.Campaign.State.STATE_DRAFT, campaign.getState());
                assertEquals(204, java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + stack.server().port()
                                + "/switchboard.v1.AgentService/ListAgents"))
                        .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                        .header("origin", "http://localhost:5173").header("access-control-request-method", "POST")
                        .build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode(),
                        "a console's dev server may call the dev API with grpc-web");
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        try (DevStack again = DevStack.start(config)) {
            assertEquals(operatorKey, again.operatorKey(), "the bootstrap key survives a restart");
            ManagedChannel ch = channel(again);
            try {
                var agents = AgentServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(operatorKey))
                        .listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList();
                assertFalse(agents.stream().anyMatch(a -> a.getId().equals(agentId)),
                        "the operator's own organisation does not see Acme's agent");
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            long agentsInDb = again.db().dsl().fetchCount(io.switchboard.db.Tables.AGENTS);
            assertEquals(1, agentsInDb, "Acme's agent is still stored after the restart");
        }
    }

    private Config devConfig() throws IOException {
        return Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of(
                        "dev.home", home.toString(),
                        "dev.postgres-port", Integer.toString(freePort()),
                        "dev.s3-port", Integer.toString(freePort()),
                        "server.port", "0")))
                .addSource(ConfigSources.classpath("switchboard-defaults.yaml"))
                .build();
    }

    private static ManagedChannel channel(DevStack stack) {
        return NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }
}
