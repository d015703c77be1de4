package io.switchboard.conversation.brain.llm;

import static io.switchboard.conversation.brain.llm.FakeChatServer.openAiText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.Conduct;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.CaptureVariable.Type;
import io.switchboard.agents.Flow;
import io.switchboard.agents.Timing;
import io.switchboard.common.SwitchboardException;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.Conversation.Speaker;
import io.switchboard.conversation.brain.Conversation.Turn;
import io.switchboard.conversation.brain.ReplySink;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.conversation.brain.llm.FakeChatServer.OpenAiStream;
import io.switchboard.conversation.brain.llm.FakeChatServer.Reply;
import io.switchboard.summaries.ModelUsage;

/** The LLM brain against a local server speaking OpenAI's streaming chat-completions format, failures included. */
class LlmBrainTest {

    private static final Instant NOW = Instant.parse("2026-12-06T05:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final List<CaptureVariable> VARIABLES = List.of(
            new CaptureVariable("budget", Type.NUMBER, "Monthly budget in dollars", List.of(), false),
            new CaptureVariable("plan", Type.ENUM, "Plan discussed", List.of("starter", "growth"), false),
            new CaptureVariable("callback_date", Type.DATE, "When to call back", List.of(), false));
    private static final List<String> CODES = List.of("sale", "callback_scheduled", "not_interested", "do_not_call");

    private FakeChatServer server;
    private final List<ModelUsage> billed = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = new FakeChatServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** What the brain did to the call, in order. */
    static final class RecordingSink implements ReplySink {
        final List<String> events = new CopyOnWriteArrayList<>();
        private final CountDownLatch done = new CountDownLatch(1);

        @Override
        public void say(String sentence) {
            events.add("say:" + sentence);
        }

        @Override
        public void setVariable(String name, Object value) {
            events.add("var:" + name + "=" + value);
        }

        @Override
        public void end(String disposition) {
            events.add("end:" + disposition);
        }

        @Override
        public void transfer(String phoneNumber) {
            events.add("transfer:" + phoneNumber);
        }

        @Override
        public void addToDoNotCall() {
            events.add("dnc");
        }

        @Override
        public void sendDtmf(String digits) {
            events.add("dtmf:" + digits);
        }

        @Override
        public void done() {
            events.add("done");
            done.countDown();
        }

        /** Templates the records refuse (as opted_out); a template asked for again is answered as repeated. */
        final Set<String> refused = new HashSet<>();
        private final Set<String> asked = new HashSet<>();

        @Override
        public SmsResult sendSms(String template, String from, String nodeId) {
            events.add("sms:" + template);
            boolean again = !asked.add(template);
            return refused.contains(template)
                    ? new SmsResult(false, again, "opted_out", "the recipient opted out of texts")
                    : new SmsResult(true, again, "", "");
        }

        List<String> awaitDone() throws InterruptedException {
            assertTrue(done.await(30, TimeUnit.SECONDS), "the reply never completed: " + events);
            return List.copyOf(events);
        }

        List<String> said() {
            return events.stream().filter(e -> e.startsWith("say:")).map(e -> e.substring(4)).toList();
        }
    }

    private LlmBrain brain(Map<String, String> overrides) {
        var settings = new HashMap<String, String>();
        settings.put("conversation.llm.provider", "openai");
        settings.put("conversation.llm.openai.base-url", server.openAiBaseUrl());
        settings.put("conversation.llm.openai.api-key", "test-key");
        settings.put("conversation.llm.openai.model", "gpt-test");
        settings.put("conversation.llm.openai.timeout", "PT20S");
        settings.put("conversation.llm.first-token-timeout", "PT5S");
        settings.put("conversation.llm.retry.max-attempts", "3");
        settings.put("conversation.llm.retry.initial-backoff", "PT0.01S");
        settings.put("conversation.llm.retry.max-backoff", "PT0.05S");
        settings.putAll(overrides);
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(settings)).build();
        return LlmBrains.fromConfig(config, CLOCK, (org, callId, usage) -> billed.add(usage)).orElseThrow();
    }

    private LlmBrain brain() {
        return brain(Map.of());
    }

    /** A conversation of a call answered at {@code startedAt}, with these turns and variables so far. */
    static Conversation call(UUID callId, boolean hipaa, AgentSpec spec, Map<String, String> contact,
                             List<String> codes, String transferNumber, Map<String, Object> variables,
                             List<Turn> history, Instant startedAt) {
        var withTransfer = new AgentSpec(spec.name(), spec.language(), spec.systemPrompt(), spec.firstMessage(),
                spec.voice(), spec.summaryInstructions(), spec.variables(),
                new Conduct(spec.conduct().flow(), "", transferNumber, spec.conduct().timing(),
                        spec.conduct().smsTemplates()));
        var agent = new Agent(UUID.randomUUID(), UUID.randomUUID(), withTransfer, 1, startedAt, startedAt);
        var c = new Conversation(callId, hipaa, agent, contact, "", codes,
                ZonedDateTime.ofInstant(startedAt, ZoneOffset.UTC));
        variables.forEach(c::setVariable);
        history.forEach(t -> c.addTurn(t.speaker(), t.text()));
        return c;
    }

    private static Conversation conversation(Duration sinceAnswer, String transferNumber, boolean hipaa) {
        var agent = new AgentSpec("Sales", "en-US", "You sell Acme plans. Be brief.", "", "flite:slt", "",
                VARIABLES);
        var contact = new LinkedHashMap<String, String>();
        contact.put("first_name", "Ann");
        contact.put("company", "Globex");
        var history = new ArrayList<Turn>();
        history.add(new Turn(Speaker.AGENT, "Hi Ann, this is Acme. Do you have a minute?"));
        history.add(new Turn(Speaker.CALLER, "Sure, what is it about?"));
        return call(UUID.randomUUID(), hipaa, agent, contact, CODES, transferNumber,
                Map.of("plan", "growth"), history, NOW.minus(sinceAnswer));
    }

    private static Conversation conversation() {
        return conversation(Duration.ofMinutes(1), "", false);
    }

    /** The tool results the brain sent back in request {@code i}, in order. */
    private List<String> toolResults(int i) {
        var out = new ArrayList<String>();
        for (JsonNode m : server.requests().get(i).path("messages")) {
            if (m.path("role").asText().equals("tool")) {
                out.add(m.path("content").asText());
            }
        }
        return out;
    }

    @Test
    void tokensAreSpokenSentenceBySentenceAndTheReplyCompletes() throws Exception {
        server.enqueue(openAiText("It's about", " our new plans. Dr", ". Lee says the Growth plan saves 3", ".5 hours",
                " a week! Would you like", " details?"));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Sure, what is it about?", out);

        assertEquals(List.of("say:It's about our new plans.",
                "say:Dr. Lee says the Growth plan saves 3.5 hours a week!", "say:Would you like details?", "done"),
                out.awaitDone());
    }

    @Test
    void theRequestCarriesPromptContactVariablesHistoryAndTools() throws Exception {
        server.enqueue(openAiText("Great."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Sure, what is it about?", out);
        out.awaitDone();

        JsonNode body = server.requests().getFirst();
        assertEquals("gpt-test", body.path("model").asText());
        assertTrue(body.path("stream").asBoolean());
        assertTrue(body.path("stream_options").path("include_usage").asBoolean(), body.toString());
        JsonNode messages = body.path("messages");
        String system = messages.get(0).path("content").asText();
        assertEquals("system", messages.get(0).path("role").asText());
        assertTrue(system.startsWith("You sell Acme plans. Be brief."), system);
        assertTrue(system.contains("- first_name: Ann") && system.contains("- company: Globex"), system);
        assertTrue(system.contains("- plan: growth"), system);
        assertEquals("assistant", messages.get(1).path("role").asText());
        assertEquals("Hi Ann, this is Acme. Do you have a minute?", messages.get(1).path("content").asText());
        assertEquals("user", messages.get(2).path("role").asText());
        assertEquals(3, messages.size(), "the caller's turn, already in the history, is not sent twice");
        var tools = new ArrayList<String>();
        body.path("tools").forEach(t -> tools.add(t.path("function").path("name").asText()));
        assertEquals(List.of("end_call", "set_variable", "add_to_do_not_call", "send_dtmf"), tools,
                "no transfer_call without a transfer number");
        JsonNode endArgs = body.path("tools").get(0).path("function").path("parameters");
        assertEquals(FakeChatServer.JSON.valueToTree(CODES), endArgs.path("properties").path("disposition").path("enum"));
    }

    @Test
    void toolCallsStreamedInFragmentsStoreVariablesThenEndTheCall() throws Exception {
        server.enqueue(
                new OpenAiStream().text("Noted, thanks.")
                        .toolCall("set_variable", "{\"na", "me\": \"bud", "get\", \"val", "ue\": 800}")
                        .toolCall("set_variable", "{\"name\":\"callback_date\",", "\"value\":\"2026-12-14\"}")
                        .finish(),
                new OpenAiStream().text("I'll call you on the fourteenth. Goodbye!")
                        .toolCall("end_call", "{\"disposition\":", "\"callback_scheduled\"}").finish());
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "About 800 a month. Call me on the 14th.", out);

        assertEquals(List.of("say:Noted, thanks.",
                "var:budget=" + new BigDecimal("800"),
                "var:callback_date=" + LocalDate.of(2026, 12, 14),
                "say:I'll call you on the fourteenth.", "say:Goodbye!", "end:callback_scheduled", "done"),
                out.awaitDone());
        assertEquals(2, server.requests().size());
        assertEquals(List.of(new ModelUsage(42, 7), new ModelUsage(42, 7)), billed);
        assertEquals(List.of("Stored budget.", "Stored callback_date."), toolResults(1));
        JsonNode assistant = server.requests().get(1).path("messages").get(4);
        assertEquals("set_variable", assistant.path("tool_calls").get(0).path("function").path("name").asText());
        assertEquals("{\"name\": \"budget\", \"value\": 800}",
                assistant.path("tool_calls").get(0).path("function").path("arguments").asText());
    }

    @Test
    void aVariableWithAnUnknownNameOrTheWrongTypeIsRefusedAndTheModelIsToldWhy() throws Exception {
        server.enqueue(
                new OpenAiStream()
                        .toolCall("set_variable", "{\"name\":\"shoe_size\",\"value\":42}")
                        .toolCall("set_variable", "{\"name\":\"budget\",\"value\":\"eight hundred\"}")
                        .toolCall("set_variable", "{\"name\":\"plan\",\"value\":\"platinum\"}")
                        .toolCall("set_variable", "{\"name\":\"budget\"")
                        .finish(),
                openAiText("Sorry, how much was that per month?"));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Eight hundred, platinum.", out);

        assertEquals(List.of("say:Sorry, how much was that per month?", "done"), out.awaitDone());
        List<String> results = toolResults(1);
        assertEquals(4, results.size(), results.toString());
        assertTrue(results.get(0).startsWith("Error: there is no variable 'shoe_size'"), results.get(0));
        assertTrue(results.get(1).contains("budget: expected a number, got \"eight hundred\"; nothing was stored"),
                results.get(1));
        assertTrue(results.get(2).contains("expected one of [starter, growth]"), results.get(2));
        assertTrue(results.get(3).startsWith("Error: the arguments are not valid JSON"), results.get(3));
    }

    @Test
    void endCallInTheFirstSecondsIsRefusedWithTheReason() throws Exception {
        server.enqueue(
                new OpenAiStream().toolCall("end_call", "{\"disposition\":\"not_interested\"}").finish(),
                openAiText("Sorry, let me explain why I'm calling."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(Duration.ofSeconds(2), "", false), "Hello?", out);

        assertEquals(List.of("say:Sorry, let me explain why I'm calling.", "done"), out.awaitDone());
        assertEquals(List.of("Error: the call started 2 s ago; end_call is not allowed in the first 5 s. "
                + "Keep talking with the caller."), toolResults(1));
    }

    @Test
    void theEndCallGraceIsConfigurable() throws Exception {
        server.enqueue(new OpenAiStream().text("Goodbye.")
                .toolCall("end_call", "{\"disposition\":\"not_interested\"}").finish());
        var out = new RecordingSink();

        brain(Map.of("conversation.llm.end-call-grace", "PT1S"))
                .onCallerTurn(conversation(Duration.ofSeconds(2), "", false), "Not interested, bye.", out);

        assertEquals(List.of("say:Goodbye.", "end:not_interested", "done"), out.awaitDone());
    }

    @Test
    void anUnknownDispositionIsRefusedAndAnUnannouncedEndGetsAGoodbye() throws Exception {
        server.enqueue(
                new OpenAiStream().toolCall("end_call", "{\"disposition\":\"hung_up_angrily\"}").finish(),
                new OpenAiStream().toolCall("end_call", "{\"disposition\":\"not_interested\"}").finish());
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Go away.", out);

        assertEquals(List.of("say:We'll get back to you soon. Goodbye.", "end:not_interested", "done"),
                out.awaitDone());
        assertEquals(List.of("Error: disposition 'hung_up_angrily' is not one of " + CODES), toolResults(1));
    }

    @Test
    void takeMeOffYourListAddsTheNumberAndEndsTheCall() throws Exception {
        server.enqueue(
                new OpenAiStream().toolCall("add_to_do_not_call", "{}").finish(),
                new OpenAiStream().text("I'm sorry to have bothered you. You won't hear from us again.")
                        .toolCall("end_call", "{\"disposition\":\"do_not_call\"}").finish());
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Take me off your list.", out);

        assertEquals(List.of("dnc", "dnc", "say:I'm sorry to have bothered you.", "say:You won't hear from us again.",
                "end:do_not_call", "done"), out.awaitDone(),
                "the code adds the number as it hears the words; the model's own tool call may follow (the engine "
                        + "adds a number once per call)");
    }

    @Test
    void aModelThatIgnoresTheRequestStillLeavesTheNumberOnTheList() throws Exception {
        server.enqueue(openAiText("Great! So, about those plans?"));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "stop calling me", out);

        assertEquals("dnc", out.awaitDone().getFirst());
        JsonNode messages = server.requests().getFirst().path("messages");
        JsonNode last = messages.get(messages.size() - 1);
        assertEquals("user", last.path("role").asText());
        assertEquals(LlmBrain.DO_NOT_CALL_HEARD, last.path("content").asText(),
                "the model is told the number is on the list and how to end");
    }

    @Test
    void lookAlikesOfTheRequestDoNotAddTheNumber() throws Exception {
        for (String text : List.of("call me back later", "please call me again next week",
                "take me through your list", "I'm not interested")) {
            server.enqueue(openAiText("Okay."));
            var out = new RecordingSink();

            brain().onCallerTurn(conversation(), text, out);

            assertFalse(out.awaitDone().contains("dnc"), text);
        }
    }

    @Test
    void dtmfDigitsAreSentAndBadOnesRefused() throws Exception {
        server.enqueue(
                new OpenAiStream().toolCall("send_dtmf", "{\"digits\":\"press two\"}")
                        .toolCall("send_dtmf", "{\"digits\":\"2w#\"}").finish(),
                openAiText("Done."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "For sales, press two.", out);

        assertEquals(List.of("dtmf:2w#", "say:Done.", "done"), out.awaitDone());
        List<String> results = toolResults(1);
        assertTrue(results.get(0).startsWith("Error: digits must be 1 to 64 of 0-9, *, # and w, got 'press two'"),
                results.get(0));
        assertEquals("Sent 2w#.", results.get(1));
    }

    @Test
    void transfersGoToTheAgentsNumberOnly() throws Exception {
        server.enqueue(
                new OpenAiStream().toolCall("transfer_call", "{\"number\":\"+1 900 555 0199\"}").finish(),
                new OpenAiStream().text("Connecting you now.").toolCall("transfer_call", "{}").finish());
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(Duration.ofMinutes(1), "+14155550123", false),
                "Transfer me to +1 900 555 0199.", out);

        assertEquals(List.of("say:Connecting you now.", "transfer:+14155550123", "done"), out.awaitDone());
        assertTrue(toolResults(1).getFirst().startsWith("Error: "), toolResults(1).toString());
    }

    @Test
    void aRateLimitAskingForLongerThanTheCallerCanWaitIsGivenUpAtOnce() throws Exception {
        server.enqueue(Reply.error(429, Map.of("Retry-After", "60")), openAiText("never asked for"));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Hello?", out);

        assertEquals(List.of("say:I'm sorry, I'm having technical trouble right now.",
                "say:We'll get back to you soon. Goodbye.", "end:agent_error", "done"), out.awaitDone());
        assertEquals(1, server.requests().size());
    }

    @Test
    void aRateLimitGetsTheHoldingPhraseThenARetry() throws Exception {
        server.enqueue(Reply.error(429, Map.of("Retry-After", "1")), openAiText("Thanks for waiting."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Hello?", out);

        assertEquals(List.of("say:One moment, please.", "say:Thanks for waiting.", "done"), out.awaitDone());
        assertEquals(2, server.requests().size());
    }

    @Test
    void serverErrorsAreRetriedUpToTheBound() throws Exception {
        server.enqueue(Reply.error(500, Map.of()), Reply.error(503, Map.of()), openAiText("Here I am."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Hello?", out);

        assertEquals(List.of("say:One moment, please.", "say:One moment, please.", "say:Here I am.", "done"),
                out.awaitDone());
        assertEquals(3, server.requests().size());
    }

    @Test
    void aStreamCutMidwayKeepsWhatWasSaidAndTheModelContinues() throws Exception {
        Reply whole = new OpenAiStream().text("The Growth plan", " is 49 dollars.", " It includes", " support")
                .finish();
        server.enqueue(whole.cutAfter(4), openAiText("It includes support around the clock."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "How much is it?", out);

        assertEquals(List.of("say:The Growth plan is 49 dollars.", "say:One moment, please.",
                "say:It includes support around the clock.", "done"), out.awaitDone());
        JsonNode messages = server.requests().get(1).path("messages");
        int n = messages.size();
        assertEquals("The Growth plan is 49 dollars.", messages.get(n - 2).path("content").asText());
        assertEquals(LlmBrain.CUT_OFF, messages.get(n - 1).path("content").asText());
    }

    @Test
    void aStreamThatEndsWithoutFinishingIsTreatedAsBroken() throws Exception {
        server.enqueue(new OpenAiStream().text("Let me check", " that for").unfinished(), openAiText("Yes, we do."));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Do you ship abroad?", out);

        assertEquals(List.of("say:One moment, please.", "say:Yes, we do.", "done"), out.awaitDone());
    }

    @Test
    void noFirstTokenInTimeGetsTheHoldingPhraseAndARetry() throws Exception {
        server.enqueue(openAiText("Too late.").delayed(3000), openAiText("Sorry for the wait."));
        var out = new RecordingSink();

        brain(Map.of("conversation.llm.first-token-timeout", "PT2S")).onCallerTurn(conversation(), "Hello?", out);

        assertEquals(List.of("say:One moment, please.", "say:Sorry for the wait.", "done"), out.awaitDone());
        assertFalse(out.said().contains("Too late."));
    }

    @Test
    void aProviderThatKeepsFailingGetsAnApologyAndAGracefulEnd() throws Exception {
        server.enqueue(Reply.error(500, Map.of()), Reply.error(502, Map.of()), Reply.error(500, Map.of()));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Hello?", out);

        assertEquals(List.of("say:One moment, please.", "say:One moment, please.",
                "say:I'm sorry, I'm having technical trouble right now.", "say:We'll get back to you soon. Goodbye.",
                "end:agent_error", "done"), out.awaitDone());
        assertEquals(3, server.requests().size());
    }

    @Test
    void aProviderThatKeepsFailingTransfersWhenTheAgentHasANumber() throws Exception {
        server.enqueue(Reply.error(429, Map.of()), Reply.error(429, Map.of()), Reply.error(429, Map.of()));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(Duration.ofMinutes(1), "+14155550123", false), "Hello?", out);

        List<String> events = out.awaitDone();
        assertEquals(List.of("say:I'm sorry, I'm having technical trouble right now.",
                "say:Let me transfer you to a colleague.", "transfer:+14155550123", "done"),
                events.subList(2, events.size()));
    }

    @Test
    void aRejectedRequestIsNotRetried() throws Exception {
        server.enqueue(Reply.error(401, Map.of()), openAiText("never asked for"));
        var out = new RecordingSink();

        brain().onCallerTurn(conversation(), "Hello?", out);

        assertEquals(List.of("say:I'm sorry, I'm having technical trouble right now.",
                "say:We'll get back to you soon. Goodbye.", "end:agent_error", "done"), out.awaitDone());
        assertEquals(1, server.requests().size());
    }

    @Test
    void hipaaModeRefusesAProviderWithoutABaaBeforeSendingAnything() throws Exception {
        var out = new RecordingSink();
        LlmBrain uncovered = brain();

        var e = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> uncovered.onCallerTurn(conversation(Duration.ofMinutes(1), "", true), "Hi", out));
        assertTrue(e.getMessage().contains("HIPAA mode is on") && e.getMessage().contains("openai:gpt-test"),
                e.getMessage());
        assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> uncovered.start(conversation(Duration.ofMinutes(1), "", true), out));
        assertTrue(server.requests().isEmpty());
        assertTrue(out.events.isEmpty());

        server.enqueue(openAiText("Hello."));
        LlmBrain covered = brain(Map.of("conversation.llm.openai.baa-covered", "true"));
        covered.requireAllowed(true);
        covered.onCallerTurn(conversation(Duration.ofMinutes(1), "", true), "Hi", out);
        assertEquals(List.of("say:Hello.", "done"), out.awaitDone());
    }

    @Test
    void theGreetingIsTheTemplatedFirstMessageWithoutAskingTheModel() throws Exception {
        Conversation base = conversation();
        var agent = new AgentSpec("Sales", "en-US", "prompt", "Hi {{first_name}}, this is Acme calling "
                + "{{ company }}. Dr. Lee asked me to call {{missing}}.", "flite:slt", "", VARIABLES);
        var c = call(base.callId(), false, agent, base.contact(), CODES, "", Map.of(), List.of(),
                NOW);
        var out = new RecordingSink();

        brain().start(c, out);

        assertEquals(List.of("say:Hi Ann, this is Acme calling Globex.", "say:Dr. Lee asked me to call.", "done"),
                out.awaitDone());
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void withoutAFirstMessageTheModelOpensTheCall() throws Exception {
        server.enqueue(openAiText("Hello Ann!"));
        Conversation base = conversation();
        var c = call(base.callId(), false, base.agent().spec(), base.contact(), CODES, "", Map.of(),
                List.of(), NOW);
        var out = new RecordingSink();

        brain().start(c, out);

        assertEquals(List.of("say:Hello Ann!", "done"), out.awaitDone());
        JsonNode messages = server.requests().getFirst().path("messages");
        assertEquals(LlmBrain.OPENING, messages.get(messages.size() - 1).path("content").asText());
    }

    @Test
    void aNewerTurnSupersedesTheReplyInFlight() throws Exception {
        server.enqueue(openAiText("An old answer.").delayed(1500), openAiText("The new answer."));
        Conversation c = conversation();
        LlmBrain brain = brain();
        var first = new RecordingSink();
        var second = new RecordingSink();

        brain.onCallerTurn(c, "First question?", first);
        while (server.requests().isEmpty()) {
            Thread.sleep(10);
        }
        brain.onCallerTurn(c, "Actually, another question?", second);

        assertEquals(List.of("say:The new answer.", "done"), second.awaitDone());
        Thread.sleep(2000); // long enough for the old reply's late tokens, had it kept them
        assertEquals(List.of(), first.events);
    }

    @Test
    void silenceGetsAReprompt() throws Exception {
        server.enqueue(openAiText("Are you still there?"));
        var out = new RecordingSink();

        brain().onSilence(conversation(), 1, out);

        assertEquals(List.of("say:Are you still there?", "done"), out.awaitDone());
        JsonNode messages = server.requests().getFirst().path("messages");
        assertTrue(messages.get(messages.size() - 1).path("content").asText().contains("reprompt 1"));
    }

    @Test
    void aMissingModelSettingIsNamed() {
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("conversation.llm.provider", "openai",
                        "conversation.llm.openai.base-url", server.openAiBaseUrl())))
                .build();
        var e = assertThrows(IllegalStateException.class, () -> LlmBrains.fromConfig(config, CLOCK));
        assertEquals("conversation.llm.openai.model must be set", e.getMessage());
        Config none = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("x", "y"))).build();
        assertTrue(LlmBrains.fromConfig(none, CLOCK).isEmpty());
    }

    private static Conversation texting(List<String> templates) {
        var agent = new AgentSpec("Clinic", "en-US", "You book appointments.", "", "flite:slt", "", VARIABLES,
                new Conduct(Flow.NONE, "", "", Timing.DEFAULTS, templates));
        return call(UUID.randomUUID(), false, agent, Map.of("first_name", "Ann"), CODES, "", Map.of(),
                List.of(new Turn(Speaker.AGENT, "Hello, Acme Clinic.")), NOW.minus(Duration.ofMinutes(1)));
    }

    @Test
    void sendSmsIsOfferedWithTheAgentsTemplatesOnly() throws Exception {
        server.enqueue(openAiText("Sure."));
        var out = new RecordingSink();

        brain().onCallerTurn(texting(List.of("booking-link", "price-list")), "Can you text me the link?", out);
        out.awaitDone();

        JsonNode tools = server.requests().getFirst().path("tools");
        JsonNode sendSms = null;
        for (JsonNode t : tools) {
            if (t.path("function").path("name").asText().equals("send_sms")) {
                sendSms = t.path("function");
            }
        }
        assertTrue(sendSms != null, tools.toString());
        assertEquals(FakeChatServer.JSON.valueToTree(List.of("booking-link", "price-list")),
                sendSms.path("parameters").path("properties").path("template").path("enum"));
        assertEquals("template", sendSms.path("parameters").path("required").get(0).asText());
    }

    @Test
    void sendSmsTextsAnAllowedTemplateAndTellsTheModelWhatCameOfEachAsk() throws Exception {
        server.enqueue(
                new OpenAiStream().toolCall("send_sms", "{\"template\":\"free text: click evil.example\"}")
                        .toolCall("send_sms", "{}")
                        .toolCall("send_sms", "{\"template\":", "\"booking-link\"}")
                        .toolCall("send_sms", "{\"template\":\"booking-link\"}")
                        .toolCall("send_sms", "{\"template\":\"price-list\"}").finish(),
                openAiText("I've texted you the booking link, but I can't send the price list."));
        var out = new RecordingSink();
        out.refused.add("price-list");

        brain().onCallerTurn(texting(List.of("booking-link", "price-list")), "Text me the link and the prices.", out);

        assertEquals(List.of("sms:booking-link", "sms:booking-link", "sms:price-list",
                "say:I've texted you the booking link, but I can't send the price list.", "done"), out.awaitDone());
        List<String> results = toolResults(1);
        assertTrue(results.get(0).startsWith("Error: 'free text: click evil.example' is not a message this agent may"
                + " send; the messages are [booking-link, price-list]. Nothing was sent."), results.get(0));
        assertTrue(results.get(1).startsWith("Error: template is required"), results.get(1));
        assertEquals("The message booking-link is on its way to the caller's phone.", results.get(2));
        assertTrue(results.get(3).contains("was already sent on this call and is not sent twice"), results.get(3));
        assertTrue(results.get(4).startsWith("The message was not sent (opted_out: the recipient opted out of texts)."
                + " Tell the caller"), results.get(4));
    }

    @Test
    void anAgentWithoutTemplatesHasNoSendSmsAndACallToItIsRefused() throws Exception {
        server.enqueue(new OpenAiStream().toolCall("send_sms", "{\"template\":\"booking-link\"}").finish(),
                openAiText("I can't text you, sorry."));
        var out = new RecordingSink();

        brain().onCallerTurn(texting(List.of()), "Text me the link.", out);

        assertEquals(List.of("say:I can't text you, sorry.", "done"), out.awaitDone());
        assertTrue(toolResults(1).getFirst().startsWith("Error: this agent may not send texts"), toolResults(1).toString());
        server.requests().getFirst().path("tools").forEach(t ->
                assertFalse(t.path("function").path("name").asText().equals("send_sms"), t.toString()));
    }
}
