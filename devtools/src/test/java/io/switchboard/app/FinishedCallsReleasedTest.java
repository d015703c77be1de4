package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import javax.management.ObjectName;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A telephony bridge keeps one HTTP/2 connection open for days and makes every call over it: a finished call must
 * leave nothing behind on that connection. The dev stack runs in this JVM, so the objects a call holds on the server
 * are counted in this heap: the class histogram of live objects (taken after a full collection, as
 * {@code jcmd GC.class_histogram} does) before and after many calls over one client connection.
 */
class FinishedCallsReleasedTest {

    /** A leak keeps one of each per call: a hundred calls put it ten times over {@link #BOUND}. */
    private static final int CALLS = 100;
    /** A few calls may still be finishing when the heap is counted; a leak keeps one of each per call. */
    private static final int BOUND = CALLS / 10;
    /**
     * One each per gRPC call: Helidon's HTTP/2 stream, its flow control (which ClientResets also holds while the
     * client's side is open) and its thread, its gRPC handler, our live call and its stream adapter.
     */
    private static final List<String> PER_CALL = List.of("io.helidon.webserver.http2.Http2ServerStream",
            "io.helidon.http.http2.StreamFlowControl", "java.lang.VirtualThread",
            "io.helidon.webserver.grpc.GrpcProtocolHandler", "io.switchboard.live.CallSession", "LiveStream");
    /** Held by this test while it counts: proves the histogram is read. */
    private static final String HELD = "io.switchboard.devtools.DevStack";

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private String agentId;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.worker", "false", "dev.softphone.enabled", "false",
                "transcription.pool-size", "1"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void liveCallsFinishedOverOneConnectionAreNotKeptByIt() throws Exception {
        CallServiceGrpc.CallServiceStub calls = calls("Bridge");
        call(calls, agentId); // the connection and the server warmed up by a first call
        Map<String, Long> before = liveInstances();

        for (int i = 0; i < CALLS; i++) {
            call(calls, agentId);
        }

        assertNotKept(before, liveInstances());
    }

    /**
     * Calls the server ends while the caller's audio is still arriving (the client resets each stream when it hears
     * the end, and sends what it had queued after the reset): what those late frames touch is let go too, and no
     * stream's thread is left waiting for them.
     */
    @Test
    void liveCallsEndedByTheServerWhileAudioArrivesAreNotKeptByTheConnection() throws Exception {
        CallServiceGrpc.CallServiceStub calls = calls("Trunk");
        endedByServer(calls, agentId);
        Map<String, Long> before = liveInstances();

        for (int i = 0; i < CALLS / 2; i++) {
            endedByServer(calls, agentId);
        }

        assertNotKept(before, liveInstances());
    }

    private CallServiceGrpc.CallServiceStub calls(String organization) {
        String key = TestStacks.organization(channel, stack.operatorKey(), organization, "growth");
        agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName(organization
                        + " reception").setLanguage("en-US")).build()).getId();
        return CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    private static void assertNotKept(Map<String, Long> before, Map<String, Long> after) {
        System.out.println("reachable before the calls " + before + ", after " + after);
        for (String type : PER_CALL) {
            long kept = after.getOrDefault(type, 0L) - before.getOrDefault(type, 0L);
            assertTrue(kept < BOUND, kept + " more " + type + " reachable after the finished calls over one"
                    + " connection (before " + before + ", after " + after + ")");
        }
        assertTrue(after.getOrDefault(HELD, 0L) > 0, "the histogram is read: " + after);
    }

    /** A short call, hung up as a bridge does: the end message and the client's half of the stream closed, then the answer. */
    private static void call(CallServiceGrpc.CallServiceStub calls, String agentId) throws Exception {
        ToneCall call = new ToneCall(calls, agentId);
        call.seconds(0.2);
        call.end();
        assertEquals(Call.State.STATE_ENDED, call.ended.get(60, TimeUnit.SECONDS).getState());
    }

    /** A short call the server ends on the caller's end message while the caller goes on sending audio. */
    private static void endedByServer(CallServiceGrpc.CallServiceStub calls, String agentId) throws Exception {
        ToneCall call = new ToneCall(calls, agentId);
        call.seconds(0.2);
        call.endMessage();
        while (!call.closed.isDone()) {
            call.seconds(0.1);
            Thread.sleep(2);
        }
        assertEquals(Call.State.STATE_ENDED, call.ended.get(60, TimeUnit.SECONDS).getState());
    }

    /** Instances reachable now of {@link #PER_CALL}'s classes and {@link #HELD} (a simple name: any class so named). */
    private static Map<String, Long> liveInstances() throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        List<String> counted = new ArrayList<>(PER_CALL);
        counted.add(HELD);
        Map<String, Long> counts = new TreeMap<>();
        for (String line : histogram.split("\n")) {
            String[] f = line.strip().split("\\s+"); // "1:  instances  bytes  class.Name (module)"
            if (f.length < 4 || !f[0].endsWith(":")) {
                continue;
            }
            for (String type : counted) {
                if (f[3].equals(type) || f[3].endsWith("$" + type) || f[3].endsWith("." + type)) {
                    counts.merge(type, Long.parseLong(f[1]), Long::sum);
                }
            }
        }
        return counts;
    }
}
