package io.switchboard.conversation.brain.llm;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.helidon.config.Config;
import io.switchboard.common.Configs;
import io.switchboard.summaries.RetryPolicy;

/**
 * Builds the {@link LlmBrain} from {@code conversation.llm.*}, configured like the summariser
 * ({@code summaries.*}): {@code provider} is {@code openai} (any OpenAI-compatible chat-completions endpoint) or
 * {@code ollama}, each with {@code base-url}, {@code model}, {@code api-key} (OpenAI), {@code timeout} and
 * {@code baa-covered}; {@code retry.*} (with {@code max-retry-after}), {@code first-token-timeout}, {@code stream-idle-timeout},
 * {@code end-call-grace}, {@code max-tool-rounds}, {@code failure-disposition} and {@code phrases.*} tune the
 * call behaviour. Empty when no provider is configured (the flow brain is then the only one).
 */
public final class LlmBrains {

    private LlmBrains() {
    }

    /** As {@link #fromConfig(Config, Clock, TokenMeter)}, metering nothing. */
    public static Optional<LlmBrain> fromConfig(Config config, Clock clock) {
        return fromConfig(config, clock, TokenMeter.NONE);
    }

    /**
     * @param config the configuration root (the one holding {@code conversation})
     * @param meter  hears the tokens every model request was billed
     */
    public static Optional<LlmBrain> fromConfig(Config config, Clock clock, TokenMeter meter) {
        Config c = config.get("conversation.llm");
        String provider = c.get("provider").asString().orElse("").strip().toLowerCase(Locale.ROOT);
        if (provider.isEmpty() || provider.equals("none")) {
            return Optional.empty();
        }
        Config p = c.get(provider);
        String model = Configs.required(p, "conversation.llm." + provider + ".model");
        String baseUrl = Configs.required(p, "conversation.llm." + provider + ".base-url");
        Duration timeout = Configs.duration(p.get("timeout"), Duration.ofSeconds(30));
        // LangChain4j's JDK client, built so a refused request's Retry-After reaches the brain (see RetryAfter)
        HttpClientBuilder http = JdkHttpClient.builder()
                .httpClientBuilder(RetryAfter.recording(java.net.http.HttpClient.newBuilder(), clock));
        StreamingChatModel chat = switch (provider) {
            case "openai" -> {
                String apiKey = p.get("api-key").asString().orElse("").strip();
                yield OpenAiStreamingChatModel.builder()
                        .httpClientBuilder(http)
                        .baseUrl(baseUrl)
                        // OpenAI-compatible servers on a private network often need no key; send no header then
                        .apiKey(apiKey.isEmpty() ? null : apiKey)
                        .modelName(model)
                        .timeout(timeout)
                        .temperature(p.get("temperature").asDouble().orElse(null))
                        .build();
            }
            case "ollama" -> OllamaStreamingChatModel.builder()
                    .httpClientBuilder(http)
                    .baseUrl(baseUrl)
                    .modelName(model)
                    .timeout(timeout)
                    .temperature(p.get("temperature").asDouble().orElse(null))
                    .build();
            default -> throw new IllegalStateException("conversation.llm.provider must be openai, ollama or none, "
                    + "got '" + provider + "'");
        };
        LlmSettings.Phrases d = LlmSettings.Phrases.DEFAULT;
        Config phrases = c.get("phrases");
        var settings = new LlmSettings(provider + ":" + model, p.get("baa-covered").asBoolean().orElse(false),
                timeout,
                Configs.duration(c.get("first-token-timeout"), LlmSettings.DEFAULT_FIRST_TOKEN_TIMEOUT),
                Configs.duration(c.get("stream-idle-timeout"), LlmSettings.DEFAULT_STREAM_IDLE_TIMEOUT),
                new RetryPolicy(
                        c.get("retry.max-attempts").asInt().orElse(LlmSettings.DEFAULT_RETRY.maxAttempts()),
                        Configs.duration(c.get("retry.initial-backoff"), LlmSettings.DEFAULT_RETRY.initialBackoff()),
                        Configs.duration(c.get("retry.max-backoff"), LlmSettings.DEFAULT_RETRY.maxBackoff())),
                Configs.duration(c.get("retry.max-retry-after"), LlmSettings.DEFAULT_MAX_RETRY_AFTER),
                Configs.duration(c.get("end-call-grace"), LlmSettings.DEFAULT_END_CALL_GRACE),
                c.get("max-tool-rounds").asInt().orElse(LlmSettings.DEFAULT_MAX_TOOL_ROUNDS),
                new LlmSettings.Phrases(
                        phrases.get("holding").asString().orElse(d.holding()),
                        phrases.get("apology").asString().orElse(d.apology()),
                        phrases.get("transferring").asString().orElse(d.transferring()),
                        phrases.get("goodbye").asString().orElse(d.goodbye())),
                c.get("failure-disposition").asString().orElse(LlmSettings.DEFAULT_FAILURE_DISPOSITION));
        return Optional.of(new LlmBrain(chat, settings, clock, meter));
    }
}
