package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevMain;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.EmbeddedServices;
import io.switchboard.storage.ObjectStore;
import io.switchboard.v1.ListPlansRequest;
import io.switchboard.v1.PlanServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production roles started as an operator starts them: a JVM of their own whose only configuration is the
 * environment, rendered from {@code deploy/kubernetes} (issue 15: the manifests' {@code __} names were ignored and a
 * server could not start), and a taken port named by the setting that moves it.
 */
class EnvironmentConfigurationTest {

    @TempDir
    static Path home;
    private static DevStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home.resolve("stack"), Map.of("dev.worker", "false", "dev.softphone.enabled", "false"));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(null, stack);
    }

    /**
     * What a pod of {@code deploymentFile} gets, pointed at the test stack's PostgreSQL and S3 store and key files:
     * only addresses and the Secret's placeholders are replaced; every other value is the manifests' own.
     */
    static Map<String, String> podEnvironment(DevStack stack, String deploymentFile) throws Exception {
        Map<String, String> env = new LinkedHashMap<>(KubernetesManifests.environment(deploymentFile));
        env.put("DB_URL", stack.embedded().jdbcUrl());
        env.put("DB_USER", "postgres");
        env.put("DB_PASSWORD", "postgres");
        env.put("S3_ENDPOINT", stack.embedded().s3Endpoint());
        env.put("S3_ACCESS__KEY", EmbeddedServices.S3_ACCESS_KEY);
        env.put("S3_SECRET__KEY", EmbeddedServices.S3_SECRET_KEY);
        env.put("AUDIT_SIGNING__KEY__FILE", stack.home().resolve("audit-signing.key").toString());
        env.put("ENCRYPTION_MASTER__KEY__FILE", stack.home().resolve("master.key").toString());
        env.put("TRACING_OTLP_ENDPOINT", ""); // no collector here
        env.put("TRANSCRIPTION_POOL__SIZE", "1"); // the test machine's cores are shared
        return env;
    }

    @Test
    void aServerConfiguredAsTheManifestsSayStartsServesAndNamesItsTakenPort() throws Exception {
        Map<String, String> env = podEnvironment(stack, "server-deployment.yaml");
        for (String documented : List.of("DB_POOL__SIZE", "S3_SERVER__SIDE__ENCRYPTION", "AUDIT_SIGNING__KEY__FILE",
                "ENCRYPTION_MASTER__KEY__FILE", "TELEPHONY_PUBLIC__URL", "S3_ACCESS__KEY", "S3_SECRET__KEY")) {
            assertTrue(env.containsKey(documented), "the manifests set " + documented);
        }
        int port = TestStacks.freePort();
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("SERVER_HOST", "127.0.0.1");
        env.put("S3_BUCKET", "from-the-environment");
        env.put("SERVER_GRPC__WEB_CORS_ALLOWED__ORIGINS", "https://console.example.com, https://ops.example.com");
        try (var server = SwitchboardProcess.main(home.resolve("server-logs"), env, "server")) {
            server.awaitOutput(out -> out.contains("listening on 127.0.0.1:" + port));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus());
                assertFalse(PlanServiceGrpc.newBlockingStub(channel).withCallCredentials(
                        TestStacks.bearer(stack.operatorKey())).listPlans(ListPlansRequest.getDefaultInstance())
                        .getPlansList().isEmpty(), "the stack's operator key works: same database, same keys");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertTrue(new ObjectStore(stack.embedded().s3Endpoint(), EmbeddedServices.S3_ACCESS_KEY,
                    EmbeddedServices.S3_SECRET_KEY, "us-east-1", "from-the-environment").reachable(),
                    "S3_BUCKET named the bucket the server created");
            assertEquals("https://ops.example.com", preflight(port, "https://ops.example.com"),
                    "the second origin of SERVER_GRPC__WEB_CORS_ALLOWED__ORIGINS may call with grpc-web");
            assertEquals("", preflight(port, "https://elsewhere.example.com"));

            try (var second = SwitchboardProcess.main(home.resolve("server-logs"), env, "server")) {
                assertRefusedNaming(second, "server.port", "SERVER_PORT", port);
            }
        }
    }

    @Test
    void aWorkerConfiguredAsTheManifestsSayServesHealthAndNamesItsTakenPort() throws Exception {
        Map<String, String> env = podEnvironment(stack, "worker-deployment.yaml");
        assertEquals("2", env.get("WORKER_CONCURRENCY"), "the worker Deployment's own env is read too");
        int port = TestStacks.freePort();
        env.put("WORKER_OBSERVE__PORT", Integer.toString(port));
        env.put("WORKER_OBSERVE__HOST", "127.0.0.1");
        try (var worker = SwitchboardProcess.main(home.resolve("worker-logs"), env, "worker")) {
            worker.awaitOutput(out -> out.contains("health and metrics on port " + port));
            assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/observe/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), worker.output());
            try (var second = SwitchboardProcess.main(home.resolve("worker-logs"), env, "worker")) {
                assertRefusedNaming(second, "worker.observe-port", "WORKER_OBSERVE__PORT", port);
            }
        }
    }

    @Test
    void devTakesItsHomeAndPortsFromTheEnvironmentAndASecondDevNamesEachPortItCannotHave() throws Exception {
        int postgres = TestStacks.freePort();
        int s3 = TestStacks.freePort();
        int api = TestStacks.freePort();
        Map<String, String> first = Map.of("DEV_HOME", home.resolve("dev-1").toString(),
                "DEV_POSTGRES__PORT", Integer.toString(postgres), "DEV_S3__PORT", Integer.toString(s3),
                "SERVER_PORT", Integer.toString(api), "TRANSCRIPTION_POOL__SIZE", "1", "WORKER_CONCURRENCY", "1");
        try (var dev = SwitchboardProcess.start(home.resolve("dev-logs"), first, List.of(), DevMain.class.getName(), "dev")) {
            dev.awaitOutput(out -> out.contains("Ctrl-C stops everything"));
            String banner = dev.stdout();
            assertTrue(banner.contains(home.resolve("dev-1").toString()), banner);
            assertTrue(banner.contains("127.0.0.1:" + api), banner);
            assertTrue(banner.contains(":" + postgres + "/"), banner);
            assertTrue(banner.contains("http://127.0.0.1:" + s3), banner);

            // a second dev run, its own data, one taken port at a time (each other port free)
            Map<String, String> second = new LinkedHashMap<>(Map.of("DEV_HOME", home.resolve("dev-2").toString(),
                    "TRANSCRIPTION_POOL__SIZE", "1", "WORKER_CONCURRENCY", "1"));
            for (var taken : List.of(
                    new Taken("dev.postgres-port", "DEV_POSTGRES__PORT", postgres),
                    new Taken("dev.s3-port", "DEV_S3__PORT", s3),
                    new Taken("server.port", "SERVER_PORT", api),
                    new Taken("dev.softphone.port", "DEV_SOFTPHONE_PORT", api))) {
                int freePostgres = TestStacks.freePort();
                second.put("DEV_POSTGRES__PORT", Integer.toString(freePostgres));
                second.put("DEV_S3__PORT", Integer.toString(TestStacks.freePort()));
                second.put("SERVER_PORT", Integer.toString(TestStacks.freePort()));
                second.put("DEV_SOFTPHONE_PORT", "0");
                second.put(taken.variable(), Integer.toString(taken.port()));
                try (var refused = SwitchboardProcess.start(home.resolve("dev-logs"), second, List.of(),
                        DevMain.class.getName(), "dev")) {
                    assertRefusedNaming(refused, taken.key(), taken.variable(), taken.port());
                }
                if (!taken.key().equals("dev.postgres-port")) {
                    try (ServerSocket again = new ServerSocket(freePostgres)) {
                        assertTrue(again.isBound(), "the refused run stopped its PostgreSQL");
                    }
                }
            }
            assertTrue(dev.isAlive(), "the first dev run is untouched:\n" + dev.output());
        }
    }

    private record Taken(String key, String variable, int port) {
    }

    /** Exit code 2 and, as the last thing written, one line naming the setting; no stack trace. */
    private static void assertRefusedNaming(SwitchboardProcess process, String key, String variable, int port)
            throws InterruptedException {
        assertEquals(2, process.exitCode(), process.output());
        String[] lines = process.stderr().strip().split("\n");
        String last = lines[lines.length - 1];
        assertEquals("switchboard: port " + port + " is already in use, so " + key + " (env " + variable
                + ") cannot listen on it: stop what holds the port, or set " + key + " to another port", last,
                process.output());
        assertTrue(Arrays.stream(lines).noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by")),
                "no stack trace:\n" + process.output());
    }

    /** The Access-Control-Allow-Origin a grpc-web preflight from {@code origin} is answered with ("" for none). */
    private static String preflight(int port, String origin) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/switchboard.v1.PlanService/ListPlans"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("origin", origin)
                .header("access-control-request-method", "POST").build(), HttpResponse.BodyHandlers.discarding())
                .headers().firstValue("access-control-allow-origin").orElse("");
    }
}
