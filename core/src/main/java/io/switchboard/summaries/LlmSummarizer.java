package io.switchboard.summaries;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;

/**
 * Abstractive summaries, capture variables and dispositions from a language model behind LangChain4j's
 * {@link ChatModel} (an OpenAI-compatible endpoint or Ollama; see {@link Summarizers}). The model is asked for
 * JSON through a response-format schema built by {@link SummarySchema}, and the reply is validated against the
 * agent's schema again here. Transient provider failures (timeouts, 429, 5xx) are retried with jittered
 * exponential backoff; a reply that is not JSON is asked for once more. The model's own client must not retry
 * (build it with {@code maxRetries(0)}), so the bound configured here is the only one.
 */
public final class LlmSummarizer implements CallSummarizer {

    private static final String REASK = "Your previous reply could not be used: %s. "
            + "Reply again with only the JSON object that matches the schema.";

    private final ChatModel model;
    private final String provider;
    private final boolean baaCovered;
    private final RetryPolicy retry;
    private final Duration timeout;

    /**
     * @param timeout the per-request timeout the model was built with, named in errors
     */
    public LlmSummarizer(ChatModel model, String provider, boolean baaCovered, RetryPolicy retry, Duration timeout) {
        this.model = model;
        this.provider = provider;
        this.baaCovered = baaCovered;
        this.retry = retry;
        this.timeout = timeout;
    }

    @Override
    public String provider() {
        return provider;
    }

    @Override
    public boolean baaCovered() {
        return baaCovered;
    }

    @Override
    public SummaryResult summarize(SummaryRequest request) {
        if (request.transcript().stream().allMatch(u -> u.text().isBlank())) {
            return nothingToSummarise(request);
        }
        var schema = new SummarySchema(request);
        var messages = new ArrayList<ChatMessage>(List.of(
                SystemMessage.from(schema.systemPrompt()),
                UserMessage.from(SummarySchema.transcript(request.transcript()))));
        ModelUsage usage = ModelUsage.NONE;
        int attempts = 0;
        for (int ask = 1; ; ask++) {
            ChatRequest chat = ChatRequest.builder().messages(messages).responseFormat(schema.responseFormat()).build();
            Answer answer = chatWithRetry(chat, attempts);
            attempts = answer.attempts();
            usage = usage.plus(usage(answer.response().tokenUsage()));
            String content = answer.response().aiMessage().text();
            try {
                SummarySchema.Parsed parsed = schema.parse(content);
                return new SummaryResult(parsed.summary(), parsed.variables(), parsed.disposition(), provider, usage,
                        parsed.notProduced());
            } catch (SummarySchema.Malformed e) {
                if (ask == 2) {
                    throw new SummarizationException(provider, "the model twice replied with something other than "
                            + "the requested JSON (" + e.getMessage() + ")", null, abbreviate(content), attempts,
                            false, e);
                }
                messages.add(AiMessage.from(content == null ? "" : content));
                messages.add(UserMessage.from(REASK.formatted(e.getMessage())));
            }
        }
    }

    private record Answer(ChatResponse response, int attempts) {
    }

    private Answer chatWithRetry(ChatRequest chat, int attemptsSoFar) {
        int attempts = attemptsSoFar;
        for (int attempt = 1; ; attempt++) {
            attempts++;
            try {
                return new Answer(model.chat(chat), attempts);
            } catch (RuntimeException e) {
                ProviderFailure failure = ProviderFailure.classify(e, timeout);
                if (!failure.retryable()) {
                    throw new SummarizationException(provider, failure.what(), failure.status(), failure.message(),
                            attempts, false, e);
                }
                if (attempt >= retry.maxAttempts()) {
                    throw new SummarizationException(provider, failure.what() + ", giving up", failure.status(),
                            failure.message(), attempts, true, e);
                }
                sleep(retry.backoff(attempt), attempts, e);
            }
        }
    }

    private void sleep(Duration backoff, int attempts, RuntimeException cause) {
        try {
            Thread.sleep(backoff);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new SummarizationException(provider, "interrupted while backing off", null, null, attempts, true,
                    cause);
        }
    }

    private static ModelUsage usage(TokenUsage usage) {
        if (usage == null) {
            return ModelUsage.NONE;
        }
        return new ModelUsage(orZero(usage.inputTokenCount()), orZero(usage.outputTokenCount()));
    }

    private static long orZero(Integer n) {
        return n == null ? 0 : n;
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 500) + "...";
    }

    private SummaryResult nothingToSummarise(SummaryRequest request) {
        var notProduced = new ArrayList<NotProduced>();
        notProduced.add(new NotProduced(NotProduced.SUMMARY, "empty transcript"));
        if (!request.variables().isEmpty()) {
            notProduced.add(new NotProduced(NotProduced.VARIABLES, "empty transcript"));
        }
        if (!request.dispositionCodes().isEmpty()) {
            notProduced.add(new NotProduced(NotProduced.DISPOSITION, "empty transcript"));
        }
        return new SummaryResult(Optional.empty(), Map.of(), Optional.empty(), provider, ModelUsage.NONE, notProduced);
    }
}
