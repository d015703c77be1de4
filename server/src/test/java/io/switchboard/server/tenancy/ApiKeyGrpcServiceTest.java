package io.switchboard.server.tenancy;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.grpc.Status;
import io.switchboard.server.ApiHarness;
import io.switchboard.server.grpc.Protos;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ApiKey;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreateUserRequest;
import io.switchboard.v1.CreatedApiKey;
import io.switchboard.v1.GetApiKeyRequest;
import io.switchboard.v1.ListApiKeysRequest;
import io.switchboard.v1.ListUsersRequest;
import io.switchboard.v1.RevokeApiKeyRequest;
import io.switchboard.v1.Role;
import io.switchboard.v1.UserServiceGrpc;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiKeyGrpcServiceTest {

    private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");

    private MutableClock clock;
    private ApiHarness api;
    private Fixtures.Tenant acme;
    private ApiKeyServiceGrpc.ApiKeyServiceBlockingStub ownerKeys;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(START);
        api = new ApiHarness(clock);
        acme = api.fixtures.tenant("Acme", "growth");
        ownerKeys = keys(acme.ownerKey());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private ApiKeyServiceGrpc.ApiKeyServiceBlockingStub keys(String secret) {
        return ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(secret));
    }

    private CreatedApiKey create(ApiKeyServiceGrpc.ApiKeyServiceBlockingStub as, String name, Role role) {
        return as.createApiKey(CreateApiKeyRequest.newBuilder().setName(name).setRole(role).build());
    }

    private static ListUsersRequest anyRead() {
        return ListUsersRequest.getDefaultInstance();
    }

    private UserServiceGrpc.UserServiceBlockingStub users(String secret) {
        return UserServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(secret));
    }

    @Test
    void secretIsReturnedOnCreationOnlyAndWorksAsABearerKey() {
        CreatedApiKey created = create(ownerKeys, "ci", Role.ROLE_VIEWER);
        assertTrue(created.getSecret().startsWith(created.getApiKey().getPrefix() + "_"), created.getSecret());
        assertEquals(Role.ROLE_VIEWER, created.getApiKey().getRole());
        assertEquals(1, users(created.getSecret()).listUsers(anyRead()).getUsersCount());

        ApiKey got = ownerKeys.getApiKey(GetApiKeyRequest.newBuilder().setId(created.getApiKey().getId()).build());
        assertFalse(got.toString().contains(created.getSecret().substring(14)), "Get must not carry the secret");
        String listed = ownerKeys.listApiKeys(ListApiKeysRequest.getDefaultInstance()).toString();
        assertTrue(listed.contains(created.getApiKey().getPrefix()));
        assertFalse(listed.contains(created.getSecret().substring(14)), "List must not carry the secret");
    }

    @Test
    void databaseKeepsOnlyTheSha256OfTheKey() {
        CreatedApiKey created = create(ownerKeys, "ci", Role.ROLE_AGENT);
        var dsl = api.fixtures.plane.database().dsl();
        String secretPart = created.getSecret().substring(14);
        for (Record row : dsl.fetch("select * from api_keys")) {
            for (Object value : row.intoArray()) {
                String text = value instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
                        : String.valueOf(value);
                assertFalse(text.contains(secretPart), "api_keys row holds the secret: " + row);
            }
        }
        assertEquals(1, dsl.fetchCount(dsl.selectFrom("api_keys").where(
                "secret_sha256 = sha256(convert_to({0}, 'UTF8')) and id = {1}::uuid",
                created.getSecret(), created.getApiKey().getId())));
    }

    @Test
    void revokedKeyIsUnauthenticatedAndStaysListedWithItsRevokeTime() {
        CreatedApiKey created = create(ownerKeys, "temp", Role.ROLE_VIEWER);
        users(created.getSecret()).listUsers(anyRead());
        clock.advance(Duration.ofMinutes(5));
        ApiKey revoked = ownerKeys.revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(created.getApiKey().getId()).build());
        assertEquals(Protos.timestamp(START.plus(Duration.ofMinutes(5))), revoked.getRevokeTime());
        fails(Status.Code.UNAUTHENTICATED, () -> users(created.getSecret()).listUsers(anyRead()));

        assertFalse(ownerKeys.listApiKeys(ListApiKeysRequest.getDefaultInstance()).getApiKeysList().stream()
                .anyMatch(k -> k.getId().equals(created.getApiKey().getId())), "revoked keys are hidden by default");
        assertTrue(ownerKeys.listApiKeys(ListApiKeysRequest.newBuilder().setIncludeRevoked(true).build())
                .getApiKeysList().stream().anyMatch(k -> k.getId().equals(created.getApiKey().getId())
                        && k.hasRevokeTime()));
    }

    @Test
    void keyIsRefusedFromItsExpireTimeOn() {
        CreatedApiKey created = ownerKeys.createApiKey(CreateApiKeyRequest.newBuilder().setName("short-lived")
                .setRole(Role.ROLE_VIEWER).setExpireTime(Protos.timestamp(START.plus(Duration.ofHours(1)))).build());
        assertEquals(Protos.timestamp(START.plus(Duration.ofHours(1))), created.getApiKey().getExpireTime());
        clock.advance(Duration.ofMinutes(59));
        users(created.getSecret()).listUsers(anyRead());
        clock.advance(Duration.ofMinutes(1));
        fails(Status.Code.UNAUTHENTICATED, () -> users(created.getSecret()).listUsers(anyRead()));
    }

    @Test
    void expireTimeInThePastIsInvalid() {
        invalid(List.of("expire_time"), () -> ownerKeys.createApiKey(CreateApiKeyRequest.newBuilder().setName("x")
                .setRole(Role.ROLE_VIEWER).setExpireTime(Protos.timestamp(START)).build()));
    }

    @Test
    void everyBadFieldIsNamed() {
        invalid(List.of("name", "role", "user_id"), () -> ownerKeys.createApiKey(CreateApiKeyRequest.newBuilder()
                .setName(" ").setUserId("not-a-uuid").build()));
        invalid(List.of("name"), () -> create(ownerKeys, "n".repeat(201), Role.ROLE_VIEWER));
        invalid(List.of("id"), () -> ownerKeys.getApiKey(GetApiKeyRequest.newBuilder().setId("nope").build()));
        invalid(List.of("id"), () -> ownerKeys.revokeApiKey(RevokeApiKeyRequest.getDefaultInstance()));
        invalid(List.of("page_size"), () -> ownerKeys.listApiKeys(ListApiKeysRequest.newBuilder().setPageSize(-1).build()));
    }

    @Test
    void lastUsedTimeIsSetWhenTheKeyIsUsed() {
        CreatedApiKey created = create(ownerKeys, "ci", Role.ROLE_VIEWER);
        assertFalse(created.getApiKey().hasLastUsedTime());
        clock.advance(Duration.ofMinutes(3));
        users(created.getSecret()).listUsers(anyRead());
        ApiKey got = ownerKeys.getApiKey(GetApiKeyRequest.newBuilder().setId(created.getApiKey().getId()).build());
        assertEquals(Protos.timestamp(START.plus(Duration.ofMinutes(3))), got.getLastUsedTime());
    }

    @Test
    void viewerKeyCannotCreateAgents() {
        CreatedApiKey viewer = create(ownerKeys, "read-only", Role.ROLE_VIEWER);
        fails(Status.Code.PERMISSION_DENIED, () -> AgentServiceGrpc.newBlockingStub(api.channel)
                .withCallCredentials(bearer(viewer.getSecret()))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(io.switchboard.v1.Agent.newBuilder()
                        .setName("Sales").setLanguage("en-US")).build()));
    }

    @Test
    void adminCannotCreateAnOwnerKeyNorManageKeysAboveItself() {
        CreatedApiKey admin = create(ownerKeys, "admin", Role.ROLE_ADMIN);
        var adminKeys = keys(admin.getSecret());
        fails(Status.Code.PERMISSION_DENIED, () -> create(adminKeys, "escalate", Role.ROLE_OWNER));
        assertEquals(Role.ROLE_ADMIN, create(adminKeys, "peer", Role.ROLE_ADMIN).getApiKey().getRole());
        String ownerKeyId = acme.key().apiKey().id().toString();
        fails(Status.Code.PERMISSION_DENIED, () ->
                adminKeys.revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(ownerKeyId).build()));
        users(acme.ownerKey()).listUsers(anyRead());
    }

    @Test
    void agentAndViewerKeysCannotReadKeys() {
        CreatedApiKey agent = create(ownerKeys, "agent", Role.ROLE_AGENT);
        fails(Status.Code.PERMISSION_DENIED, () -> keys(agent.getSecret()).listApiKeys(ListApiKeysRequest.getDefaultInstance()));
        fails(Status.Code.PERMISSION_DENIED, () -> create(keys(agent.getSecret()), "x", Role.ROLE_VIEWER));
    }

    @Test
    void keyForAUserCannotExceedThatUsersRole() {
        String viewerId = users(acme.ownerKey()).createUser(CreateUserRequest.newBuilder().setEmail("v@acme.example")
                .setRole(Role.ROLE_VIEWER).build()).getId();
        invalid(List.of("role"), () -> ownerKeys.createApiKey(CreateApiKeyRequest.newBuilder().setName("x")
                .setRole(Role.ROLE_ADMIN).setUserId(viewerId).build()));
        CreatedApiKey ok = ownerKeys.createApiKey(CreateApiKeyRequest.newBuilder().setName("x")
                .setRole(Role.ROLE_VIEWER).setUserId(viewerId).build());
        assertEquals(viewerId, ok.getApiKey().getUserId());
    }

    @Test
    void anotherOrganisationsKeysAreNotFoundAndUntouched() {
        CreatedApiKey mine = create(ownerKeys, "mine", Role.ROLE_VIEWER);
        Fixtures.Tenant other = api.fixtures.tenant("Other", "growth");
        var theirs = keys(other.ownerKey());
        String id = mine.getApiKey().getId();
        fails(Status.Code.NOT_FOUND, () -> theirs.getApiKey(GetApiKeyRequest.newBuilder().setId(id).build()));
        fails(Status.Code.NOT_FOUND, () -> theirs.revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(id).build()));
        fails(Status.Code.NOT_FOUND, () -> theirs.getApiKey(GetApiKeyRequest.newBuilder()
                .setId(UUID.randomUUID().toString()).build()));
        List<String> listed = theirs.listApiKeys(ListApiKeysRequest.newBuilder().setIncludeRevoked(true).build())
                .getApiKeysList().stream().map(ApiKey::getId).toList();
        assertEquals(List.of(other.key().apiKey().id().toString()), listed);
        String acmeUser = acme.created().owner().id().toString();
        fails(Status.Code.NOT_FOUND, () -> theirs.createApiKey(CreateApiKeyRequest.newBuilder().setName("x")
                .setRole(Role.ROLE_VIEWER).setUserId(acmeUser).build()));
        assertFalse(ownerKeys.getApiKey(GetApiKeyRequest.newBuilder().setId(id).build()).hasRevokeTime());
        users(mine.getSecret()).listUsers(anyRead());
    }
}
