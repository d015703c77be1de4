package io.switchboard.dialer;

import java.util.Locale;
import java.util.Optional;

import io.switchboard.campaigns.RetryPolicy;

/** How a dial attempt ended. Stored by its lower-case name. */
public enum DialOutcome {
    /** answered by a person, and the call ran */
    COMPLETED,
    BUSY,
    NO_ANSWER,
    /** the carrier could not place it (bad number, network, refusal) */
    FAILED,
    /** answered by a machine */
    VOICEMAIL,
    /** hung up by us before it was answered: the campaign was cancelled */
    CANCELED,
    /** never placed: the carrier could not be reached (an outage); counts toward no limit */
    NOT_PLACED;

    public String dbName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DialOutcome fromDb(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }

    /** The retry-policy outcome this one is, if a campaign's retry policy can name it. */
    public Optional<RetryPolicy.Outcome> retryable() {
        return switch (this) {
            case BUSY -> Optional.of(RetryPolicy.Outcome.BUSY);
            case NO_ANSWER -> Optional.of(RetryPolicy.Outcome.NO_ANSWER);
            case FAILED -> Optional.of(RetryPolicy.Outcome.FAILED);
            case VOICEMAIL -> Optional.of(RetryPolicy.Outcome.VOICEMAIL);
            case COMPLETED, CANCELED, NOT_PLACED -> Optional.empty();
        };
    }

    /** Whether the callee (or their machine) picked up. */
    public boolean reached() {
        return this == COMPLETED || this == VOICEMAIL;
    }
}
