package io.switchboard.summaries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.CaptureVariable.Type;
import io.switchboard.summaries.Utterance.Speaker;

/** The OpenAI adapter against a local server speaking the chat-completions wire format. */
class OpenAiSummarizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CODES = List.of("sale", "callback_scheduled", "not_interested");

    /** What the fake server answers next: a status, a body, and optionally a delay before answering. */
    record Reply(int status, String body, long delayMs, Map<String, String> headers) {
        static Reply ok(String content) {
            return new Reply(200, completion(content), 0, Map.of());
        }
    }

    private HttpServer server;
    private ExecutorService executor;
    private final ConcurrentLinkedQueue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/v1/chat/completions", exchange -> {
            try (exchange) {
                requests.add(JSON.readTree(exchange.getRequestBody()));
                authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
                Reply reply = replies.poll();
                if (reply == null) {
                    reply = new Reply(500, "{\"error\":{\"message\":\"no reply scripted\"}}", 0, Map.of());
                }
                if (reply.delayMs() > 0) {
                    Thread.sleep(reply.delayMs());
                }
                byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                reply.headers().forEach(exchange.getResponseHeaders()::add);
                exchange.sendResponseHeaders(reply.status(), body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client gave up (timeout test); nothing to answer
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
        executor.shutdownNow();
    }

    private CallSummarizer summarizer(String timeout, int maxAttempts) {
        var settings = new HashMap<String, String>();
        settings.put("summaries.provider", "openai");
        settings.put("summaries.openai.base-url", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
        settings.put("summaries.openai.api-key", "test-key");
        settings.put("summaries.openai.model", "gpt-test");
        settings.put("summaries.openai.timeout", timeout);
        settings.put("summaries.openai.baa-covered", "true");
        settings.put("summaries.retry.max-attempts", String.valueOf(maxAttempts));
        settings.put("summaries.retry.initial-backoff", "PT0.01S");
        settings.put("summaries.retry.max-backoff", "PT0.05S");
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(settings)).build();
        return Summarizers.fromConfig(config);
    }

    private CallSummarizer summarizer() {
        return summarizer("PT10S", 3);
    }

    static SummaryRequest request() {
        return new SummaryRequest(
                List.of(new Utterance(Speaker.AGENT, "The Growth plan is 49 dollars per seat.", 0, 3000),
                        new Utterance(Speaker.CUSTOMER, "Call me back on March 14th, my budget is 800 a month.",
                                3000, 7000)),
                "Summarise the outcome for the sales team.",
                List.of(new CaptureVariable("callback_date", Type.DATE, "When to call back", List.of(), true),
                        new CaptureVariable("budget", Type.NUMBER, "Monthly budget in dollars", List.of(), false),
                        new CaptureVariable("decision_maker", Type.BOOLEAN, "Is the caller the decision maker",
                                List.of(), false),
                        new CaptureVariable("plan", Type.ENUM, "Plan discussed", List.of("starter", "growth"), false),
                        new CaptureVariable("objection", Type.STRING, "Main objection", List.of(), false)),
                CODES);
    }

    static ObjectNode answer() {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("summary", "Customer wants a callback on March 14th about the Growth plan.");
        ObjectNode vars = answer.putObject("variables");
        vars.put("callback_date", "2026-03-14");
        vars.put("budget", 800);
        vars.put("decision_maker", true);
        vars.put("plan", "growth");
        vars.putNull("objection");
        answer.put("disposition", "callback_scheduled");
        return answer;
    }

    static String completion(String content) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-test");
        root.put("object", "chat.completion");
        root.put("created", 1_700_000_000L);
        root.put("model", "gpt-test");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        choice.put("finish_reason", "stop");
        root.putObject("usage").put("prompt_tokens", 120).put("completion_tokens", 45).put("total_tokens", 165);
        return root.toString();
    }

    @Test
    void happyPathReturnsTypedVariablesDispositionAndTokens() {
        replies.add(Reply.ok(answer().toString()));

        SummaryResult result = summarizer().summarize(request());

        assertEquals(Optional.of("Customer wants a callback on March 14th about the Growth plan."), result.summary());
        assertEquals(new CapturedValue.Date(LocalDate.of(2026, 3, 14)), result.variables().get("callback_date"));
        assertEquals(new CapturedValue.Number(new BigDecimal("800")), result.variables().get("budget"));
        assertEquals(new CapturedValue.Bool(true), result.variables().get("decision_maker"));
        assertEquals(new CapturedValue.Choice("growth"), result.variables().get("plan"));
        assertFalse(result.variables().containsKey("objection"));
        assertEquals(List.of(new NotProduced("variables.objection", "not stated in the call")), result.notProduced());
        assertEquals(Optional.of("callback_scheduled"), result.disposition());
        assertEquals(new ModelUsage(120, 45), result.usage());
        assertEquals("openai:gpt-test", result.provider());
    }

    @Test
    void requestCarriesTheJsonSchemaAndTheTranscript() {
        replies.add(Reply.ok(answer().toString()));

        CallSummarizer summarizer = summarizer();
        summarizer.summarize(request());

        assertTrue(summarizer.baaCovered());
        assertEquals(1, requests.size());
        JsonNode body = requests.getFirst();
        assertEquals("gpt-test", body.path("model").asText());
        assertEquals("Bearer test-key", authorizations.getFirst());
        JsonNode format = body.path("response_format");
        assertEquals("json_schema", format.path("type").asText());
        assertTrue(format.path("json_schema").path("strict").asBoolean());
        JsonNode schema = format.path("json_schema").path("schema");
        assertEquals(JSON.valueToTree(CODES), schema.path("properties").path("disposition").path("enum"));
        JsonNode vars = schema.path("properties").path("variables").path("properties");
        assertEquals(JSON.valueToTree(List.of("starter", "growth")), vars.path("plan").path("anyOf").get(0).path("enum"));
        assertEquals("number", vars.path("budget").path("anyOf").get(0).path("type").asText());
        assertEquals("null", vars.path("budget").path("anyOf").get(1).path("type").asText());
        String messages = body.path("messages").toString();
        assertTrue(messages.contains("AGENT: The Growth plan is 49 dollars per seat."), messages);
        assertTrue(messages.contains("CUSTOMER: Call me back on March 14th"), messages);
        assertTrue(messages.contains("Summarise the outcome for the sales team."), messages);
    }

    @Test
    void valuesOfTheWrongTypeAreNotProducedForThatVariableOnly() {
        ObjectNode answer = answer();
        ((ObjectNode) answer.get("variables")).put("budget", "about eight hundred");
        ((ObjectNode) answer.get("variables")).put("plan", "platinum");
        ((ObjectNode) answer.get("variables")).put("callback_date", "next Thursday");
        replies.add(Reply.ok(answer.toString()));

        SummaryResult result = summarizer().summarize(request());

        assertEquals(List.of("decision_maker"), List.copyOf(result.variables().keySet()));
        assertEquals(Optional.of("expected a number, got \"about eight hundred\""),
                result.notProducedReason("variables.budget"));
        assertEquals(Optional.of("expected one of [starter, growth], got \"platinum\""),
                result.notProducedReason("variables.plan"));
        assertEquals(Optional.of("expected an ISO date yyyy-MM-dd, got \"next Thursday\""),
                result.notProducedReason("variables.callback_date"));
        assertEquals(Optional.of("callback_scheduled"), result.disposition());
        assertTrue(result.summary().isPresent());
    }

    @Test
    void missingRequiredVariableIsReportedNotInvented() {
        ObjectNode answer = answer();
        ((ObjectNode) answer.get("variables")).putNull("callback_date");
        replies.add(Reply.ok(answer.toString()));

        SummaryResult result = summarizer().summarize(request());

        assertFalse(result.variables().containsKey("callback_date"));
        assertEquals(Optional.of("required value not stated in the call"),
                result.notProducedReason("variables.callback_date"));
    }

    @Test
    void dispositionOutsideTheCampaignCodesIsNotProduced() {
        replies.add(Reply.ok(answer().put("disposition", "maybe_later").toString()));

        SummaryResult result = summarizer().summarize(request());

        assertEquals(Optional.empty(), result.disposition());
        assertTrue(result.notProducedReason("disposition").orElseThrow().contains("\"maybe_later\""));
        assertEquals(4, result.variables().size());
    }

    @Test
    void rateLimitedRequestSucceedsAfterRetry() {
        replies.add(new Reply(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit\"}}", 0,
                Map.of("Retry-After", "0")));
        replies.add(Reply.ok(answer().toString()));

        SummaryResult result = summarizer().summarize(request());

        assertEquals(2, requests.size());
        assertEquals(Optional.of("callback_scheduled"), result.disposition());
        assertEquals(new ModelUsage(120, 45), result.usage());
    }

    @Test
    void persistentServerErrorsFailAfterBoundedAttempts() {
        for (int i = 0; i < 5; i++) {
            replies.add(new Reply(500, "{\"error\":{\"message\":\"upstream overloaded\"}}", 0, Map.of()));
        }

        var e = assertThrows(SummarizationException.class, () -> summarizer().summarize(request()));

        assertEquals(3, requests.size());
        assertEquals(3, e.attempts());
        assertEquals(OptionalInt.of(500), e.httpStatus());
        assertTrue(e.providerMessage().orElseThrow().contains("upstream overloaded"));
        assertTrue(e.retryable());
        assertEquals("openai:gpt-test", e.provider());
    }

    @Test
    void clientErrorsAreNotRetried() {
        replies.add(new Reply(401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}", 0, Map.of()));

        var e = assertThrows(SummarizationException.class, () -> summarizer().summarize(request()));

        assertEquals(1, requests.size());
        assertEquals(OptionalInt.of(401), e.httpStatus());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("Incorrect API key provided"), e.getMessage());
    }

    @Test
    void malformedJsonIsAskedForAgainOnce() {
        replies.add(Reply.ok("Sure! The customer wants a callback."));
        replies.add(Reply.ok(answer().toString()));

        SummaryResult result = summarizer().summarize(request());

        assertEquals(2, requests.size());
        String reask = requests.get(1).path("messages").toString();
        assertTrue(reask.contains("Sure! The customer wants a callback."), reask);
        assertTrue(reask.contains("not valid JSON"), reask);
        assertEquals(new ModelUsage(240, 90), result.usage());
        assertEquals(Optional.of("callback_scheduled"), result.disposition());
    }

    @Test
    void malformedJsonTwiceIsAnError() {
        replies.add(Reply.ok("Sure! The customer wants a callback."));
        replies.add(Reply.ok("[\"still\", \"not\", \"an object\"]"));

        var e = assertThrows(SummarizationException.class, () -> summarizer().summarize(request()));

        assertEquals(2, requests.size());
        assertTrue(e.getMessage().contains("not a JSON object"), e.getMessage());
        assertEquals(Optional.of("[\"still\", \"not\", \"an object\"]"), e.providerMessage());
    }

    @Test
    void providerThatDoesNotAnswerInTimeIsAnError() {
        replies.add(new Reply(200, completion(answer().toString()), 5_000, Map.of()));
        replies.add(new Reply(200, completion(answer().toString()), 5_000, Map.of()));

        var e = assertThrows(SummarizationException.class, () -> summarizer("PT0.3S", 2).summarize(request()));

        assertEquals(2, e.attempts());
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
    }

    @Test
    void emptyTranscriptCostsNoRequest() {
        SummaryResult result = summarizer().summarize(
                new SummaryRequest(List.of(), "", request().variables(), CODES));

        assertEquals(0, requests.size());
        assertEquals(Optional.of("empty transcript"), result.notProducedReason("summary"));
        assertEquals(Optional.of("empty transcript"), result.notProducedReason("variables"));
        assertEquals(Optional.of("empty transcript"), result.notProducedReason("disposition"));
    }

    @Test
    void defaultConfigurationIsTheInProcessSummariser() {
        assertInstanceOf(ExtractiveSummarizer.class, Summarizers.fromConfig(io.switchboard.common.Configs.defaults()));
    }

    @Test
    void unknownProviderIsAConfigurationError() {
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("summaries.provider", "gpt-please"))).build();

        var e = assertThrows(IllegalStateException.class, () -> Summarizers.fromConfig(config));
        assertTrue(e.getMessage().contains("summaries.provider"));
    }
}
