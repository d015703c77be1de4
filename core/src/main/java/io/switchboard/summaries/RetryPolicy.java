package io.switchboard.summaries;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded retries with exponential backoff and full jitter for calls to a remote model: attempt {@code n} (from 1)
 * waits a random time up to {@code min(maxBackoff, initialBackoff * 2^(n-1))}, so many workers hitting the same
 * rate limit spread out instead of retrying in lockstep.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(500), Duration.ofSeconds(8));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max");
        }
    }

    /** The wait before retry number {@code attempt} (1 = the wait after the first failure). */
    public Duration backoff(int attempt) {
        long ceiling = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        long capped = Math.min(Math.max(ceiling, 0), maxBackoff.toMillis());
        return Duration.ofMillis(capped == 0 ? 0 : ThreadLocalRandom.current().nextLong(capped + 1));
    }
}
