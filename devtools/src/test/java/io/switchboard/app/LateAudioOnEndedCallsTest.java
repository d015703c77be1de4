package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.common.Notifications;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client multiplexes its live calls on one HTTP/2 connection (grpc-java, grpc-python and grpc-js all do), and a
 * caller's audio is still on its way when the server ends a call: the agent hangs up, a server asks for the hang-up,
 * a message is refused. Those late frames must cost nothing but themselves: the other calls on the connection go on
 * streaming (more than HTTP/2's default 64 KiB window), end normally and keep all their audio.
 * <p>
 * grpc-java resets a stream whose trailers come before its half-close, and sometimes still writes the DATA it had
 * queued (Helidon 4.5 then answered GOAWAY: see {@code ClientResets} in the server): the grpc-java tests here caught
 * it only when that happened (the refusal, most often). The raw HTTP/2 test makes that timing certain, and sends
 * enough late DATA to spend the connection's window, which the other call then needs back.
 */
class LateAudioOnEndedCallsTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static CallServiceGrpc.CallServiceStub calls;
    private static String agentId;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.worker", "false", "dev.softphone.enabled", "false",
                "transcription.pool-size", "1"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        key = TestStacks.organization(channel, stack.operatorKey(), "Multiplex", "growth");
        agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Multiplex reception")
                        .setLanguage("en-US")).build()).getId();
        calls = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    /** How the server comes to end a call while its caller is still sending. */
    enum ServerEnd {
        /** The caller's end message, its half of the stream left open: the server ends the call and the stream. */
        END_MESSAGE(Status.Code.OK) {
            @Override
            void trigger(ToneCall call) {
                call.endMessage();
            }
        },
        /** Another server asks for the hang-up (as a hang-up by API on another server does). */
        HANG_UP(Status.Code.OK) {
            @Override
            void trigger(ToneCall call) throws Exception {
                Notifications.notify(stack.db().dsl(), "switchboard_call_hang_ups",
                        call.accepted.get(60, TimeUnit.SECONDS).getId() + " hung up by the test");
            }
        },
        /** A message the server refuses: the call fails and the stream with it. */
        REFUSAL(Status.Code.INVALID_ARGUMENT) {
            @Override
            void trigger(ToneCall call) {
                call.send(StreamCallRequest.getDefaultInstance());
            }
        };

        final Status.Code closes;

        ServerEnd(Status.Code closes) {
            this.closes = closes;
        }

        abstract void trigger(ToneCall call) throws Exception;
    }

    @ParameterizedTest
    @EnumSource(ServerEnd.class)
    void audioStillArrivingOnACallTheServerEndedLeavesTheOtherCallsStreaming(ServerEnd end) throws Exception {
        ToneCall other = new ToneCall(calls, agentId);
        other.seconds(0.5);
        other.accepted.get(60, TimeUnit.SECONDS);

        ToneCall ended = new ToneCall(calls, agentId);
        ended.seconds(0.5);
        ended.accepted.get(60, TimeUnit.SECONDS);
        end.trigger(ended);
        ended.seconds(2); // a burst behind the end: these frames reach the server after it has ended the stream
        while (!ended.closed.isDone()) { // and the caller's audio goes on until it hears of the end
            ended.seconds(0.1);
            Thread.sleep(10);
        }
        assertEquals(end.closes, ended.closed.get().getCode(), ended.closed.get().toString());

        other.seconds(3); // 96,000 bytes: past HTTP/2's default window, so WINDOW_UPDATEs must still come
        other.end();
        assertOtherCallStreamedToTheEnd(other);
    }

    @ParameterizedTest
    @EnumSource(ServerEnd.class)
    void aCallerHangingUpAsTheServerEndsTheCallLeavesTheOtherCallsStreaming(ServerEnd end) throws Exception {
        ToneCall other = new ToneCall(calls, agentId);
        other.seconds(0.5);
        other.accepted.get(60, TimeUnit.SECONDS);

        ToneCall ended = new ToneCall(calls, agentId);
        ended.seconds(0.5);
        ended.accepted.get(60, TimeUnit.SECONDS);
        end.trigger(ended);
        ended.seconds(0.5);
        ended.halfClose(); // the client's END_STREAM crosses the server's
        Status closed = ended.closed.get(60, TimeUnit.SECONDS);
        assertEquals(end.closes, closed.getCode(), closed.toString());

        other.seconds(3);
        other.end();
        assertOtherCallStreamedToTheEnd(other);
    }

    /**
     * The same, frame by frame, with the timing a real client leaves to chance made certain: DATA on a call's stream
     * right after the client's own reset, more than the connection's whole window of it. The other call must stream
     * on, which it can only if those bytes were counted and given back (WINDOW_UPDATE) though dropped.
     */
    @Test
    void dataAClientSendsOnACallAfterResettingItIsIgnoredYetCountedInTheConnectionWindow() throws Exception {
        try (RawHttp2Client client = new RawHttp2Client(stack.server().port())) {
            int ended = 1;
            int other = 3;
            for (int stream : new int[] {ended, other}) {
                client.post(stream, "/switchboard.v1.CallService/StreamCall", Map.of("content-type", "application/grpc",
                        "te", "trailers", "authorization", "Bearer " + key));
                client.data(stream, RawHttp2Client.grpc(ToneCall.open(agentId, "").toByteArray()), false);
                client.awaitMessages(stream, 1); // accepted
            }
            client.data(ended, RawHttp2Client.grpc(ToneCall.END.toByteArray()), false);
            client.awaitEnd(ended); // the server's trailers
            client.reset(ended, RawHttp2Client.CANCEL); // as grpc-java answers trailers that come before its half-close

            byte[] audio = RawHttp2Client.grpc(ToneCall.tone(0).toByteArray());
            long late = 0;
            while (late < 1_000_000) { // nearly the connection's 1 MiB window, within the stream's own
                client.data(ended, audio, false);
                late += audio.length;
            }
            long sent = 0;
            while (sent < 128 * 1024) { // the other call: past what the connection window had left
                client.data(other, RawHttp2Client.grpc(ToneCall.tone(sent).toByteArray()), false);
                sent += ToneCall.tone(sent).getAudio().size();
            }
            client.data(other, RawHttp2Client.grpc(ToneCall.END.toByteArray()), true);
            client.awaitEnd(other);

            List<byte[]> messages = client.messages(other);
            Call call = StreamCallResponse.parseFrom(messages.getLast()).getEnded();
            assertEquals(Call.State.STATE_ENDED, call.getState(), call.toString());
            long storedMillis = call.getAudioDuration().getSeconds() * 1000 + call.getAudioDuration().getNanos() / 1_000_000;
            assertEquals(sent * 1000 / (2 * ToneCall.RATE), storedMillis, "every byte of the other call's audio is kept");
        }
    }

    private static void assertOtherCallStreamedToTheEnd(ToneCall other) throws Exception {
        Call call = other.ended.get(60, TimeUnit.SECONDS);
        assertEquals(Call.State.STATE_ENDED, call.getState(), call.getEndReason());
        assertEquals(Status.Code.OK, other.closed.get(60, TimeUnit.SECONDS).getCode(), "the other call's stream");
        long storedMillis = call.getAudioDuration().getSeconds() * 1000 + call.getAudioDuration().getNanos() / 1_000_000;
        assertEquals(other.sent * 1000 / (2 * ToneCall.RATE), storedMillis, "every byte of the other call's audio is kept");
    }
}
