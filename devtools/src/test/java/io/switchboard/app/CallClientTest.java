package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.GetCallRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./switchboard call} as a user runs it, in a JVM of its own, when the server goes away mid-call: the
 * connection is reset under it (a proxy in between drops both sides with RST). It must say what happened and
 * what the platform keeps, with no stack trace, and the platform must keep what it says.
 */
class CallClientTest {

    private static final Path SPEECH =
            Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static String acme;

    @BeforeAll
    static void start() throws Exception {
        // After the reset the server hears nothing more of the call and ends it once it has been silent for
        // calls.idle-timeout (the log shows no earlier end): 5 s rather than the default 30 s, still far above any
        // gap in the client's real-time audio.
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "calls.idle-timeout", "PT5S"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
        acme = TestStacks.organization(channel, stack.operatorKey(), "Acme", "growth");
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void aConnectionResetMidCallIsExplainedWithoutAStackTraceAndTheCallIsKept() throws Exception {
        try (ResettingProxy proxy = ResettingProxy.to(stack.grpcPort())) {
            Path out = Files.createTempFile(home, "call-", ".out");
            Path err = Files.createTempFile(home, "call-", ".err");
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "call",
                    "--target", "127.0.0.1:" + proxy.port(), SPEECH.toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("SWITCHBOARD_API_KEY", acme);
            Process p = pb.start();
            try {
                String callId = awaitAccepted(p, out);
                Thread.sleep(1500); // some audio on its way, as in any call cut short
                proxy.reset();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the client gave up on the lost call");
                String stderr = Files.readString(err);
                assertEquals(1, p.exitValue(), stderr);
                assertFalse(stderr.contains("\tat ") || stderr.contains("Exception"), "no stack trace:\n" + stderr);
                assertTrue(stderr.contains("call " + callId + " lost"), stderr);
                assertTrue(stderr.contains("the server went away (UNAVAILABLE"), stderr);
                assertTrue(stderr.contains("What the platform keeps of it"), stderr);
                assertTrue(stderr.contains("./switchboard calls get " + callId), stderr);

                // and the platform keeps what the client said it would: a FAILED call with its audio, processed
                var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(acme));
                Call c = calls.getCall(GetCallRequest.newBuilder().setId(callId).build());
                for (int i = 0; i < 600 && !c.hasRecording(); i++) {
                    Thread.sleep(100);
                    c = calls.getCall(GetCallRequest.newBuilder().setId(callId).build());
                }
                assertEquals(Call.State.STATE_FAILED, c.getState());
                assertTrue(c.hasRecording(), "the audio received before the reset is recorded");
                assertTrue(c.getRecording().getSizeBytes() > 44, "with audio in it");
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void noServerAtTheTargetIsSaidInOneLine() throws Exception {
        int nobody = TestStacks.freePort();
        Path err = Files.createTempFile(home, "call-", ".err");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "call",
                "--target", "127.0.0.1:" + nobody, SPEECH.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile());
        pb.environment().put("SWITCHBOARD_API_KEY", acme);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String stderr = Files.readString(err);
        assertEquals(1, p.exitValue(), stderr);
        assertFalse(stderr.contains("\tat ") || stderr.contains("Exception"), "no stack trace:\n" + stderr);
        assertTrue(stderr.contains("no call was made: the server at 127.0.0.1:" + nobody + " cannot be reached"), stderr);
    }

    private static String awaitAccepted(Process p, Path out) throws Exception {
        Pattern accepted = Pattern.compile("call (\\S+) accepted");
        for (int i = 0; i < 1200; i++) {
            Matcher m = accepted.matcher(Files.readString(out));
            if (m.find()) {
                return m.group(1);
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the call was never accepted: " + Files.readString(out));
    }

    /** A TCP proxy to the API whose connections can be reset (RST both ways), like a server that went away. */
    static final class ResettingProxy implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        private ResettingProxy(ServerSocket listener, int upstream) {
            this.listener = listener;
            Thread.ofVirtual().start(() -> {
                while (!listener.isClosed()) {
                    try {
                        Socket client = listener.accept();
                        Socket server = new Socket();
                        server.connect(new InetSocketAddress("127.0.0.1", upstream));
                        sockets.addAll(List.of(client, server));
                        pump(client, server);
                        pump(server, client);
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
        }

        static ResettingProxy to(int upstream) throws IOException {
            return new ResettingProxy(new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress()), upstream);
        }

        int port() {
            return listener.getLocalPort();
        }

        private static void pump(Socket from, Socket to) {
            Thread.ofVirtual().start(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // reset or closed: the other pump sees it too
                }
            });
        }

        /** Drops every connection with a TCP reset and takes no new ones. */
        void reset() throws IOException {
            listener.close();
            for (Socket s : new ArrayList<>(sockets)) {
                if (!s.isClosed()) {
                    s.setSoLinger(true, 0);
                    s.close();
                }
            }
        }

        @Override
        public void close() throws IOException {
            reset();
        }
    }
}
