package io.switchboard.campaigns;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/** How often, and after which outcomes, a contact is called again. */
public record RetryPolicy(int maxAttempts, Duration retryDelay, Set<Outcome> retryOn) {

    public static final int MAX_ATTEMPTS = 20;
    public static final Duration MAX_DELAY = Duration.ofDays(30);
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofHours(1),
            EnumSet.of(Outcome.BUSY, Outcome.NO_ANSWER, Outcome.FAILED));

    /** Call outcomes a retry can be keyed on; stored by their lower-case names. */
    public enum Outcome {
        BUSY, NO_ANSWER, FAILED, VOICEMAIL;

        public String dbName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Outcome fromDb(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }

    public RetryPolicy {
        retryOn = retryOn.isEmpty() ? EnumSet.noneOf(Outcome.class) : EnumSet.copyOf(retryOn);
    }
}
