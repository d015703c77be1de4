package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallEvent;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.GetOrganizationRequest;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.RevokeApiKeyRequest;
import io.switchboard.v1.TranscriptEvent;
import io.switchboard.v1.WatchCallRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two API servers over one PostgreSQL and one object store, as behind a load balancer: server A is the dev
 * stack (with the worker), server B a second server process's worth of objects in this JVM. What one server
 * holds (a live call, a revocation) must be seen through the other.
 */
class LiveCallsAcrossServersTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static DevStack.ExtraServer b;
    private static ManagedChannel toA;
    private static ManagedChannel toB;
    private static String key;
    private static String agentId;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("transcription.pool-size", "2"));
        b = stack.startExtraServer();
        toA = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        toB = NettyChannelBuilder.forAddress("127.0.0.1", b.port()).usePlaintext().build();
        key = TestStacks.organization(toA, stack.operatorKey(), "Acme", "growth");
        agentId = AgentServiceGrpc.newBlockingStub(toA).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(io.switchboard.v1.Agent.newBuilder()
                        .setName("Reception").setLanguage("en-US")).build()).getId();
    }

    @AfterAll
    static void stop() throws Exception {
        if (toB != null) {
            toB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (b != null) {
            b.close();
        }
        TestStacks.stop(toA, stack);
    }

    @Test
    void aCallStreamedIntoOneServerIsWatchedLiveThroughTheOtherOverGrpcAndGrpcWebAndEndsWithIt() throws Exception {
        SpeechAudio.Utterance said = SpeechAudio.librivox().get(3);
        CallsEndToEndTest.LiveStream live = CallsEndToEndTest.LiveStream.open(
                new CallsEndToEndTest.Tenant(key, agentId, null, CallServiceGrpc.newStub(toA)
                        .withCallCredentials(TestStacks.bearer(key))), TestCalls.wav16k(agentId).toBuilder()
                        .setFormat(TestCalls.wav16k(agentId).getFormat().toBuilder()
                                .setContainer(io.switchboard.v1.AudioFormat.Container.CONTAINER_RAW)).build());
        String id = live.accepted().getId();

        List<CallEvent> watched = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> watchDone = new CompletableFuture<>();
        CallServiceGrpc.newStub(toB).withCallCredentials(TestStacks.bearer(key))
                .watchCall(WatchCallRequest.newBuilder().setId(id).build(), TestCalls.collect(watched, watchDone));
        CompletableFuture<HttpResponse<byte[]>> web = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .build().sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.port()
                                + "/switchboard.v1.CallService/WatchCall"))
                        .header("content-type", "application/grpc-web+proto").header("x-grpc-web", "1")
                        .header("authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(frame(WatchCallRequest.newBuilder().setId(id)
                                .build().toByteArray()))).build(), HttpResponse.BodyHandlers.ofByteArray());
        String globex = TestStacks.organization(toA, stack.operatorKey(), "Globex", "growth");
        StatusRuntimeException foreign = assertThrows(StatusRuntimeException.class, () -> CallServiceGrpc
                .newBlockingStub(toB).withCallCredentials(TestStacks.bearer(globex))
                .watchCall(WatchCallRequest.newBuilder().setId(id).build()).hasNext());
        assertEquals(Status.Code.NOT_FOUND, foreign.getStatus().getCode(), "another organisation sees nothing");
        Thread.sleep(1000); // let both watchers subscribe before the first words

        live.sendAudio(TestCalls.pcmBytes(said.samples()), 640); // 20 ms frames
        Call ended = live.end();
        assertEquals(Call.State.STATE_ENDED, ended.getState());
        List<TranscriptEvent> spoken = live.transcripts();
        assertTrue(spoken.stream().anyMatch(TranscriptEvent::getIsFinal), "the caller heard finals: " + spoken);

        watchDone.get(30, TimeUnit.SECONDS); // the watch on B ends with the call on A
        assertTrue(watched.getLast().hasEnded(), "the last event is the ended call");
        assertEquals(Call.State.STATE_ENDED, watched.getLast().getEnded().getState());
        assertSameEventsInOrder(spoken, watched);

        HttpResponse<byte[]> answer = web.get(30, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode());
        List<CallEvent> overWeb = new ArrayList<>();
        Map<String, String> trailers = new java.util.LinkedHashMap<>();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer.body()));
        while (in.available() > 0) {
            int flags = in.readUnsignedByte();
            byte[] payload = in.readNBytes(in.readInt());
            if (flags == 0x80) {
                for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
                    trailers.put(line.substring(0, line.indexOf(':')).strip(), line.substring(line.indexOf(':') + 1).strip());
                }
            } else {
                overWeb.add(CallEvent.parseFrom(payload));
            }
        }
        assertEquals("0", trailers.get("grpc-status"), trailers.toString());
        assertTrue(overWeb.getLast().hasEnded());
        assertSameEventsInOrder(spoken, overWeb);
    }

    @Test
    void aWatchThroughOneServerEndsWhenTheCallFailsOnTheOther() throws Exception {
        CallsEndToEndTest.LiveStream live = CallsEndToEndTest.LiveStream.open(
                new CallsEndToEndTest.Tenant(key, agentId, null, CallServiceGrpc.newStub(toB)
                        .withCallCredentials(TestStacks.bearer(key))), TestCalls.wav16k(agentId).toBuilder()
                        .setFormat(TestCalls.wav16k(agentId).getFormat().toBuilder()
                                .setContainer(io.switchboard.v1.AudioFormat.Container.CONTAINER_RAW)).build());
        String id = live.accepted().getId();
        List<CallEvent> watched = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> watchDone = new CompletableFuture<>();
        CallServiceGrpc.newStub(toA).withCallCredentials(TestStacks.bearer(key))
                .watchCall(WatchCallRequest.newBuilder().setId(id).build(), TestCalls.collect(watched, watchDone));
        live.sendAudio(new byte[32_000], 640); // a second of silence
        Thread.sleep(1000);

        live.cancel(); // the bridge streaming into B crashes: B fails the call
        watchDone.get(30, TimeUnit.SECONDS);
        assertTrue(watched.getLast().hasEnded(), "the watch through A ends with the call held by B");
        assertEquals(Call.State.STATE_FAILED, watched.getLast().getEnded().getState());
        assertTrue(watched.getLast().getEnded().getEndReason().contains("client went away"),
                watched.getLast().getEnded().getEndReason());
    }

    /** The watcher saw, in the caller's order, the caller's events from some point on, every final among them. */
    private static void assertSameEventsInOrder(List<TranscriptEvent> spoken, List<CallEvent> watched) {
        List<TranscriptEvent> seen = watched.stream().filter(CallEvent::hasTranscript).map(CallEvent::getTranscript)
                .toList();
        assertFalse(seen.isEmpty(), "the watcher saw transcript events");
        assertTrue(seen.size() <= spoken.size());
        assertEquals(spoken.subList(spoken.size() - seen.size(), spoken.size()), seen,
                "the watcher sees the caller's events, in order, none lost or doubled");
        assertEquals(spoken.stream().filter(TranscriptEvent::getIsFinal).toList(),
                seen.stream().filter(TranscriptEvent::getIsFinal).toList());
    }

    @Test
    void aKeyRevokedThroughOneServerIsRefusedByTheOtherWithinASecond() throws Exception {
        io.switchboard.v1.CreatedApiKey created = ApiKeyServiceGrpc.newBlockingStub(toA)
                .withCallCredentials(TestStacks.bearer(key)).createApiKey(CreateApiKeyRequest.newBuilder()
                        .setName("dashboard").setRole(io.switchboard.v1.Role.ROLE_VIEWER).build());
        String second = created.getSecret();
        var onB = OrganizationServiceGrpc.newBlockingStub(toB).withCallCredentials(TestStacks.bearer(second));
        onB.getOrganization(GetOrganizationRequest.getDefaultInstance()); // B has verified (and cached) the key
        onB.getOrganization(GetOrganizationRequest.getDefaultInstance());
        String keyId = created.getApiKey().getId();

        ApiKeyServiceGrpc.newBlockingStub(toA).withCallCredentials(TestStacks.bearer(key))
                .revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(keyId).build());
        StatusRuntimeException onA = assertThrows(StatusRuntimeException.class, () -> OrganizationServiceGrpc
                .newBlockingStub(toA).withCallCredentials(TestStacks.bearer(second))
                .getOrganization(GetOrganizationRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, onA.getStatus().getCode(), "at once on the server that revoked it");
        Thread.sleep(1000);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> onB.getOrganization(GetOrganizationRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("revoked"), refused.getStatus().getDescription());
    }

    static byte[] frame(byte[] message) {
        return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    }

}
