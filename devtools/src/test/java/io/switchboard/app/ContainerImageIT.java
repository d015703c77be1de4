package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ListPlansRequest;
import io.switchboard.v1.PlanServiceGrpc;
import io.switchboard.v1.PreviewVoiceRequest;
import io.switchboard.v1.VoicePreview;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image Jib wrote ({@code -Pimage}: app/target/switchboard-image.tar, OCI) is run as a container runtime
 * would run it, without one: its layers unpacked in order into a root filesystem, its configured entrypoint and
 * command executed in that root (own mount and PID namespaces, {@code /proc} and {@code /dev} mounted, the image's
 * user and working directory) with the image's environment plus what {@code deploy/kubernetes} gives a server pod,
 * the key files where the Secret would be mounted. Only the database, the store and the port are this machine's.
 */
class ContainerImageIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    private static DevStack stack;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare")),
                "running an image without a container runtime needs root and util-linux unshare");
        stack = TestStacks.start(work.resolve("stack"), Map.of("dev.worker", "false", "dev.softphone.enabled", "false"));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(null, stack);
    }

    record Image(JsonNode config, List<Path> layers) {
    }

    /** An OCI image layout tarball: index.json → manifest → config and layers. */
    static Image read(Path tarball, Path into) throws Exception {
        run(List.of("/usr/bin/tar", "-xf", tarball.toString(), "-C", into.toString()));
        JsonNode index = JSON.readTree(into.resolve("index.json").toFile());
        JsonNode manifest = JSON.readTree(blob(into, index.get("manifests").get(0).get("digest").asText()).toFile());
        List<Path> layers = new ArrayList<>();
        manifest.get("layers").forEach(l -> layers.add(blob(into, l.get("digest").asText())));
        return new Image(JSON.readTree(blob(into, manifest.get("config").get("digest").asText()).toFile()).get("config"),
                layers);
    }

    private static Path blob(Path layout, String digest) {
        return layout.resolve("blobs").resolve(digest.substring(0, digest.indexOf(':'))).resolve(digest.substring(
                digest.indexOf(':') + 1));
    }

    @Test
    void theImagesEntrypointWithTheManifestsEnvironmentStartsAServerThatServes() throws Exception {
        Path tarball = Path.of(System.getProperty("switchboard.image", "../app/target/switchboard-image.tar"));
        assertTrue(Files.isRegularFile(tarball), "the image was built (-Pimage): " + tarball);
        Path layout = Files.createDirectories(work.resolve("layout"));
        Image image = read(tarball, layout);
        Path root = Files.createDirectories(work.resolve("rootfs"));
        for (Path layer : image.layers()) {
            run(List.of("/usr/bin/tar", "-xzf", layer.toString(), "-C", root.toString()));
        }
        for (String mountPoint : List.of("proc", "dev")) { // as a container runtime creates them
            Files.createDirectories(root.resolve(mountPoint));
        }

        JsonNode config = image.config();
        assertEquals("10001:10001", config.get("User").asText(), "runs as the manifests' runAsUser");
        assertEquals(List.of("server"), strings(config.get("Cmd")), "the default command is the server");
        List<String> entrypoint = strings(config.get("Entrypoint"));
        assertEquals("java", entrypoint.get(0));
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : strings(config.get("Env"))) {
            env.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
        }
        assertTrue(Files.isExecutable(root.resolve("opt/java/bin/java")), "the image carries its Java runtime");
        assertEquals("/opt/java/bin:/usr/bin", env.get("PATH"), "java, and espeak-ng for the espeak voices");

        // the Secret switchboard-keys, mounted where configmap.yaml says, readable by the image's user
        Map<String, String> pod = EnvironmentConfigurationTest.podEnvironment(stack, "server-deployment.yaml");
        Map<String, String> manifests = KubernetesManifests.environment("server-deployment.yaml");
        for (var key : Map.of("AUDIT_SIGNING__KEY__FILE", "audit-signing.key", "ENCRYPTION_MASTER__KEY__FILE",
                "master.key").entrySet()) {
            pod.put(key.getKey(), manifests.get(key.getKey()));
            Path mounted = root.resolve(manifests.get(key.getKey()).substring(1));
            Files.createDirectories(mounted.getParent());
            Files.copy(stack.home().resolve(key.getValue()), mounted);
            Files.setPosixFilePermissions(mounted, PosixFilePermissions.fromString("r--------"));
            Files.setAttribute(mounted, "unix:uid", 10001);
        }
        int port = TestStacks.freePort(); // not 50051: the machine is shared
        pod.put("SERVER_PORT", Integer.toString(port));
        env.putAll(pod);

        // sh -c SCRIPT ROOT WORKDIR ENTRYPOINT... CMD...: mounts in the new namespace, then the image's process
        List<String> command = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--pid", "--fork",
                "--kill-child=SIGTERM", "/usr/bin/sh", "-c",
                "wd=\"$1\"; shift; /usr/bin/mount --rbind /dev \"$0/dev\" && /usr/bin/mount -t proc proc \"$0/proc\" && "
                        + "exec /usr/bin/unshare --root=\"$0\" --wd=\"$wd\" --setuid 10001 --setgid 10001 \"$@\"",
                root.toString(), config.get("WorkingDir").asText()));
        command.addAll(entrypoint);
        command.addAll(strings(config.get("Cmd")));
        try (var server = SwitchboardProcess.start(work.resolve("logs"), env, command, work)) {
            server.awaitOutput(out -> out.contains("listening on 0.0.0.0:" + port));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus(), server.output());
                assertFalse(PlanServiceGrpc.newBlockingStub(channel).withCallCredentials(
                        TestStacks.bearer(stack.operatorKey())).listPlans(ListPlansRequest.getDefaultInstance())
                        .getPlansList().isEmpty());
                // the agents' voices from the image's own libflite and espeak-ng (the conversation loop's Silero
                // model is loaded at start: the server would not be listening without it)
                var voices = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(
                        TestStacks.organization(channel, stack.operatorKey(), "Image", "growth")));
                for (String voice : List.of("flite:slt", "espeak:en-us")) {
                    VoicePreview p = voices.previewVoice(PreviewVoiceRequest.newBuilder().setVoice(voice)
                            .setText("Hello from the image.").build());
                    assertTrue(p.getWav().size() > 8_000, voice + " spoke " + p.getWav().size() + " bytes");
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            // the Deployment's readiness probe; UP includes the speech recogniser, loaded from the image's own
            // libpocketsphinx and model
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/observe/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body() + "\n" + server.output());
            assertTrue(ready.body().contains("pocketsphinx"), ready.body());
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ":\n" + output);
    }
}
