package io.switchboard.server.grpc;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.detail;
import static io.switchboard.server.GrpcAssertions.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import com.google.rpc.RetryInfo;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.switchboard.plans.PlanOverrides;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.tenancy.Role;
import io.switchboard.v1.ListPlansRequest;
import io.switchboard.v1.ListUsersRequest;
import io.switchboard.v1.PlanServiceGrpc;
import io.switchboard.v1.UserServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every API call passes through: authentication, per-key rate limits, and the open health/reflection. */
class ApiInterceptorTest {

    private ApiHarness api;
    private Fixtures.Tenant acme;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "growth");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private UserServiceGrpc.UserServiceBlockingStub users(CallCredentials credentials) {
        return UserServiceGrpc.newBlockingStub(api.channel).withCallCredentials(credentials);
    }

    private static CallCredentials header(String value) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata m = new Metadata();
                m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), value);
                applier.apply(m);
            }
        };
    }

    @Test
    void callWithoutAuthorizationIsUnauthenticated() {
        var e = fails(Status.Code.UNAUTHENTICATED, () ->
                UserServiceGrpc.newBlockingStub(api.channel).listUsers(ListUsersRequest.getDefaultInstance()));
        assertTrue(e.getStatus().getDescription().contains("Bearer"), e.getStatus().toString());
    }

    @Test
    void authorizationThatIsNotABearerKeyIsUnauthenticated() {
        for (String h : List.of("Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "Bearer " + acme.ownerKey() + "x",
                acme.ownerKey())) {
            fails(Status.Code.UNAUTHENTICATED, () -> users(header(h)).listUsers(ListUsersRequest.getDefaultInstance()));
        }
    }

    @Test
    void refusedCallsDoNotBreakOtherCallsOnTheSameConnection() throws Exception {
        // Regression: refusing a call while its request frames were still arriving made the server
        // answer with a connection-level GOAWAY, failing unrelated calls sharing the HTTP/2 connection.
        List<CompletableFuture<Status.Code>> results = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 200; i++) {
                boolean good = i % 4 == 0;
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        users(good ? bearer(acme.ownerKey()) : header("Bearer nope"))
                                .listUsers(ListUsersRequest.getDefaultInstance());
                        return Status.Code.OK;
                    } catch (io.grpc.StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }, pool));
            }
        }
        for (int i = 0; i < results.size(); i++) {
            assertEquals(i % 4 == 0 ? Status.Code.OK : Status.Code.UNAUTHENTICATED, results.get(i).get(30, TimeUnit.SECONDS),
                    "call " + i);
        }
    }

    @Test
    void wellFormedButUnknownKeyIsUnauthenticated() {
        String unknown = "sb_" + "a".repeat(10) + "_" + "b".repeat(52);
        fails(Status.Code.UNAUTHENTICATED, () -> users(bearer(unknown)).listUsers(ListUsersRequest.getDefaultInstance()));
        String prefixOfARealKey = acme.ownerKey().substring(0, 14) + "c".repeat(52);
        fails(Status.Code.UNAUTHENTICATED, () ->
                users(bearer(prefixOfARealKey)).listUsers(ListUsersRequest.getDefaultInstance()));
    }

    @Test
    void bearerSchemeIsCaseInsensitive() {
        assertEquals(1, users(header("bearer " + acme.ownerKey())).listUsers(ListUsersRequest.getDefaultInstance())
                .getUsersCount());
    }

    @Test
    void healthCheckAnswersServingWithoutCredentials() {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(api.channel).check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
    }

    @Test
    void reflectionListsTheSwitchboardServicesWithoutCredentials() throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(api.channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.completeExceptionally(new AssertionError("no reflection response"));
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList();
        requests.onCompleted();
        assertTrue(services.containsAll(List.of("switchboard.v1.AgentService", "switchboard.v1.OrganizationService",
                "switchboard.v1.UserService", "switchboard.v1.ApiKeyService", "switchboard.v1.PlanService")),
                services.toString());
    }

    @Test
    void burstPlusOneRapidCallsIsResourceExhaustedWithRetryInfoAndOtherKeysKeepTheirOwnBucket() {
        Fixtures.Tenant big = api.fixtures.tenant("Big", "enterprise");
        // overrides first: the limiter caches an organisation's limits for 10 s from its first call
        api.fixtures.plane.plans().setOverrides(api.fixtures.operator(), big.created().organization().id().toString(),
                new PlanOverrides.Input(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                        OptionalDouble.of(0.1), OptionalInt.of(2), List.of()));
        String second = api.fixtures.plane.apiKeys().create(big.owner(), "second", Role.VIEWER, "", Optional.empty())
                .secret();
        var plans = PlanServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(big.ownerKey()));
        plans.listPlans(ListPlansRequest.getDefaultInstance());
        plans.listPlans(ListPlansRequest.getDefaultInstance());
        var e = fails(Status.Code.RESOURCE_EXHAUSTED, () -> plans.listPlans(ListPlansRequest.getDefaultInstance()));
        RetryInfo retry = detail(e, RetryInfo.class).orElseThrow(() -> new AssertionError("no RetryInfo: " + e));
        long delayMillis = retry.getRetryDelay().getSeconds() * 1000 + retry.getRetryDelay().getNanos() / 1_000_000;
        assertTrue(delayMillis > 0 && delayMillis <= 10_000, "retry delay " + retry.getRetryDelay());

        var other = PlanServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(second));
        other.listPlans(ListPlansRequest.getDefaultInstance());
        other.listPlans(ListPlansRequest.getDefaultInstance());
        fails(Status.Code.RESOURCE_EXHAUSTED, () -> other.listPlans(ListPlansRequest.getDefaultInstance()));
        assertEquals(3, PlanServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .listPlans(ListPlansRequest.getDefaultInstance()).getPlansCount(), "other organisations are unaffected");
    }
}
