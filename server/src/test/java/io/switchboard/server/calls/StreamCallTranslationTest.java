package io.switchboard.server.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.switchboard.agents.AgentSpec;
import io.switchboard.calls.CallService;
import io.switchboard.calls.LiveEvents;
import io.switchboard.common.Notifications;
import io.switchboard.live.AgentVoice;
import io.switchboard.live.CallAgent;
import io.switchboard.live.CallInput;
import io.switchboard.live.LiveCalls;
import io.switchboard.server.grpc.Principals;
import io.switchboard.talk.TalkTokens;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Dtmf;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.Mark;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code StreamCall} only translates: its messages become the session's inputs and the session's outputs its
 * responses, agent audio ({@code play_audio}, {@code clear}) included, and a message it cannot translate is
 * refused naming the field.
 */
class StreamCallTranslationTest {

    private Fixtures f;
    private Notifications notifications;
    private LiveCalls sessions;
    private CallGrpcService service;
    private Fixtures.Tenant acme;
    private String agent;
    private final List<CallInput> heard = new CopyOnWriteArrayList<>();

    /** Says a tone back when the caller is first heard, then clears it when a key is pressed. */
    private final class Echo implements CallAgent {
        private final AgentVoice voice;
        private boolean spoke;

        Echo(AgentVoice voice) {
            this.voice = voice;
        }

        @Override
        public void onCallerAudio(short[] pcm16, int sampleRate) {
            if (!spoke) {
                spoke = true;
                short[] tone = new short[1600];
                for (int i = 0; i < tone.length; i++) {
                    tone[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / 16_000.0));
                }
                voice.play(tone, 16_000, "hello");
            }
        }

        @Override
        public void onInput(CallInput input) {
            heard.add(input);
            if (input instanceof CallInput.Dtmf) {
                voice.clear();
            }
        }
    }

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        CallService calls = f.calls(TestObjectStore.freshBucket());
        LiveEvents events = new LiveEvents(f.plane.database().dsl(), f.plane.contentSeal());
        notifications = Notifications.start(f.plane.database().dataSource());
        sessions = LiveCalls.builder(calls, events).eventEncoding(CallGrpcService::eventEncoding)
                .languages(f.plane.agents()).agents((actor, spec, voice) -> Optional.of(new Echo(voice))).build();
        service = new CallGrpcService(calls, sessions, events, notifications, 16,
                new TalkTokens(f.plane.database().dsl(), f.plane.clock(), f.plane.audit()));
        acme = f.tenant("Acme", "growth");
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
    }

    @AfterEach
    void tearDown() {
        service.close();
        notifications.close();
    }

    private static final class Client implements StreamObserver<StreamCallResponse> {
        final List<StreamCallResponse> got = new CopyOnWriteArrayList<>();
        final CompletableFuture<Optional<Status>> end = new CompletableFuture<>();

        @Override
        public void onNext(StreamCallResponse r) {
            got.add(r);
        }

        @Override
        public void onError(Throwable t) {
            end.complete(Optional.of(Status.fromThrowable(t)));
        }

        @Override
        public void onCompleted() {
            end.complete(Optional.empty());
        }
    }

    private StreamObserver<StreamCallRequest> call(Client client) throws Exception {
        return Principals.with(acme.owner()).call(() -> service.streamCall(client));
    }

    @Test
    void agentAudioKeysAndMarksCrossTheStreamBothWays() throws Exception {
        Client client = new Client();
        StreamObserver<StreamCallRequest> in = call(client);
        in.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agent)
                .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFormat(AudioFormat.newBuilder()
                        .setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(16_000).setChannels(1))).build());
        in.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(new byte[640])).build());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (client.got.stream().noneMatch(StreamCallResponse::hasPlayAudio) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        in.onNext(StreamCallRequest.newBuilder().setMark(Mark.newBuilder().setName("hello")).build());
        in.onNext(StreamCallRequest.newBuilder().setDtmf(Dtmf.newBuilder().setDigits("1")).build());
        in.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
        assertEquals(Optional.empty(), client.end.get(60, TimeUnit.SECONDS));

        List<StreamCallResponse.PayloadCase> cases = client.got.stream().map(StreamCallResponse::getPayloadCase).toList();
        assertEquals(List.of(StreamCallResponse.PayloadCase.ACCEPTED, StreamCallResponse.PayloadCase.PLAY_AUDIO,
                StreamCallResponse.PayloadCase.CLEAR, StreamCallResponse.PayloadCase.ENDED), cases);
        var play = client.got.get(1).getPlayAudio();
        assertEquals(16_000, play.getSampleRate());
        assertEquals("hello", play.getMark());
        assertEquals(3200, play.getPcm16().size(), "1600 samples, 16-bit little-endian");
        assertEquals(2, client.got.getFirst().getAccepted().getFormat().getChannels(), "the agent beside the caller");
        assertEquals(List.of(new CallInput.Mark("hello"), new CallInput.Dtmf("1"), new CallInput.End("hangup")), heard);
    }

    @Test
    void aMessageWithNoPayloadIsRefusedNamingTheField() throws Exception {
        Client client = new Client();
        StreamObserver<StreamCallRequest> in = call(client);
        in.onNext(StreamCallRequest.getDefaultInstance());
        Status refused = client.end.get(60, TimeUnit.SECONDS).orElseThrow();
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getCode());
        assertTrue(refused.getDescription().contains("payload"), refused.getDescription());
    }
}
