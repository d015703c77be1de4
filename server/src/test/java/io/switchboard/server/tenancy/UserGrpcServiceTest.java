package io.switchboard.server.tenancy;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.detail;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.UUID;

import com.google.protobuf.FieldMask;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreateUserRequest;
import io.switchboard.v1.DeleteUserRequest;
import io.switchboard.v1.GetApiKeyRequest;
import io.switchboard.v1.GetUserRequest;
import io.switchboard.v1.ListApiKeysRequest;
import io.switchboard.v1.ListUsersRequest;
import io.switchboard.v1.Role;
import io.switchboard.v1.UpdateUserRequest;
import io.switchboard.v1.User;
import io.switchboard.v1.UserServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UserGrpcServiceTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;
    private UserServiceGrpc.UserServiceBlockingStub owner;
    private String ownerId;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "growth");
        owner = users(acme.ownerKey());
        ownerId = acme.created().owner().id().toString();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private UserServiceGrpc.UserServiceBlockingStub users(String secret) {
        return UserServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(secret));
    }

    private User create(UserServiceGrpc.UserServiceBlockingStub as, String email, Role role) {
        return as.createUser(CreateUserRequest.newBuilder().setEmail(email).setDisplayName(email).setRole(role).build());
    }

    /** A key acting for {@code user}, made by the owner. */
    private String keyFor(User user) {
        return ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .createApiKey(CreateApiKeyRequest.newBuilder().setName("key of " + user.getEmail())
                        .setRole(user.getRole()).setUserId(user.getId()).build()).getSecret();
    }

    private static UpdateUserRequest setRole(String id, Role role) {
        return UpdateUserRequest.newBuilder().setUser(User.newBuilder().setId(id).setRole(role))
                .setUpdateMask(FieldMask.newBuilder().addPaths("role")).build();
    }

    @Test
    void createGetListUpdateRoundTrip() {
        User u = create(owner, "Ann@Acme.example", Role.ROLE_AGENT);
        assertEquals("Ann@Acme.example", u.getEmail());
        assertEquals(u, owner.getUser(GetUserRequest.newBuilder().setId(u.getId()).build()));
        User renamed = owner.updateUser(UpdateUserRequest.newBuilder()
                .setUser(User.newBuilder().setId(u.getId()).setDisplayName("Ann").setRole(Role.ROLE_OWNER))
                .setUpdateMask(FieldMask.newBuilder().addPaths("display_name")).build());
        assertEquals("Ann", renamed.getDisplayName());
        assertEquals(Role.ROLE_AGENT, renamed.getRole(), "fields outside the mask are kept");
        assertEquals(List.of(ownerId, u.getId()), owner.listUsers(ListUsersRequest.getDefaultInstance())
                .getUsersList().stream().map(User::getId).toList());
    }

    @Test
    void duplicateEmailIsAlreadyExistsIgnoringCase() {
        create(owner, "ann@acme.example", Role.ROLE_AGENT);
        fails(Status.Code.ALREADY_EXISTS, () -> create(owner, "ANN@acme.example", Role.ROLE_VIEWER));
    }

    @Test
    void everyBadFieldIsNamed() {
        invalid(List.of("email", "role"), () -> owner.createUser(CreateUserRequest.getDefaultInstance()));
        invalid(List.of("email", "display_name"), () -> owner.createUser(CreateUserRequest.newBuilder()
                .setEmail("not an email").setDisplayName("d".repeat(201)).setRole(Role.ROLE_VIEWER).build()));
        invalid(List.of("id"), () -> owner.getUser(GetUserRequest.newBuilder().setId("x").build()));
        invalid(List.of("id"), () -> owner.deleteUser(DeleteUserRequest.getDefaultInstance()));
        invalid(List.of("update_mask"), () -> owner.updateUser(UpdateUserRequest.newBuilder()
                .setUser(User.newBuilder().setId(ownerId).setEmail("new@acme.example"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("email")).build()));
        invalid(List.of("update_mask"), () -> owner.updateUser(UpdateUserRequest.newBuilder()
                .setUser(User.newBuilder().setId(ownerId)).build()));
        invalid(List.of("user.role"), () -> owner.updateUser(setRole(ownerId, Role.ROLE_UNSPECIFIED)));
        invalid(List.of("user.id"), () -> owner.updateUser(setRole("bad", Role.ROLE_ADMIN)));
    }

    @Test
    void adminCannotCreateOrPromoteOwnersNorChangeAnOwner() {
        User admin = create(owner, "admin@acme.example", Role.ROLE_ADMIN);
        var asAdmin = users(keyFor(admin));
        fails(Status.Code.PERMISSION_DENIED, () -> create(asAdmin, "boss@acme.example", Role.ROLE_OWNER));
        User agent = create(asAdmin, "agent@acme.example", Role.ROLE_AGENT);
        fails(Status.Code.PERMISSION_DENIED, () -> asAdmin.updateUser(setRole(agent.getId(), Role.ROLE_OWNER)));
        fails(Status.Code.PERMISSION_DENIED, () -> asAdmin.updateUser(setRole(ownerId, Role.ROLE_VIEWER)));
        fails(Status.Code.PERMISSION_DENIED, () -> asAdmin.deleteUser(DeleteUserRequest.newBuilder().setId(ownerId).build()));
        assertEquals(Role.ROLE_ADMIN, asAdmin.updateUser(setRole(agent.getId(), Role.ROLE_ADMIN)).getRole());
    }

    @Test
    void viewerCanReadUsersButNotChangeThem() {
        User viewer = create(owner, "viewer@acme.example", Role.ROLE_VIEWER);
        var asViewer = users(keyFor(viewer));
        assertEquals(2, asViewer.listUsers(ListUsersRequest.getDefaultInstance()).getUsersCount());
        fails(Status.Code.PERMISSION_DENIED, () -> create(asViewer, "x@acme.example", Role.ROLE_VIEWER));
        fails(Status.Code.PERMISSION_DENIED, () -> asViewer.deleteUser(DeleteUserRequest.newBuilder()
                .setId(viewer.getId()).build()));
    }

    @Test
    void lastOwnerCanBeNeitherDemotedNorDeleted() {
        var e = fails(Status.Code.FAILED_PRECONDITION, () -> owner.updateUser(setRole(ownerId, Role.ROLE_ADMIN)));
        assertEquals("LAST_OWNER", detail(e, ErrorInfo.class)
                .orElseThrow().getReason());
        fails(Status.Code.FAILED_PRECONDITION, () -> owner.deleteUser(DeleteUserRequest.newBuilder().setId(ownerId).build()));

        User second = create(owner, "second@acme.example", Role.ROLE_OWNER);
        var asSecond = users(keyFor(second));
        assertEquals(Role.ROLE_ADMIN, owner.updateUser(setRole(ownerId, Role.ROLE_ADMIN)).getRole());
        fails(Status.Code.FAILED_PRECONDITION, () -> asSecond.deleteUser(DeleteUserRequest.newBuilder()
                .setId(second.getId()).build()));
    }

    @Test
    void deletingAUserRevokesTheirKeys() {
        User ann = create(owner, "ann@acme.example", Role.ROLE_ADMIN);
        String annKey = keyFor(ann);
        users(annKey).listUsers(ListUsersRequest.getDefaultInstance());
        owner.deleteUser(DeleteUserRequest.newBuilder().setId(ann.getId()).build());
        fails(Status.Code.UNAUTHENTICATED, () -> users(annKey).listUsers(ListUsersRequest.getDefaultInstance()));
        fails(Status.Code.NOT_FOUND, () -> owner.getUser(GetUserRequest.newBuilder().setId(ann.getId()).build()));
        assertEquals(1, owner.listUsers(ListUsersRequest.getDefaultInstance()).getUsersCount());
    }

    @Test
    void demotingAUserLowersTheirKeysToTheNewRole() {
        User ann = create(owner, "ann@acme.example", Role.ROLE_ADMIN);
        String annKey = keyFor(ann);
        owner.updateUser(setRole(ann.getId(), Role.ROLE_VIEWER));
        fails(Status.Code.PERMISSION_DENIED, () -> AgentServiceGrpc.newBlockingStub(api.channel)
                .withCallCredentials(bearer(annKey)).createAgent(CreateAgentRequest.newBuilder()
                        .setAgent(io.switchboard.v1.Agent.newBuilder().setName("Sales").setLanguage("en-US")).build()));
        var keys = ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
        String keyId = keys.listApiKeys(ListApiKeysRequest.getDefaultInstance()).getApiKeysList()
                .stream().filter(k -> k.getUserId().equals(ann.getId())).findFirst().orElseThrow().getId();
        assertEquals(Role.ROLE_VIEWER, keys.getApiKey(GetApiKeyRequest.newBuilder().setId(keyId).build()).getRole());
        owner.updateUser(setRole(ann.getId(), Role.ROLE_ADMIN));
        assertEquals(Role.ROLE_VIEWER, keys.getApiKey(GetApiKeyRequest.newBuilder().setId(keyId).build()).getRole(),
                "promotion does not raise existing keys");
    }

    @Test
    void anotherOrganisationGetsNotFoundAndChangesNothing() {
        User ann = create(owner, "ann@acme.example", Role.ROLE_AGENT);
        var other = users(api.fixtures.tenant("Other", "growth").ownerKey());
        String id = ann.getId();
        fails(Status.Code.NOT_FOUND, () -> other.getUser(GetUserRequest.newBuilder().setId(id).build()));
        fails(Status.Code.NOT_FOUND, () -> other.updateUser(setRole(id, Role.ROLE_VIEWER)));
        fails(Status.Code.NOT_FOUND, () -> other.deleteUser(DeleteUserRequest.newBuilder().setId(id).build()));
        fails(Status.Code.NOT_FOUND, () -> other.getUser(GetUserRequest.newBuilder()
                .setId(UUID.randomUUID().toString()).build()));
        assertEquals(List.of("owner@other.example"), other.listUsers(ListUsersRequest.getDefaultInstance())
                .getUsersList().stream().map(User::getEmail).toList());
        assertEquals(ann, owner.getUser(GetUserRequest.newBuilder().setId(id).build()));
    }
}
