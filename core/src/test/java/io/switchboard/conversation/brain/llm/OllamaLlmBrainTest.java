package io.switchboard.conversation.brain.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.agents.AgentSpec;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.Conversation.Speaker;
import io.switchboard.conversation.brain.Conversation.Turn;
import io.switchboard.conversation.brain.llm.FakeChatServer.Reply;

/** The LLM brain through LangChain4j's Ollama adapter, against a server speaking Ollama's /api/chat NDJSON stream. */
class OllamaLlmBrainTest {

    private static final Instant NOW = Instant.parse("2026-12-06T05:00:00Z");

    @Test
    void anOllamaStreamIsSpokenSentenceBySentenceAndAFailureRetried() throws Exception {
        try (var server = new FakeChatServer()) {
            server.enqueue(Reply.error(503, Map.of()),
                    FakeChatServer.ollamaText("Sure", ", I can", " help. What", " is your", " order number?"));
            Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                    .addSource(ConfigSources.create(Map.of(
                            "conversation.llm.provider", "ollama",
                            "conversation.llm.ollama.base-url", server.ollamaBaseUrl(),
                            "conversation.llm.ollama.model", "llama-test",
                            "conversation.llm.first-token-timeout", "PT5S",
                            "conversation.llm.retry.initial-backoff", "PT0.01S",
                            "conversation.llm.retry.max-backoff", "PT0.02S")))
                    .build();
            LlmBrain brain = LlmBrains.fromConfig(config, Clock.fixed(NOW, ZoneOffset.UTC)).orElseThrow();
            var agent = new AgentSpec("Support", "en-US", "You help with orders.", "", "flite:slt", "", List.of());
            var c = LlmBrainTest.call(UUID.randomUUID(), false, agent, Map.of("first_name", "Bo"), List.of(), "",
                    Map.of(), List.of(new Turn(Speaker.CALLER, "Can you help me?")), NOW.minusSeconds(30));
            var out = new LlmBrainTest.RecordingSink();

            brain.onCallerTurn(c, "Can you help me?", out);

            assertEquals(List.of("say:One moment, please.", "say:Sure, I can help.", "say:What is your order number?",
                    "done"), out.awaitDone());
            assertEquals("ollama:llama-test", brain.provider());
            assertFalse(brain.baaCovered());
            JsonNode body = server.requests().get(1);
            assertEquals("llama-test", body.path("model").asText());
            assertEquals("Can you help me?", body.path("messages").get(1).path("content").asText());
            assertEquals("end_call", body.path("tools").get(0).path("function").path("name").asText());
        }
    }
}
