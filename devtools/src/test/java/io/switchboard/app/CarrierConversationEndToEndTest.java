package io.switchboard.app;

import static io.switchboard.app.TestCalls.turns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.Persona;
import io.switchboard.devtools.Softphone;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.DialAttempt;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Flow;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.TransferNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents that talk on the calls the dialer places through the carrier: the worker's dialer asks the softphone (over
 * Twilio's REST API) to call a scripted persona, whose answered call streams over Media Streams into the server,
 * where the conversation engine holds it. The carrier's own controls are exercised for real: the persona's keys
 * ({@code dtmf} messages) answer the flow, the agent's goodbye is followed by a hang-up through the REST API, and a
 * transfer redirects the live call to TwiML that dials the number.
 */
class CarrierConversationEndToEndTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static Softphone phone;
    private static ManagedChannel channel;
    private static AgentServiceGrpc.AgentServiceBlockingStub agents;
    private static CallServiceGrpc.CallServiceBlockingStub calls;
    private static TestCampaigns campaigns;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dialer.tick-interval", "PT0.2S", "dialer.sync-interval", "PT0.5S",
                "transcription.pool-size", "2"));
        phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata installed?"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        String key = TestStacks.organization(channel, stack.operatorKey(), "Carrierco", "growth");
        agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        campaigns = new TestCampaigns(channel, key);
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    private static String create(Agent.Builder agent) {
        return agents.createAgent(CreateAgentRequest.newBuilder().setAgent(agent.setLanguage("en-US")
                .setVoice("flite:slt")).build()).getId();
    }

    /** The call the one attempt to {@code number} became, once its pipeline is done. */
    private static Call reached(List<DialAttempt> attempts, String number) throws InterruptedException {
        DialAttempt a = attempts.stream().filter(x -> x.getToNumber().equals(number)).findFirst().orElseThrow();
        assertEquals("completed", a.getOutcome(), a.toString());
        assertFalse(a.getCallId().isEmpty(), "the attempt names its call");
        return TestCalls.awaitPipeline(calls, a.getCallId(), Duration.ofSeconds(120));
    }

    private static String sid(String number) {
        return phone.history().stream().filter(p -> p.to().equals(number)).findFirst().orElseThrow().sid();
    }

    @Test
    void theCalleesKeysAnswerTheFlowAndTheAgentHangsUpThroughTheCarrierAfterItsGoodbye() throws Exception {
        String number = "+12125550401";
        phone.persona(number, Persona.talking("dtmf:1", "dtmf:3#"));
        String agentId = create(Agent.newBuilder().setName("Keypad")
                .setFirstMessage("Hello {{first_name}}, this is the clinic.")
                .addVariables(CaptureVariable.newBuilder().setName("coming").setType(CaptureVariable.Type.TYPE_BOOLEAN))
                .addVariables(CaptureVariable.newBuilder().setName("people").setType(CaptureVariable.Type.TYPE_NUMBER))
                .setFlow(Flow.newBuilder().setStartNode("coming")
                        .addNodes(FlowNode.newBuilder().setId("coming").setAsk(AskNode.newBuilder()
                                .setVariable("coming").setPrompt("Press one if you can come, two if not.")
                                .setNext("people")))
                        .addNodes(FlowNode.newBuilder().setId("people").setAsk(AskNode.newBuilder()
                                .setVariable("people").setPrompt("Key in how many people will come, then hash.")
                                .setNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("bye").setEnd(EndNode.newBuilder()
                                .setText("Thank you, see you soon. Goodbye.").setDisposition("confirmed")))));

        Call done = reached(campaigns.dialOnce(agentId, Duration.ofSeconds(120), number), number);

        assertEquals("agent hung up: confirmed", done.getEndReason(), turns(done));
        assertEquals(Map.of("coming", "true", "people", "3"), done.getSummary().getVariablesMap(), turns(done));
        assertEquals("confirmed", done.getSummary().getDisposition());
        assertEquals("Hello Sam, this is the clinic.", done.getTranscriptList().stream()
                .filter(t -> t.getSpeaker().equals("agent")).findFirst().orElseThrow().getText());
        assertTrue(turns(done).contains("agent: Goodbye."), "the goodbye is kept: " + turns(done));
        assertTrue(phone.hangUpRequests().contains(sid(number)), "the call was hung up through the carrier's API");
        List<String> events = phone.conversation(sid(number)).orElseThrow().events();
        assertTrue(events.indexOf("callee presses 1") < events.indexOf("callee presses 3#"), events.toString());
        assertTrue(events.indexOf("callee presses 1") > events.indexOf("agent speaks"), "keys once asked: " + events);
    }

    /** A machine's greeting, long enough that the agent knows it for one well before the beep. */
    private static final String MACHINE_GREETING = "Hi, you have reached the Miller family. We can't come to the phone"
            + " right now. Please leave a message after the tone.";

    /**
     * Whether an agent turn is the two machine tests' greeting as far as it was played: cut where the machine
     * talked over it, after "Hello" as well as after "Hello Sam".
     */
    private static boolean isGreetingsStart(String said) {
        return !said.isBlank()
                && "Hello Sam, this is the clinic calling about your appointment tomorrow.".startsWith(said.strip());
    }

    /** Where the beep the callee sent ends, in ms of the call's audio. */
    private static long beepEndMs(byte[] calleeSaid) {
        short[] pcm = new short[calleeSaid.length];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = io.switchboard.audio.G711.ulawToLinear(calleeSaid[i]);
        }
        return new io.switchboard.conversation.amd.BeepDetector(8000).accept(pcm, 0, pcm.length)
                .orElseThrow(() -> new AssertionError("the machine beeped")).endMs();
    }

    @Test
    void anAnsweringMachineGetsTheVoicemailMessageAfterItsBeepAndTheCallIsVoicemail() throws Exception {
        String number = "+12125550403";
        phone.persona(number, Persona.machine(MACHINE_GREETING).voice("flite:awb"));
        String message = "Hi Sam, this is the clinic calling about your appointment. Please call us back.";
        String agentId = create(Agent.newBuilder().setName("Reminders")
                .setFirstMessage("Hello {{first_name}}, this is the clinic calling about your appointment tomorrow.")
                .setVoicemailMessage("Hi {{first_name}}, this is the clinic calling about your appointment. Please"
                        + " call us back."));

        List<DialAttempt> attempts = campaigns.dialOnce(agentId, Duration.ofSeconds(120), number);
        DialAttempt a = attempts.getFirst();
        assertEquals("voicemail", a.getOutcome(), "the carrier's verdict settles the attempt: " + a);
        Call done = TestCalls.awaitPipeline(calls, a.getCallId(), Duration.ofSeconds(120));

        assertEquals("agent hung up: voicemail", done.getEndReason(), turns(done));
        assertEquals("voicemail", done.getSummary().getDisposition());
        List<io.switchboard.v1.TranscriptEvent> agent = done.getTranscriptList().stream()
                .filter(t -> t.getSpeaker().equals("agent")).toList();
        io.switchboard.v1.TranscriptEvent left = agent.getLast();
        assertEquals(message, left.getText(), "the message is kept in full: " + turns(done));
        assertFalse(left.getInterrupted());
        assertTrue(agent.subList(0, agent.size() - 1).stream().allMatch(t -> isGreetingsStart(t.getText())),
                "the agent said nothing to the machine but its greeting (cut where the machine talked over it) and "
                        + "the message: " + turns(done));
        Softphone.Conversation heard = phone.conversation(sid(number)).orElseThrow();
        long beepEnd = beepEndMs(heard.calleeSaid());
        long messageStart = left.getStartOffset().getSeconds() * 1000 + left.getStartOffset().getNanos() / 1_000_000;
        assertTrue(messageStart >= beepEnd, "the message starts after the beep (" + beepEnd + " ms), at "
                + messageStart + " ms");
        assertTrue(done.getTranscriptList().stream().anyMatch(t -> t.getSpeaker().equals("customer")
                && t.getStartOffset().getSeconds() * 1000 < beepEnd), "the machine's greeting is kept: " + turns(done));
        List<String> events = heard.events();
        assertTrue(events.lastIndexOf("agent speaks") > events.indexOf("machine records"), events.toString());
        assertTrue(phone.hangUpRequests().contains(sid(number)), "hung up through the carrier once the message played");
    }

    @Test
    void anAgentWithoutAVoicemailMessageHangsUpOnAMachineAtOnce() throws Exception {
        String number = "+12125550404";
        phone.persona(number, Persona.machine(MACHINE_GREETING + " Or send us a text at any time, we read them"
                + " every evening.").voice("flite:awb"));
        String agentId = create(Agent.newBuilder().setName("No messages")
                .setFirstMessage("Hello {{first_name}}, this is the clinic calling about your appointment tomorrow."));

        DialAttempt a = campaigns.dialOnce(agentId, Duration.ofSeconds(120), number).getFirst();
        assertEquals("voicemail", a.getOutcome(), a.toString());
        Call done = TestCalls.awaitPipeline(calls, a.getCallId(), Duration.ofSeconds(120));

        assertEquals("agent hung up: voicemail", done.getEndReason(), turns(done));
        assertEquals("voicemail", done.getSummary().getDisposition());
        assertTrue(done.getTranscriptList().stream().filter(t -> t.getSpeaker().equals("agent"))
                .allMatch(t -> isGreetingsStart(t.getText())), "only the greeting, cut: " + turns(done));
        List<String> events = phone.conversation(sid(number)).orElseThrow().events();
        assertTrue(!events.contains("machine records") || events.lastIndexOf("agent speaks")
                < events.indexOf("machine records"), "the agent did not speak after the beep: " + events);
        assertTrue(phone.hangUpRequests().contains(sid(number)));
    }

    @Test
    void theCarriersMachineVerdictMustBeSignedAndNameAnAttempt() throws Exception {
        String base = "http://127.0.0.1:" + stack.server().port() + "/telephony/twilio/amd";
        Map<String, List<String>> form = Map.of("CallSid", List.of("CA1"), "AnsweredBy", List.of("machine_end_beep"));
        String body = io.switchboard.telephony.FormEncoding.encode(form);
        String unknown = base + "?attempt_id=" + java.util.UUID.randomUUID();
        assertEquals(403, post(unknown, body, null).statusCode(), "unsigned");
        var noAttempt = post(base, body, io.switchboard.telephony.TwilioSignature.sign(phone.authToken(), base, form));
        assertEquals(400, noAttempt.statusCode());
        assertTrue(noAttempt.body().startsWith("attempt_id:"), noAttempt.body());
        var missing = post(unknown, body, io.switchboard.telephony.TwilioSignature.sign(phone.authToken(), unknown, form));
        assertEquals(404, missing.statusCode());
        assertEquals("attempt_id: no such attempt", missing.body());
    }

    private static java.net.http.HttpResponse<String> post(String url, String body, String signature) throws Exception {
        var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            b.header(io.switchboard.telephony.TwilioSignature.HEADER, signature);
        }
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void aTransferRedirectsTheLiveCallThroughTheCarrierToTheNumber() throws Exception {
        String number = "+12125550402";
        phone.persona(number, Persona.silent());
        String agentId = create(Agent.newBuilder().setName("Front desk")
                .setFirstMessage("Hello, this is the clinic.")
                .setFlow(Flow.newBuilder().setStartNode("desk").addNodes(FlowNode.newBuilder().setId("desk")
                        .setTransfer(TransferNode.newBuilder().setText("Let me put you through to the front desk.")
                                .setPhoneNumber("+14155550199")))));

        Call done = reached(campaigns.dialOnce(agentId, Duration.ofSeconds(120), number), number);

        assertEquals("transferred to +14155550199", done.getEndReason(), turns(done));
        assertEquals("transferred", done.getSummary().getDisposition());
        assertEquals("+14155550199", phone.transfers().get(sid(number)), "the carrier was asked to dial the number");
        assertFalse(phone.hangUpRequests().contains(sid(number)), "a transferred call is not hung up");
        assertTrue(turns(done).contains("agent: Let me put you through to the front desk."),
                "the announcement was heard in full before the transfer: " + turns(done));
    }
}
