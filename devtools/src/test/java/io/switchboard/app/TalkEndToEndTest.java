package io.switchboard.app;

import static io.switchboard.db.Tables.TALK_TOKENS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AuditFilter;
import io.switchboard.v1.AuditServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateTalkTokenRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.ListAuditEntriesRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.TalkToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A web page talking to an agent over the browser talk socket ({@code /v1/talk}) of the whole dev stack: a token
 * minted over gRPC, PCM16 at 16 kHz both ways, the flow agent asking and the caller answering in espeak-ng's voice,
 * and the call kept as any other (transcript, variables, audit). And every way in that must stay shut: spent,
 * expired and forged tokens, another organisation's agent, a page of another origin, a call over the plan's limit,
 * malformed frames.
 */
class TalkEndToEndTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static String key;
    private static CallServiceGrpc.CallServiceBlockingStub calls;
    private static AgentServiceGrpc.AgentServiceBlockingStub agents;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("calls.idle-timeout", "PT20S", "transcription.pool-size", "2"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        key = TestStacks.organization(channel, stack.operatorKey(), "Clinic", "growth");
        calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }


    private static String create(Agent.Builder agent) {
        return agents.createAgent(CreateAgentRequest.newBuilder().setAgent(agent).build()).getId();
    }

    /** An agent that says nothing and only listens: the refusal tests need no speech synthesis. */
    private static String quietAgent() {
        return create(Agent.newBuilder().setName("Quiet").setLanguage("en-US"));
    }

    private static String token(String agentId) {
        return calls.createTalkToken(CreateTalkTokenRequest.newBuilder().setAgentId(agentId).build()).getToken();
    }

    private static TalkSocket connect(String token) throws Exception {
        return TalkSocket.connect(stack.server().port(), token, Optional.empty());
    }

    /** espeak-ng saying {@code text} at 16 kHz. */
    private static short[] says(String text) throws Exception {
        return SpeechAudio.pcm16(SpeechAudio.espeak(home, text, TalkSocket.RATE));
    }

    @Test
    void aPageTalksWithTheFlowAgentAndTheCallKeepsItsTranscriptAndVariables() throws Exception {
        TalkToken minted = calls.createTalkToken(CreateTalkTokenRequest.newBuilder().setAgentId(create(TestAgents.appointments("Appointments")))
                .build());
        assertEquals("/v1/talk", minted.getPath());
        TalkSocket page = TalkSocket.connect(stack.server().port(), minted.getToken(), Optional.of("http://localhost:5173"));
        String callId = page.awaitAccepted().path("call_id").asText();
        // words PocketSphinx makes out in espeak-ng's voice at 16 kHz ("sure" comes out as "cha")
        page.converse(List.of(says("yes"), says("three people")), Duration.ofSeconds(90));

        JsonNode ended = page.message("ended").orElseThrow(() -> new AssertionError("no ended message: " + page.transcript()));
        assertEquals(callId, ended.path("call_id").asText());
        assertEquals("agent hung up: confirmed", ended.path("reason").asText(), "the agent ended the call: " + page.transcript());
        assertTrue(page.marksEchoed() > 0 && page.heardSamples() > TalkSocket.RATE, "the page played the agent's audio");
        List<String> shown = page.transcript();
        assertTrue(shown.contains("agent: Hello, this is the clinic calling about your appointment."), shown.toString());
        assertTrue(shown.contains("agent: Goodbye."), "the goodbye was shown before the end: " + shown);
        assertTrue(shown.stream().filter(l -> l.startsWith("customer: ")).count() >= 2, "both answers shown: " + shown);

        Call done = TestCalls.awaitPipeline(calls, callId, Duration.ofSeconds(120));
        assertEquals(Map.of("coming", "true", "people", "3"), done.getSummary().getVariablesMap(), done.getSummary().toString());
        assertEquals("confirmed", done.getSummary().getDisposition());
        assertEquals(AudioFormat.Encoding.ENCODING_PCM16, done.getFormat().getEncoding());
        assertEquals(16_000, done.getFormat().getSampleRate());
        assertTrue(done.getTranscriptList().stream().anyMatch(t -> t.getSpeaker().equals("agent")
                && t.getText().equals("How many people will come?")), done.getTranscriptList().toString());
        assertTrue(done.getTranscriptList().stream().filter(t -> t.getSpeaker().equals("customer")).count() >= 2);
        var audit = AuditServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .listAuditEntries(ListAuditEntriesRequest.newBuilder().setFilter(AuditFilter.newBuilder()
                        .setResourceType("call").setResourceId(callId)).build()).getEntriesList();
        assertTrue(audit.stream().anyMatch(e -> e.getAction().equals("call.open")
                && "browser".equals(e.getDetailsMap().get("origin"))), "the call is recorded as the browser's: " + audit);
    }

    @Test
    void aTokenOpensOneCallOnlyAndNeitherAForgedNorAnExpiredOneOpensAny() throws Exception {
        String agent = quietAgent();
        String token = token(agent);
        TalkSocket first = connect(token);
        String callId = first.awaitAccepted().path("call_id").asText();
        first.sendAudio(TalkSocket.silence(200));
        first.sendText("{\"type\":\"end\"}");
        assertEquals(1000, first.awaitClosed());
        assertEquals("hangup", first.message("ended").orElseThrow().path("reason").asText());
        assertEquals(Call.State.STATE_ENDED, calls.getCall(GetCallRequest.newBuilder().setId(callId).build()).getState());

        assertRefused(connect(token), "UNAUTHENTICATED", "token: already used", 1008);
        assertRefused(connect("talk_" + "x".repeat(43)), "UNAUTHENTICATED", "token: unknown", 1008);
        assertRefused(connect(key), "UNAUTHENTICATED", "token: not a talk token", 1008);

        String stale = token(agent);
        // a minute on: the token's row says it expired (the test does not wait the minute)
        stack.plane().database().dsl().update(TALK_TOKENS)
                .set(TALK_TOKENS.CREATED_AT, Instant.now().minus(Duration.ofMinutes(2)))
                .set(TALK_TOKENS.EXPIRES_AT, Instant.now().minus(Duration.ofMinutes(1)))
                .where(TALK_TOKENS.REDEEMED_AT.isNull()).execute();
        assertRefused(connect(stale), "UNAUTHENTICATED", "token: expired", 1008);
    }

    @Test
    void noTokenIsMintedForAnotherOrganisationsAgentOrForAKeyThatMayNotPlaceCalls() {
        String ours = quietAgent();
        String otherKey = TestStacks.organization(channel, stack.operatorKey(), "Globex", "starter");
        var theirs = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(otherKey));
        var e = assertThrows(StatusRuntimeException.class, () -> theirs.createTalkToken(
                CreateTalkTokenRequest.newBuilder().setAgentId(ours).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());

        var bad = assertThrows(StatusRuntimeException.class, () -> calls.createTalkToken(
                CreateTalkTokenRequest.newBuilder().setAgentId("not-an-id").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().startsWith("agent_id"), bad.getStatus().getDescription());
        var contact = assertThrows(StatusRuntimeException.class, () -> calls.createTalkToken(
                CreateTalkTokenRequest.newBuilder().setAgentId(ours).setContactId("nope").build()));
        assertTrue(contact.getStatus().getDescription().startsWith("contact_id"), contact.getStatus().getDescription());

        String viewer = io.switchboard.v1.ApiKeyServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createApiKey(io.switchboard.v1.CreateApiKeyRequest.newBuilder().setName("viewer")
                        .setRole(io.switchboard.v1.Role.ROLE_VIEWER).build()).getSecret();
        var denied = assertThrows(StatusRuntimeException.class, () -> CallServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(TestStacks.bearer(viewer))
                .createTalkToken(CreateTalkTokenRequest.newBuilder().setAgentId(ours).build()));
        assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    }

    @Test
    void aPageOfAnOriginTheApiDoesNotAdmitCannotOpenTheSocket() throws Exception {
        String token = token(quietAgent());
        var e = assertThrows(ExecutionException.class, () -> TalkSocket.connect(stack.server().port(), token,
                Optional.of("https://evil.example")));
        WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(403, refused.getResponse().statusCode());
        assertTrue(String.valueOf(refused.getResponse().body()).contains("evil.example"), String.valueOf(refused.getResponse().body()));
        // the token was not spent by the refused page
        TalkSocket page = TalkSocket.connect(stack.server().port(), token, Optional.of("http://127.0.0.1:8080"));
        page.awaitAccepted();
        page.sendText("{\"type\":\"end\"}");
        assertEquals(1000, page.awaitClosed());
    }

    @Test
    void overThePlansLiveCallLimitThePageIsToldWhy() throws Exception {
        String agent = quietAgent();
        String otherKey = TestStacks.organization(channel, stack.operatorKey(), "Busy", "starter");
        var busy = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(otherKey));
        String busyAgent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(otherKey))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("B").setLanguage("en-US"))
                        .build()).getId();
        String busyToken = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(otherKey))
                .createTalkToken(CreateTalkTokenRequest.newBuilder().setAgentId(busyAgent).build()).getToken();
        List<io.switchboard.devtools.ScriptedCaller> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) { // the starter plan's five live calls
                open.add(io.switchboard.devtools.ScriptedCaller.open(busy, OpenCall.newBuilder().setAgentId(busyAgent)
                        .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFormat(AudioFormat.newBuilder()
                                .setEncoding(AudioFormat.Encoding.ENCODING_MULAW).setSampleRate(8000).setChannels(1)).build()));
            }
            JsonNode error = assertRefused(connect(busyToken), "RESOURCE_EXHAUSTED", "", 1013);
            assertTrue(error.path("message").asText().contains("the plan allows 5 live calls"), error.toString());
            // another organisation's page is not held to Busy's limit
            TalkSocket page = connect(token(agent));
            page.awaitAccepted();
            page.sendText("{\"type\":\"end\"}");
            assertEquals(1000, page.awaitClosed());
        } finally {
            for (var c : open) {
                c.send(StreamCallRequest.newBuilder().setEnd(EndCall.getDefaultInstance()).build());
            }
        }
    }

    @Test
    void aMalformedFrameEndsTheCallWithAnErrorAndTheAudioBeforeItIsKept() throws Exception {
        TalkSocket page = connect(token(quietAgent()));
        String callId = page.awaitAccepted().path("call_id").asText();
        short[] speech = SpeechAudio.librivox().get(1).samples();
        short[] second = java.util.Arrays.copyOf(speech, TalkSocket.RATE);
        for (int i = 0; i < second.length; i += 640) {
            page.sendAudio(java.util.Arrays.copyOfRange(second, i, i + 640));
        }
        page.sendRaw(new byte[641]); // half a sample over
        assertEquals(1003, page.awaitClosed());
        JsonNode error = page.message("error").orElseThrow();
        assertEquals("INVALID_ARGUMENT", error.path("code").asText());
        assertTrue(error.path("message").asText().startsWith("audio: "), error.toString());

        Call c = TestCalls.awaitRecording(calls, callId);
        assertEquals(Call.State.STATE_FAILED, c.getState());
        assertTrue(c.getEndReason().contains("audio"), c.getEndReason());
        assertTrue(c.getAudioDuration().getSeconds() >= 1 || c.getAudioDuration().getNanos() > 990_000_000,
                "the second of audio before the bad frame is kept: " + c.getAudioDuration());

        TalkSocket chatty = connect(token(quietAgent()));
        chatty.awaitAccepted();
        chatty.sendText("{\"type\":\"media\"}");
        assertEquals(1003, chatty.awaitClosed());
        assertTrue(chatty.message("error").orElseThrow().path("message").asText().startsWith("type: unknown type 'media'"));
    }

    @Test
    void aControlMessageMayArriveInFragmentsWithinItsBoundAndOneOverItEndsTheCall() throws Exception {
        TalkSocket page = connect(token(quietAgent()));
        page.awaitAccepted();
        page.sendTextFragments("{\"type\":", "", "\"end\"}");
        assertEquals(1000, page.awaitClosed());
        assertEquals("hangup", page.message("ended").orElseThrow().path("reason").asText());

        TalkSocket flood = connect(token(quietAgent()));
        flood.awaitAccepted();
        String head = "{\"type\":\"mark\",\"name\":\"" + "m".repeat(3000);
        flood.sendTextFragments(head, "m".repeat(4097 - head.length() - 2) + "\"}"); // 4097 characters in all
        assertEquals(1003, flood.awaitClosed());
        JsonNode error = flood.message("error").orElseThrow();
        assertEquals("INVALID_ARGUMENT", error.path("code").asText());
        assertEquals("message: control messages are at most 4096 characters", error.path("message").asText());
    }

    @Test
    void aPageThatVanishesMidPlayoutEndsTheCallAsHungUpInsteadOfWaitingForTheIdleTimeout() throws Exception {
        // a greeting of many sentences: they are synthesised and sent one after another, so writes follow the drop
        String chatty = create(Agent.newBuilder().setName("Chatty").setLanguage("en-US").setVoice("flite:slt")
                .setFirstMessage("Hello, this is the clinic. We are calling about your appointment tomorrow morning."
                        + " The doctor will see you at nine. Please bring your insurance card. Please arrive ten"
                        + " minutes early. Parking is behind the building. The entrance is on the left. Thank you.")
                .setFlow(io.switchboard.v1.Flow.newBuilder().setStartNode("bye").addNodes(io.switchboard.v1.FlowNode
                        .newBuilder().setId("bye").setEnd(io.switchboard.v1.EndNode.newBuilder().setText("Goodbye.")
                                .setDisposition("told")))));
        TalkSocket page = connect(token(chatty));
        String callId = page.awaitAccepted().path("call_id").asText();
        page.awaitAgentAudio();
        page.abort(); // no close message: the server learns of it only when a write fails

        Call c = TestCalls.awaitRecording(calls, callId);
        assertEquals(Call.State.STATE_ENDED, c.getState(), c.getEndReason());
        assertEquals("hangup: the other party closed the stream", c.getEndReason(),
                "ended as hung up by the caller, not left to the idle timeout");
    }

    /** The socket was refused with an error message of {@code code}, then closed with {@code closeCode}. */
    private static JsonNode assertRefused(TalkSocket page, String code, String messageStart, int closeCode) throws Exception {
        assertEquals(closeCode, page.awaitClosed(), page.closeReason());
        JsonNode error = page.message("error").orElseThrow(() -> new AssertionError("no error message"));
        assertEquals(code, error.path("code").asText(), error.toString());
        assertTrue(error.path("message").asText().startsWith(messageStart), error.toString());
        assertTrue(page.message("accepted").isEmpty());
        return error;
    }
}
