package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.rpc.BadRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.switchboard.devtools.DevStack;
import io.switchboard.audio.Wav;
import io.switchboard.sdk.SingleResponse;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallEvent;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.GetAgentRequest;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.v1.UploadRecordingRequest;
import io.switchboard.v1.WatchCallRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clients of three gRPC stacks against the dev stack, over plaintext HTTP/2 and over the server's own TLS (a CA this
 * test makes): Python's grpcio (gRPC C-core, the stack Python, C++, Ruby and PHP clients share), Node's
 * {@code @grpc/grpc-js}, and grpc-java on Netty. Each makes a unary call, a bidirectional {@code StreamCall} with real
 * speech in real time, a server-streaming {@code WatchCall} of that live call, a client-streaming
 * {@code UploadRecording}, and a refused call whose {@code google.rpc.BadRequest} it decodes; what each saw is checked
 * against what the server stored. A client that cannot connect fails here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InteropTest {

    private static final Path SPEECH =
            Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav");
    private static final Path INTEROP = Path.of("src/test/interop").toAbsolutePath();
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(2);

    @TempDir
    static Path dir;

    private final Map<String, Stack> stacks = new LinkedHashMap<>();
    private Path pythonStubs;
    private Path ca;

    /** One dev stack, an organisation in it with an agent, and a Java channel to it. */
    private record Stack(DevStack dev, ManagedChannel channel, String key, String agentId, String target,
                         Optional<Path> ca) {
    }

    @BeforeAll
    void start() throws Exception {
        assertTrue(Files.isReadable(SPEECH), SPEECH + " is missing: ./switchboard setup installs pocketsphinx-testdata");
        pythonStubs = generatePythonStubs();
        installNodeClient();
        Path tls = Files.createDirectories(dir.resolve("tls"));
        ca = makeCertificates(tls);
        stacks.put("plaintext", stack("plaintext", Map.of(), Optional.empty()));
        stacks.put("tls", stack("tls", Map.of(
                "server.tls.certificate-file", tls.resolve("server.pem").toString(),
                "server.tls.private-key-file", tls.resolve("server.key").toString()), Optional.of(ca)));
    }

    @AfterAll
    void stop() throws InterruptedException {
        for (Stack s : stacks.values()) {
            TestStacks.stop(s.channel(), s.dev());
        }
    }

    Stream<Arguments> clients() {
        // -Dinterop.clients=python,node picks some of them
        return Arrays.stream(System.getProperty("interop.clients", "python,node,java").split(",")).flatMap(client ->
                Stream.of("plaintext", "tls").map(transport -> Arguments.of(client, transport)));
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("clients")
    void everyKindOfCallWorksFromTheClient(String client, String transport) throws Exception {
        Stack stack = stacks.get(transport);
        JsonNode seen = switch (client) {
            case "python" -> run(List.of("/usr/bin/python3", INTEROP.resolve("python/interop_client.py").toString(),
                    "--stubs", pythonStubs.toString()), stack);
            case "node" -> run(List.of("node", INTEROP.resolve("node/interop_client.js").toString(), "--protos",
                    String.join(",", REPO.resolve("proto/src/main/proto").toString(),
                            REPO.resolve("console/proto").toString(), INTEROP.resolve("proto").toString())), stack);
            case "java" -> new ObjectMapper().valueToTree(javaClient(stack));
            default -> throw new IllegalArgumentException(client);
        };

        assertEquals(stack.agentId(), seen.path("unary_agent_id").asText(), "unary GetAgent: " + seen);

        List<String> streamed = texts(seen.path("stream_finals"));
        assertFalse(streamed.isEmpty(), "StreamCall gave no final transcript: " + seen);
        assertTrue(streamed.stream().anyMatch(t -> !t.isBlank()), "StreamCall's transcript is empty: " + seen);
        assertEquals("hangup", seen.path("ended_reason").asText(), "StreamCall did not end as the client ended it");
        assertEquals(streamed, texts(seen.path("watch_finals")), "WatchCall saw other finals than the caller");
        assertTrue(seen.path("watch_ended").asBoolean(), "WatchCall did not see the call end: " + seen);

        var calls = CallServiceGrpc.newBlockingStub(stack.channel()).withCallCredentials(TestStacks.bearer(stack.key()));
        Call live = calls.getCall(GetCallRequest.newBuilder().setId(seen.path("call_id").asText()).build());
        assertEquals(stack.agentId(), live.getAgentId());
        Call uploaded = calls.getCall(GetCallRequest.newBuilder().setId(seen.path("upload_call_id").asText()).build());
        assertEquals(stack.agentId(), uploaded.getAgentId());
        assertEquals(OpenCall.Direction.DIRECTION_OUTBOUND, uploaded.getDirection());

        JsonNode refusal = seen.path("refusal");
        assertEquals("INVALID_ARGUMENT", refusal.path("code").asText(), "the refused call: " + seen);
        List<String> fields = new ArrayList<>();
        refusal.path("violations").forEach(v -> fields.add(v.path("field").asText()));
        assertTrue(fields.contains("agent.name"), "google.rpc.BadRequest should name agent.name: " + refusal);
    }

    /** README's Python section, run as written: its stub generation (but the apt-get line), then live_call.py. */
    @org.junit.jupiter.api.Test
    void readmePythonExampleStreamsAWavAsALiveCall() throws Exception {
        String readme = Files.readString(REPO.resolve("README.md"));
        String section = readme.substring(readme.indexOf("### Python"));
        section = section.substring(0, section.indexOf("\n## "));
        List<String> blocks = fencedBlocks(section);
        assertEquals(2, blocks.size(), "README's Python section: a bash block and a python block");
        Path work = Files.createDirectories(dir.resolve("readme-python"));
        Files.createSymbolicLink(work.resolve("proto"), REPO.resolve("proto"));
        String generate = blocks.get(0).lines().filter(l -> !l.startsWith("sudo ")).reduce("", (a, b) -> a + b + "\n");
        exec(List.of("bash", "-euc", generate), work, "README's stub generation");
        Files.writeString(work.resolve("live_call.py"), blocks.get(1));
        Stack stack = stacks.get("plaintext");
        ProcessBuilder python = new ProcessBuilder("/usr/bin/python3", "live_call.py", stack.agentId(),
                SPEECH.toString()).directory(work.toFile()).redirectErrorStream(true);
        python.environment().put("SWITCHBOARD_API_KEY", stack.key());
        python.environment().put("SWITCHBOARD_TARGET", stack.target());
        Process p = python.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("call ")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("[unknown] ") && l.length() > "[unknown] ".length()), out);
        assertTrue(out.contains("ended: hangup"), out);
    }

    private static List<String> fencedBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        int at = 0;
        while ((at = markdown.indexOf("```", at)) >= 0) {
            int body = markdown.indexOf('\n', at) + 1;
            int end = markdown.indexOf("\n```", body);
            blocks.add(markdown.substring(body, end + 1));
            at = end + 4;
        }
        return blocks;
    }

    private JsonNode run(List<String> command, Stack stack) throws Exception {
        List<String> all = new ArrayList<>(command);
        all.addAll(List.of("--target", stack.target(), "--key", stack.key(), "--agent", stack.agentId(),
                "--wav", SPEECH.toString()));
        stack.ca().ifPresent(c -> all.addAll(List.of("--ca", c.toString())));
        Path err = Files.createTempFile(dir, "client", ".err");
        Path out = Files.createTempFile(dir, "client", ".out");
        // to files, not read by a pool thread: a blocked common ForkJoinPool (one thread on two cores) stalls the
        // MinIO client's uploads, and with them the live call the client is making
        Process p = new ProcessBuilder(all).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        if (!p.waitFor(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command.get(0) + " client did not finish in " + CLIENT_TIMEOUT + ": " + Files.readString(err));
        }
        String stdout = Files.readString(out);
        assertEquals(0, p.exitValue(), command.get(0) + " client failed: " + Files.readString(err) + stdout);
        return new ObjectMapper().readTree(stdout.strip().lines().reduce((a, b) -> b).orElse("{}"));
    }

    /** The same calls from grpc-java over Netty, reported as the other clients report them. */
    private static Map<String, Object> javaClient(Stack stack) throws Exception {
        ChannelCredentials credentials = stack.ca().isPresent()
                ? TlsChannelCredentials.newBuilder().trustManager(stack.ca().get().toFile()).build()
                : InsecureChannelCredentials.create();
        ManagedChannel channel = Grpc.newChannelBuilder(stack.target(), credentials).build();
        try {
            var bearer = TestStacks.bearer(stack.key());
            Map<String, Object> result = new LinkedHashMap<>();
            var agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer)
                    .withDeadlineAfter(20, TimeUnit.SECONDS);
            result.put("unary_agent_id", agents.getAgent(GetAgentRequest.newBuilder().setId(stack.agentId()).build())
                    .getId());

            byte[] wav = Files.readAllBytes(SPEECH);
            Wav.Header header = Wav.parse(wav, wav.length).orElseThrow();
            byte[] pcm = Arrays.copyOfRange(wav, header.headerLength(), header.headerLength() + (int) header.dataLength());
            var calls = CallServiceGrpc.newStub(channel).withCallCredentials(bearer);
            List<String> streamFinals = new ArrayList<>();
            List<String> watchFinals = new ArrayList<>();
            boolean[] watchEnded = {false};
            CompletableFuture<String> accepted = new CompletableFuture<>();
            CompletableFuture<Void> streamDone = new CompletableFuture<>();
            CompletableFuture<Void> watchDone = new CompletableFuture<>();
            StreamObserver<StreamCallRequest> in = calls.withDeadlineAfter(2, TimeUnit.MINUTES)
                    .streamCall(new StreamObserver<>() {
                        @Override
                        public void onNext(StreamCallResponse r) {
                            switch (r.getPayloadCase()) {
                                case ACCEPTED -> accepted.complete(r.getAccepted().getId());
                                case TRANSCRIPT -> {
                                    if (r.getTranscript().getIsFinal()) {
                                        streamFinals.add(r.getTranscript().getText());
                                    }
                                }
                                case ENDED -> result.put("ended_reason", r.getEnded().getEndReason());
                                default -> { }
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            streamDone.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            streamDone.complete(null);
                        }
                    });
            in.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(stack.agentId())
                    .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFromNumber("+14155550123")
                    .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_PCM16)
                            .setSampleRate(16_000).setChannels(1).setContainer(AudioFormat.Container.CONTAINER_RAW)))
                    .build());
            String callId = accepted.get(20, TimeUnit.SECONDS);
            result.put("call_id", callId);
            calls.withDeadlineAfter(2, TimeUnit.MINUTES).watchCall(WatchCallRequest.newBuilder().setId(callId).build(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(CallEvent e) {
                            if (e.hasTranscript() && e.getTranscript().getIsFinal()) {
                                watchFinals.add(e.getTranscript().getText());
                            }
                            if (e.hasEnded()) {
                                watchEnded[0] = true;
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            watchDone.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            watchDone.complete(null);
                        }
                    });
            Thread.sleep(500); // as the other clients: the watch is open on the server before the first word
            int frame = 16_000 / 50 * 2;
            long start = System.nanoTime();
            for (int i = 0, n = 0; i < pcm.length; i += frame, n++) {
                in.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(pcm, i,
                        Math.min(frame, pcm.length - i))).build());
                long wait = start + (n + 1) * 20_000_000L - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(Duration.ofNanos(wait));
                }
            }
            in.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
            in.onCompleted();
            streamDone.get(2, TimeUnit.MINUTES);
            watchDone.get(1, TimeUnit.MINUTES);
            result.put("stream_finals", streamFinals);
            result.put("watch_finals", watchFinals);
            result.put("watch_ended", watchEnded[0]);

            SingleResponse<Call> upload = new SingleResponse<>();
            StreamObserver<UploadRecordingRequest> up = calls.uploadRecording(upload);
            up.onNext(UploadRecordingRequest.newBuilder().setOpen(TestCalls.wav16k(stack.agentId())).build());
            for (int i = 0; i < wav.length; i += 32 * 1024) {
                up.onNext(UploadRecordingRequest.newBuilder()
                        .setChunk(ByteString.copyFrom(wav, i, Math.min(32 * 1024, wav.length - i))).build());
            }
            up.onCompleted();
            result.put("upload_call_id", upload.future().get(60, TimeUnit.SECONDS).getId());

            try {
                agents.createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.getDefaultInstance()).build());
                result.put("refusal", null);
            } catch (StatusRuntimeException e) {
                List<Map<String, String>> violations = new ArrayList<>();
                var status = StatusProto.fromThrowable(e);
                assertNotNull(status, "no grpc-status-details-bin on the refusal");
                for (var any : status.getDetailsList()) {
                    if (any.is(BadRequest.class)) {
                        any.unpack(BadRequest.class).getFieldViolationsList().forEach(v -> violations.add(
                                Map.of("field", v.getField(), "description", v.getDescription())));
                    }
                }
                result.put("refusal", Map.of("code", e.getStatus().getCode().name(), "violations", violations));
            }
            return result;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private Stack stack(String name, Map<String, String> settings, Optional<Path> caFile) throws Exception {
        DevStack dev = TestStacks.start(Files.createDirectories(dir.resolve(name)), settings);
        ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + dev.grpcPort(), caFile.isPresent()
                ? TlsChannelCredentials.newBuilder().trustManager(caFile.get().toFile()).build()
                : InsecureChannelCredentials.create()).build();
        String key = TestStacks.organization(channel, dev.operatorKey(), "Interop" + name, "growth");
        String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Interop")
                        .setLanguage("en-US")).build()).getId();
        return new Stack(dev, channel, key, agent, "localhost:" + dev.grpcPort(), caFile);
    }

    /** Python modules from proto/ (and the google.rpc declarations) by Debian's protoc and its gRPC plugin. */
    private Path generatePythonStubs() throws Exception {
        Path out = Files.createDirectories(dir.resolve("python-stubs"));
        List<String> command = new ArrayList<>(List.of("protoc",
                "-I", REPO.resolve("proto/src/main/proto").toString(),
                "-I", REPO.resolve("console/proto").toString(),
                "-I", INTEROP.resolve("proto").toString(),
                "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                "--python_out=" + out, "--grpc_python_out=" + out,
                "google/rpc/status.proto", "google/rpc/error_details.proto"));
        try (Stream<Path> protos = Files.list(REPO.resolve("proto/src/main/proto/switchboard/v1"))) {
            protos.map(p -> "switchboard/v1/" + p.getFileName()).sorted().forEach(command::add);
        }
        exec(command, REPO, "protoc (./switchboard setup installs protobuf-compiler and protobuf-compiler-grpc)");
        return out;
    }

    /** The Node client's dependencies, from its lock file, once per checkout. */
    private void installNodeClient() throws Exception {
        Path node = INTEROP.resolve("node");
        if (!Files.isDirectory(node.resolve("node_modules/@grpc/grpc-js"))) {
            exec(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), node, "npm ci");
        }
    }

    /** A CA and a server certificate for localhost and 127.0.0.1 signed by it, made with openssl; the CA's file. */
    private static Path makeCertificates(Path tls) throws Exception {
        exec(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=Switchboard interop test CA"), tls, "openssl");
        exec(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost"), tls, "openssl");
        Files.writeString(tls.resolve("san.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        exec(List.of("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf"), tls, "openssl");
        return tls.resolve("ca.pem");
    }

    private static void exec(List<String> command, Path in, String what) throws Exception {
        Process p = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
            fail(what + " failed: " + out);
        }
    }
}
