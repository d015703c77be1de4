package io.switchboard.campaigns;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A campaign as a client describes it, before validation: ids and times arrive as the client sent them,
 * so that {@link CampaignService} can name the exact field that is wrong. Unset numbers are 0 and unset
 * texts empty; {@link CampaignService} fills in the documented defaults on create.
 */
public record CampaignSpec(String name, String agentId, String contactListId, String callerId,
                           Optional<Instant> scheduleStart, Optional<Instant> scheduleEnd,
                           Window window, int maxConcurrency, Retry retry, List<String> dispositionCodes,
                           Dialing dialing) {

    /** Without dialing rules (their defaults on create). */
    public CampaignSpec(String name, String agentId, String contactListId, String callerId,
                        Optional<Instant> scheduleStart, Optional<Instant> scheduleEnd, Window window,
                        int maxConcurrency, Retry retry, List<String> dispositionCodes) {
        this(name, agentId, contactListId, callerId, scheduleStart, scheduleEnd, window, maxConcurrency, retry,
                dispositionCodes, Dialing.UNSET);
    }

    /** Dialing rules as sent: 0 attempts per day means the default; holidays as "YYYY-MM-DD" texts. */
    public record Dialing(boolean requireConsent, int maxAttemptsPerDay, List<String> holidays) {
        public static final Dialing UNSET = new Dialing(false, 0, List.of());
    }

    /** Calling window as sent: "HH:MM" texts, ISO day numbers 1..7, an IANA zone id. */
    public record Window(String startLocalTime, String endLocalTime, List<Integer> daysOfWeek, String fallbackTimeZone) {
        public static final Window UNSET = new Window("", "", List.of(), "");
    }

    /** Retry policy as sent; 0 / empty / unset mean the default. */
    public record Retry(int maxAttempts, Optional<Duration> retryDelay, List<RetryPolicy.Outcome> retryOn) {
        public static final Retry UNSET = new Retry(0, Optional.empty(), List.of());
    }
}
