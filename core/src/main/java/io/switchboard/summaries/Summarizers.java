package io.switchboard.summaries;

import java.time.Duration;
import java.util.Locale;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.helidon.config.Config;
import io.switchboard.common.Configs;

/**
 * Builds the configured {@link CallSummarizer} from {@code summaries.*}: {@code in-process} (the default, no
 * network), {@code openai} (any OpenAI-compatible chat-completions endpoint) or {@code ollama}.
 */
public final class Summarizers {

    private Summarizers() {
    }

    /** @param config the configuration root (the one holding {@code summaries}) */
    public static CallSummarizer fromConfig(Config config) {
        Config s = config.get("summaries");
        String provider = s.get("provider").asString().orElse(ExtractiveSummarizer.PROVIDER).strip()
                .toLowerCase(Locale.ROOT);
        RetryPolicy retry = new RetryPolicy(
                s.get("retry.max-attempts").asInt().orElse(RetryPolicy.DEFAULT.maxAttempts()),
                Configs.duration(s.get("retry.initial-backoff"), RetryPolicy.DEFAULT.initialBackoff()),
                Configs.duration(s.get("retry.max-backoff"), RetryPolicy.DEFAULT.maxBackoff()));
        return switch (provider) {
            case ExtractiveSummarizer.PROVIDER -> ExtractiveSummarizer.create();
            case "openai" -> openAi(s.get("openai"), retry);
            case "ollama" -> ollama(s.get("ollama"), retry);
            default -> throw new IllegalStateException("summaries.provider must be in-process, openai or ollama, got '"
                    + provider + "'");
        };
    }

    private static CallSummarizer openAi(Config c, RetryPolicy retry) {
        String model = Configs.required(c, "summaries.openai.model");
        Duration timeout = Configs.duration(c.get("timeout"), Duration.ofSeconds(60));
        String apiKey = c.get("api-key").asString().orElse("").strip();
        ChatModel chat = OpenAiChatModel.builder()
                .baseUrl(Configs.required(c, "summaries.openai.base-url"))
                // OpenAI-compatible servers on a private network often need no key; send no header then
                .apiKey(apiKey.isEmpty() ? null : apiKey)
                .modelName(model)
                .timeout(timeout)
                .maxRetries(0)
                .strictJsonSchema(true)
                .build();
        return new LlmSummarizer(chat, "openai:" + model, c.get("baa-covered").asBoolean().orElse(false), retry,
                timeout);
    }

    private static CallSummarizer ollama(Config c, RetryPolicy retry) {
        String model = Configs.required(c, "summaries.ollama.model");
        Duration timeout = Configs.duration(c.get("timeout"), Duration.ofSeconds(120));
        ChatModel chat = OllamaChatModel.builder()
                .baseUrl(Configs.required(c, "summaries.ollama.base-url"))
                .modelName(model)
                .timeout(timeout)
                .maxRetries(0)
                .build();
        return new LlmSummarizer(chat, "ollama:" + model, c.get("baa-covered").asBoolean().orElse(false), retry,
                timeout);
    }
}
