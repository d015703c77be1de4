package io.switchboard.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.devtools.DevStack;
import io.switchboard.migrations.Migrations;
import io.switchboard.sdk.ApiKeyCredentials;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** The dev stack as the end-to-end tests start it: its own data directory and free ports, plus their settings. */
final class TestStacks {

    /** {@link #migratedCluster()}'s directory, made by the first stack of this JVM. */
    private static Path migratedCluster;

    private TestStacks() {
    }

    /**
     * Starts a stack; when a port {@link #freePort} chose was taken before the stack could bind it (the other test
     * JVM, or anything on the machine, between the check and the bind), tries again on new ports.
     */
    static DevStack start(Path home, Map<String, String> settings) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(home, settings);
            } catch (Ports.InUse e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static DevStack startOnce(Path home, Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(Map.of(
                "dev.home", home.toString(),
                "dev.postgres-port", Integer.toString(freePort()),
                "dev.s3-port", Integer.toString(freePort()),
                "server.port", "0"));
        all.put("dev.softphone.demo-callees", "false"); // the tests script their callees; unscripted ones read the recording
        all.putAll(settings);
        Path data = Path.of(all.get("dev.home")).resolve("postgres");
        if (!Files.isDirectory(data) || isEmpty(data)) {
            copy(migratedCluster(), data);
        }
        return DevStack.start(Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(all))
                .addSource(ConfigSources.classpath("switchboard-defaults.yaml"))
                .build());
    }

    /** A new organisation on {@code plan}, created with the operator key; returns its owner's key. */
    static String organization(ManagedChannel channel, String operatorKey, String name, String plan) {
        return OrganizationServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(operatorKey))
                .createOrganization(CreateOrganizationRequest.newBuilder().setName(name).setPlanId(plan)
                        .setOwnerEmail("ops@" + name.toLowerCase(java.util.Locale.ROOT) + ".example").build())
                .getOwnerApiKey().getSecret();
    }

    /** Closes what a test class started, either of them possibly never started. */
    static void stop(ManagedChannel channel, DevStack stack) throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
    }

    /**
     * A PostgreSQL data directory, initialised and migrated to the current schema once per test JVM, that each
     * stack's PostgreSQL starts from a copy of: initdb and the migrations cost seconds per stack, and the
     * end-to-end tests start about twenty. Starting from an empty directory (initdb, every migration from scratch)
     * stays covered by the tests that start {@code dev} themselves: AppSmokeTest, DevShutdownTest,
     * EnvironmentConfigurationTest's dev runs and ClusterTest's migrate Job.
     */
    private static synchronized Path migratedCluster() throws IOException {
        if (migratedCluster == null) {
            Path root = Files.createTempDirectory("switchboard-test-cluster");
            Path data = Files.createDirectories(root.resolve("postgres"));
            // as EmbeddedServices starts it, so the copies start the same way
            try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false)
                    .setPort(freePort()).start()) {
                Migrations.migrate(pg.getPostgresDatabase());
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root)));
            migratedCluster = data;
        }
        return migratedCluster;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Copies a stopped cluster's directory, permissions included (PostgreSQL refuses a data directory others can read). */
    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p) && Files.isDirectory(target)) {
                    Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(p));
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void delete(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // the JVM is exiting; the directory is under the temporary directory
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }
}
