package io.switchboard.app;

import static io.switchboard.app.TestCalls.turns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.conversation.brain.llm.FakeChatServer;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.ScriptedCaller;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallFollowUp;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.ComplianceServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateMessageTemplateRequest;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Flow;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.GetDoNotCallNumberRequest;
import io.switchboard.v1.GetMessageRequest;
import io.switchboard.v1.GetUsageRequest;
import io.switchboard.v1.Message;
import io.switchboard.v1.MessageChannel;
import io.switchboard.v1.MessageTemplate;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.SayNode;
import io.switchboard.v1.SendSmsNode;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.UsageServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conversation's remaining promises over a real gRPC {@code StreamCall}, as {@link ConversationEndToEndTest}
 * makes them (Silero, PocketSphinx, Flite, the worker; the caller answers in another Flite voice at 8 kHz): a
 * do-not-call request honoured during the call, the LLM brain holding a call against a local server speaking
 * OpenAI's streaming wire format, a send_sms node texting the caller during the call (a follow-up of the call), a
 * bad flow refused at save, and another organisation's agent out of reach.
 */
class ConversationScenariosEndToEndTest {

    /** Each test calls its own number: the do-not-call test puts its number on the list. */
    private static final String CALLEE = "+14155550188";

    @TempDir
    static Path home;
    private static FakeChatServer llm;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static String key;
    private static CallServiceGrpc.CallServiceBlockingStub calls;
    private static CallServiceGrpc.CallServiceStub async;
    private static AgentServiceGrpc.AgentServiceBlockingStub agents;

    @BeforeAll
    static void start() throws Exception {
        llm = new FakeChatServer();
        stack = TestStacks.start(home, Map.of("calls.idle-timeout", "PT20S", "transcription.pool-size", "2",
                "conversation.llm.provider", "openai", "conversation.llm.openai.model", "gpt-test",
                "conversation.llm.openai.base-url", llm.openAiBaseUrl(), "conversation.llm.end-call-grace", "PT1S"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        key = TestStacks.organization(channel, stack.operatorKey(), "Scenarios", "growth");
        calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        async = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
        if (llm != null) {
            llm.close();
        }
    }

    private static String create(Agent.Builder agent) {
        return agents.createAgent(CreateAgentRequest.newBuilder().setAgent(agent.setLanguage("en-US")
                .setVoice("flite:slt")).build()).getId();
    }

    /**
     * The caller saying {@code text} at 8 kHz, in Flite's rms voice (agents here speak slt): PocketSphinx hears it
     * through μ-law word for word, where it heard espeak-ng's "stop calling me" as "oh really".
     */
    private static short[] says(String text) {
        return Voices.installed().resolve("flite:rms").synthesize(text, ScriptedCaller.RATE).readAll();
    }

    @Test
    void aCallerWhoAsksToBeTakenOffTheListIsOnTheDoNotCallListWhenTheAgentHangsUp() throws Exception {
        String agentId = create(Agent.newBuilder().setName("Survey")
                .setFirstMessage("Hello, this is the clinic with a short survey.")
                .addVariables(CaptureVariable.newBuilder().setName("rating").setType(CaptureVariable.Type.TYPE_NUMBER))
                .setFlow(Flow.newBuilder().setStartNode("rate")
                        .addNodes(FlowNode.newBuilder().setId("rate").setAsk(AskNode.newBuilder()
                                .setVariable("rating").setPrompt("How would you rate your last visit?").setNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("bye").setEnd(EndNode.newBuilder()
                                .setText("Thank you. Goodbye.").setDisposition("rated")))));
        var caller = ScriptedCaller.open(async, TestCalls.agentSpeaks(agentId, CALLEE));
        caller.converse(List.of(ScriptedCaller.Answer.after(says("do not call me again"))),
                Duration.ofSeconds(60));

        Call ended = caller.ended().orElseThrow(() -> new AssertionError("no ended message"));
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        assertEquals("agent hung up: do_not_call", ended.getEndReason(), turns(done));
        var entry = ComplianceServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .getDoNotCallNumber(GetDoNotCallNumberRequest.newBuilder().setPhoneNumber(CALLEE).build());
        assertEquals("opt-out", entry.getSource(), entry.toString());
        assertEquals("do_not_call", done.getSummary().getDisposition());
        assertTrue(turns(done).contains("taken your number off our list"), "the apology was said: " + turns(done));
    }

    @Test
    void theLlmBrainHoldsACallItsToolsEndingItAndItsTokensAreMetered() throws Exception {
        for (int i = 0; i < 3; i++) { // a turn the recogniser splits in two asks twice
            llm.enqueue(new FakeChatServer.OpenAiStream().text("Wonderful, ", "see you tomorrow. Goodbye.")
                    .toolCall("end_call", "{\"disposition\":", "\"confirmed\"}").finish());
        }
        String agentId = create(Agent.newBuilder().setName("Concierge")
                .setSystemPrompt("You confirm tomorrow's appointment.")
                .setFirstMessage("Hello, this is the clinic about tomorrow's appointment."));
        Instant before = Instant.now().minusSeconds(60);
        var caller = ScriptedCaller.open(async, TestCalls.agentSpeaks(agentId, "+14155550189"));
        caller.converse(List.of(ScriptedCaller.Answer.after(says("sure"))), Duration.ofSeconds(60));

        Call ended = caller.ended().orElseThrow(() -> new AssertionError("no ended message"));
        assertEquals("agent hung up: confirmed", ended.getEndReason());
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        assertEquals("confirmed", done.getSummary().getDisposition());
        assertTrue(turns(done).contains("agent: Wonderful, see you tomorrow."), "the model's words were said: " + turns(done));
        JsonNode request = llm.requests().getFirst();
        assertEquals("gpt-test", request.path("model").asText());
        assertTrue(request.path("stream").asBoolean(), "streamed");
        JsonNode first = request.path("messages").get(0);
        assertEquals("system", first.path("role").asText());
        assertTrue(first.path("content").asText().contains("You confirm tomorrow's appointment."), first.toString());

        var usage = UsageServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .getUsage(GetUsageRequest.newBuilder().setStartTime(ts(before)).setEndTime(ts(Instant.now()
                        .plusSeconds(60))).setGranularity(GetUsageRequest.Granularity.GRANULARITY_DAY).build());
        assertTrue(usage.getTotals().getLlmInputTokens() >= 42, "the fake bills 42 prompt tokens a request: " + usage);
    }

    @Test
    void aSendSmsNodeTextsTheCallerDuringTheCallAndTheTextIsAFollowUpOfTheCall() throws Exception {
        var texts = MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        texts.addSender(AddSenderRequest.newBuilder().setAddress("+14155550100").build());
        texts.createMessageTemplate(CreateMessageTemplateRequest.newBuilder().setTemplate(MessageTemplate.newBuilder()
                .setName("clinic-link").setChannel(MessageChannel.MESSAGE_CHANNEL_SMS)
                .setBody("Book your visit: https://clinic.example/book")).build());
        String agentId = create(Agent.newBuilder().setName("Texter")
                .setFirstMessage("Hello, this is the clinic.")
                .setFlow(Flow.newBuilder().setStartNode("text")
                        .addNodes(FlowNode.newBuilder().setId("text").setSendSms(SendSmsNode.newBuilder()
                                .setTemplate("clinic-link").setNext("sent")))
                        .addNodes(FlowNode.newBuilder().setId("sent").setSay(SayNode.newBuilder()
                                .setText("I've texted you the booking link.").setNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("bye").setEnd(EndNode.newBuilder()
                                .setText("Goodbye.").setDisposition("texted")))));
        var caller = ScriptedCaller.open(async, TestCalls.agentSpeaks(agentId, "+14155550187"));
        caller.converse(List.of(), Duration.ofSeconds(60));

        Call ended = caller.ended().orElseThrow(() -> new AssertionError("no ended message"));
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        assertEquals("agent hung up: texted", ended.getEndReason(), turns(done));
        assertTrue(turns(done).contains("I've texted you the booking link."), turns(done));
        assertEquals(1, done.getFollowUpsCount(), done.getFollowUpsList().toString());
        CallFollowUp f = done.getFollowUps(0);
        assertEquals("during_call", f.getTrigger());
        assertEquals("text", f.getNodeId());
        assertEquals("", f.getFollowUpId(), "no rule sent it");
        assertEquals("", f.getRefusal(), f.getDetail());
        Message m = texts.getMessage(GetMessageRequest.newBuilder().setId(f.getMessageId()).build());
        assertEquals("Book your visit: https://clinic.example/book", m.getBody());
        assertEquals("+14155550187", m.getTo());
        assertEquals(ended.getId(), m.getCallId());
    }

    @Test
    void aFlowPointingNowhereOrAskingForAnUnknownVariableIsRefusedAtSaveNamingTheField() {
        var nowhere = assertThrows(StatusRuntimeException.class, () -> create(Agent.newBuilder().setName("Broken")
                .setFlow(Flow.newBuilder().setStartNode("hi").addNodes(FlowNode.newBuilder().setId("hi")
                        .setSay(SayNode.newBuilder().setText("Hello.").setNext("nowhere"))))));
        assertEquals(Status.Code.INVALID_ARGUMENT, nowhere.getStatus().getCode());
        assertTrue(nowhere.getStatus().getDescription().contains("agent.flow.nodes[0].say.next"),
                nowhere.getStatus().getDescription());
        var unknown = assertThrows(StatusRuntimeException.class, () -> create(Agent.newBuilder().setName("Broken")
                .setFlow(Flow.newBuilder().setStartNode("q").addNodes(FlowNode.newBuilder().setId("q")
                        .setAsk(AskNode.newBuilder().setVariable("mood").setPrompt("How are you?").setNext("q"))))));
        assertTrue(unknown.getStatus().getDescription().contains("agent.flow.nodes[0].ask.variable"),
                unknown.getStatus().getDescription());
    }

    @Test
    void anotherOrganisationsAgentCannotBeMadeToSpeak() throws Exception {
        String theirs = create(Agent.newBuilder().setName("Theirs").setFirstMessage("Our secret greeting."));
        String otherKey = TestStacks.organization(channel, stack.operatorKey(), "Intruders", "growth");
        var intruder = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(otherKey));
        var caller = ScriptedCaller.start(intruder);
        caller.send(StreamCallRequest.newBuilder().setOpen(TestCalls.agentSpeaks(theirs, "+14155550189")).build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, caller::awaitAccepted);
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals(0, caller.heard().length, "not a sample of the other organisation's agent was played");
    }

    private static com.google.protobuf.Timestamp ts(Instant i) {
        return com.google.protobuf.Timestamp.newBuilder().setSeconds(i.getEpochSecond()).build();
    }
}
