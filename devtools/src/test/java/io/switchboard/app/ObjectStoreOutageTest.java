package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.GetCallRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object store goes away in the middle of live calls (the embedded S3 endpoint is stopped): audio that
 * arrives meanwhile is buffered and stored when the store returns, so the recording is whole; a store that
 * stays down past the grace after hang-up ends the call FAILED and tells the client UNAVAILABLE, naming how
 * much audio could not be stored. Nothing is dropped silently.
 */
class ObjectStoreOutageTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static CallServiceGrpc.CallServiceStub calls;
    private static CallServiceGrpc.CallServiceBlockingStub blocking;
    private static String agent;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "calls.store-grace", "PT3S",
                "transcription.pool-size", "2"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        String key = TestStacks.organization(channel, stack.operatorKey(), "Outage", "growth");
        agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key)).createAgent(
                CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("A").setLanguage("en-US")).build()).getId();
        calls = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        blocking = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void audioArrivingWhileTheStoreIsDownIsBufferedAndStoredWhenItReturns() throws Exception {
        ToneCall call = new ToneCall(calls, agent);
        String id = call.accepted.get(10, TimeUnit.SECONDS).getId();
        call.seconds(6); // one 5 s segment stored
        Thread.sleep(500);
        stack.embedded().stopS3();
        try {
            for (int s = 0; s < 30; s++) { // 30 s of outage while the caller keeps talking, in real time
                call.seconds(1); // each flush fails: the audio stays in the stream's buffer
                Thread.sleep(1000);
            }
        } finally {
            stack.embedded().startS3();
        }
        call.seconds(2);
        call.end();
        Call ended = call.ended.get(30, TimeUnit.SECONDS);
        assertEquals(Call.State.STATE_ENDED, ended.getState());
        Call done = TestCalls.awaitRecording(blocking, id);
        assertEquals(44 + call.sent, done.getRecording().getSizeBytes(), "every byte sent is in the recording");
    }

    @Test
    void aStoreThatStaysDownPastTheGraceEndsTheCallAndSaysSo() throws Exception {
        ToneCall call = new ToneCall(calls, agent);
        String id = call.accepted.get(10, TimeUnit.SECONDS).getId();
        stack.embedded().stopS3();
        try {
            call.seconds(6);
            call.end();
            var e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> call.ended.get(30, TimeUnit.SECONDS));
            Status status = Status.fromThrowable(e.getCause());
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), String.valueOf(status));
            assertTrue(status.getDescription().contains("could not be stored"), status.getDescription());
        } finally {
            stack.embedded().startS3();
        }
        Call c = blocking.getCall(GetCallRequest.newBuilder().setId(id).build());
        assertEquals(Call.State.STATE_FAILED, c.getState());
        assertTrue(c.getEndReason().contains("could not be stored"), c.getEndReason());
    }
}
