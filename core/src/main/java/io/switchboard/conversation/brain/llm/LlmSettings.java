package io.switchboard.conversation.brain.llm;

import java.time.Duration;
import java.util.Objects;

import io.switchboard.summaries.RetryPolicy;

/**
 * How {@link LlmBrain} talks to its provider and what it says when the provider lets it down.
 *
 * @param provider          recorded name, e.g. {@code openai:gpt-4o-mini}
 * @param baaCovered        whether a HIPAA business associate agreement covers this provider (deployment setting)
 * @param requestTimeout    the HTTP timeout the model was built with, named in errors
 * @param firstTokenTimeout no text or tool call this long after a request → holding phrase and retry
 * @param streamIdleTimeout a stream that goes silent this long after its first token is treated as broken
 * @param retry             attempts per model request and the backoff between them
 * @param maxRetryAfter     a provider asking (Retry-After) to wait longer than this is given up on at once: the
 *                          caller would hear nothing but holding phrases
 * @param endCallGrace      {@code end_call} is refused this soon after the call was answered
 * @param maxToolRounds     model requests per reply that may follow tool results
 * @param failureDisposition the disposition when the provider failed for good and there is no transfer number
 */
public record LlmSettings(String provider, boolean baaCovered, Duration requestTimeout, Duration firstTokenTimeout,
                          Duration streamIdleTimeout, RetryPolicy retry, Duration maxRetryAfter,
                          Duration endCallGrace, int maxToolRounds,
                          Phrases phrases, String failureDisposition) {

    /** What the agent says on its own, without the model. */
    public record Phrases(String holding, String apology, String transferring, String goodbye) {

        public static final Phrases DEFAULT = new Phrases("One moment, please.",
                "I'm sorry, I'm having technical trouble right now.",
                "Let me transfer you to a colleague.",
                "We'll get back to you soon. Goodbye.");

        public Phrases {
            Objects.requireNonNull(holding);
            Objects.requireNonNull(apology);
            Objects.requireNonNull(transferring);
            Objects.requireNonNull(goodbye);
        }
    }

    public static final Duration DEFAULT_FIRST_TOKEN_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_END_CALL_GRACE = Duration.ofSeconds(5);
    public static final RetryPolicy DEFAULT_RETRY = new RetryPolicy(3, Duration.ofMillis(250), Duration.ofSeconds(2));
    public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_TOOL_ROUNDS = 4;
    public static final String DEFAULT_FAILURE_DISPOSITION = "agent_error";

    public LlmSettings {
        Objects.requireNonNull(provider);
        Objects.requireNonNull(retry);
        Objects.requireNonNull(phrases);
        Objects.requireNonNull(failureDisposition);
        requirePositive("first-token-timeout", firstTokenTimeout);
        requirePositive("stream-idle-timeout", streamIdleTimeout);
        requirePositive("request timeout", requestTimeout);
        if (maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("retry.max-retry-after cannot be negative");
        }
        if (endCallGrace.isNegative()) {
            throw new IllegalArgumentException("end-call-grace cannot be negative");
        }
        if (maxToolRounds < 1) {
            throw new IllegalArgumentException("max-tool-rounds must be at least 1");
        }
    }

    /** The defaults for {@code provider}, with the given request timeout. */
    public static LlmSettings defaults(String provider, boolean baaCovered, Duration requestTimeout) {
        return new LlmSettings(provider, baaCovered, requestTimeout, DEFAULT_FIRST_TOKEN_TIMEOUT,
                DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_RETRY, DEFAULT_MAX_RETRY_AFTER, DEFAULT_END_CALL_GRACE, DEFAULT_MAX_TOOL_ROUNDS,
                Phrases.DEFAULT, DEFAULT_FAILURE_DISPOSITION);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
