package io.switchboard.conversation.brain.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Reading a provider's Retry-After header. */
class RetryAfterTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T05:00:00Z"), ZoneOffset.UTC);

    @Test
    void secondsAndHttpDatesAreRead() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), RetryAfter.parse(" 7 ", CLOCK));
        assertEquals(Optional.of(Duration.ofSeconds(90)),
                RetryAfter.parse("Sun, 06 Dec 2026 05:01:30 GMT", CLOCK));
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Sun, 06 Dec 2026 04:00:00 GMT", CLOCK));
    }

    @Test
    void anythingElseIsIgnored() {
        assertEquals(Optional.empty(), RetryAfter.parse("soon", CLOCK));
        assertEquals(Optional.empty(), RetryAfter.parse("-3", CLOCK));
        assertEquals(Optional.empty(), RetryAfter.parse("", CLOCK));
    }
}
