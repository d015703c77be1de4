package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevMain;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.GetCallRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./switchboard dev} stopped the way a user stops it, in a JVM of its own: Ctrl-C (SIGINT) while a call
 * streams, and SIGTERM. The one shutdown hook stops things in order (no new calls, live calls hung up and
 * stored, workers, then PostgreSQL and the object store), so stderr shows no stack trace and nothing is lost:
 * a second start on the same data directory has the call, ended, with its audio, and processes it.
 */
class DevShutdownTest {

    @TempDir
    Path home;

    /** One {@code Main dev} process on its own ports and data directory. */
    private final class Dev implements AutoCloseable {
        final Process process;
        final Path out;
        final Path err;
        final int port;

        Dev(int port, int postgresPort, int s3Port, String name) throws IOException {
            this.port = port;
            out = home.resolve(name + ".out");
            err = home.resolve(name + ".err");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-Ddev.home=" + home.resolve("data"), "-Dserver.port=" + port,
                    "-Ddev.postgres-port=" + postgresPort, "-Ddev.s3-port=" + s3Port,
                    "-Ddev.softphone.enabled=false",
                    "-cp", System.getProperty("java.class.path"), DevMain.class.getName(), "dev"));
            process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        }

        void awaitStarted() throws Exception {
            for (int i = 0; i < 3000; i++) {
                if (Files.readString(out).contains("Ctrl-C stops everything")) {
                    return;
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("dev did not start:\n" + tail(err));
        }

        /** Sends {@code signal} and waits for the process to end; returns its stderr. */
        String stop(String signal) throws Exception {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                // what it is stuck on, for whoever reads the failure
                Path dump = err.resolveSibling("threads-" + process.pid() + ".txt");
                new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(process.pid()), "Thread.print").redirectErrorStream(true)
                        .redirectOutput(dump.toFile()).start().waitFor(30, TimeUnit.SECONDS);
                String threads = Files.readString(dump);
                throw new AssertionError("dev did not stop within 120 s of SIG" + signal + "; its threads:\n"
                        + threads.substring(0, Math.min(threads.length(), 60_000)) + "\nits stderr:\n" + tail(err));
            }
            return Files.readString(err);
        }

        @Override
        public void close() {
            try {
                process.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until the server's metrics say its live calls received {@code bytes} of audio. */
    private static void awaitReceived(int port, long bytes) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/metrics"))
                .header("Accept", "text/plain").build();
        long received = -1;
        String body = "";
        for (int i = 0; i < 600 && received < bytes; i++) {
            body = http.send(metrics, HttpResponse.BodyHandlers.ofString()).body();
            received = body.lines()
                    .filter(l -> l.startsWith("switchboard_live_audio_received_bytes"))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .findFirst().orElse(-1);
            if (received < bytes) {
                Thread.sleep(50);
            }
        }
        assertEquals(bytes, received, "audio the server received before the stop, by its metrics:\n" + body);
    }

    private static String tail(Path p) throws IOException {
        String s = Files.readString(p);
        return s.length() > 4000 ? "…" + s.substring(s.length() - 4000) : s;
    }

    private static void assertNoStackTrace(String stderr, String when) {
        assertFalse(stderr.contains("\tat ") || stderr.contains("Exception in thread"),
                "a stack trace on stderr after " + when + ":\n" + stderr);
    }

    /**
     * Whether this JVM (and so the dev it starts) was started with SIGINT ignored, as a shell without job control
     * starts a background command ({@code nohup ./.ci/run &}): the JVM then installs no handler for it, and Ctrl-C
     * cannot be tested here (a terminal's Ctrl-C reaches a foreground process, whose SIGINT is not ignored).
     */
    private static boolean sigintIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("SigIgn:"))
                .map(l -> Long.parseUnsignedLong(l.substring("SigIgn:".length()).strip(), 16))
                .anyMatch(mask -> (mask & (1L << (2 - 1))) != 0); // SIGINT is signal 2
    }

    @Test
    void ctrlCWhileACallStreamsPrintsNoStackTraceAndLosesNothing() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored(), "SIGINT is ignored in this process "
                + "(started in the background by a shell without job control), so dev would not hear Ctrl-C either");
        int port = TestStacks.freePort();
        int pg = TestStacks.freePort();
        int s3 = TestStacks.freePort();
        String callId;
        long sent;
        try (Dev dev = new Dev(port, pg, s3, "first")) {
            dev.awaitStarted();
            String key = Files.readString(home.resolve("data").resolve("bootstrap-key")).strip();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                        .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("A")
                                .setLanguage("en-US")).build()).getId();
                ToneCall call = new ToneCall(CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key)),
                        agent);
                callId = call.accepted.get(60, TimeUnit.SECONDS).getId();
                call.seconds(7); // more than a 5-second segment: some audio is only in the server's buffer
                sent = call.sent;
                awaitReceived(port, sent); // in the server, not in flight: what a stop must keep

                String stderr = dev.stop("INT");

                Call ended = call.ended.get(10, TimeUnit.SECONDS);
                assertTrue(ended.getEndReason().contains("shutting down"), "the caller heard the call end: " + ended);
                assertEquals(0, dev.process.exitValue(), stderr);
                assertNoStackTrace(stderr, "Ctrl-C");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }

        try (Dev again = new Dev(port, pg, s3, "second")) {
            again.awaitStarted();
            String key = Files.readString(home.resolve("data").resolve("bootstrap-key")).strip();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
                Call stored = calls.getCall(GetCallRequest.newBuilder().setId(callId).build());
                assertEquals(Call.State.STATE_ENDED, stored.getState(), "ended and stored before the stop: " + stored);
                Call processed = TestCalls.awaitRecording(calls, callId);
                assertEquals(44 + sent, processed.getRecording().getSizeBytes(),
                        "the audio still buffered at Ctrl-C was stored too");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            String stderr = again.stop("TERM");
            assertEquals(0, again.process.exitValue(), stderr);
            assertNoStackTrace(stderr, "SIGTERM");
        }
    }
}
