package io.switchboard.conversation.tts;

import java.time.Duration;
import java.util.Optional;

/**
 * A synthesiser could not speak a sentence. {@link #kind()} tells the conversation loop what to do: retry later
 * ({@link Kind#RATE_LIMITED}, {@link Kind#UNAVAILABLE}), or give up on this engine until an operator acts
 * ({@link Kind#UNAUTHENTICATED}, {@link Kind#REJECTED}, {@link Kind#ENGINE}).
 */
public final class SpeechSynthesisException extends RuntimeException {

    public enum Kind {
        /** The service refused the API key (HTTP 401/403). */
        UNAUTHENTICATED,
        /** Too many requests or quota exhausted (HTTP 429); see {@link #retryAfter()}. */
        RATE_LIMITED,
        /** The service failed or could not be reached (HTTP 5xx, connection refused, timeout). */
        UNAVAILABLE,
        /** The service refused the request itself (HTTP 4xx other than the above: unknown model, bad voice). */
        REJECTED,
        /** A local engine failed (process exit status, malformed audio). */
        ENGINE
    }

    private final Kind kind;
    private final Duration retryAfter; // null when the service did not say

    public SpeechSynthesisException(Kind kind, String message, Optional<Duration> retryAfter, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.retryAfter = retryAfter.orElse(null);
    }

    public SpeechSynthesisException(Kind kind, String message) {
        this(kind, message, Optional.empty(), null);
    }

    public Kind kind() {
        return kind;
    }

    /** How long the service asked us to wait (its Retry-After header), when it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
