package io.switchboard.campaigns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CallingWindowTest {

    private static final Optional<ZoneId> NEW_YORK = Optional.of(ZoneId.of("America/New_York"));

    @Test
    void theWindowIsReadInTheCalleesLocalTime() {
        // 13:30 UTC on a Monday in March (after the US DST switch) is 09:30 in New York, 06:30 in Los Angeles
        Instant at = Instant.parse("2026-03-16T13:30:00Z");
        assertTrue(CallingWindow.DEFAULT.allows(at, NEW_YORK));
        assertFalse(CallingWindow.DEFAULT.allows(at, Optional.of(ZoneId.of("America/Los_Angeles"))));
    }

    @Test
    void startIsInclusiveAndEndExclusive() {
        assertTrue(CallingWindow.DEFAULT.allows(Instant.parse("2026-03-16T12:00:00Z"), NEW_YORK)); // 08:00
        assertFalse(CallingWindow.DEFAULT.allows(Instant.parse("2026-03-17T01:00:00Z"), NEW_YORK)); // 21:00
        assertTrue(CallingWindow.DEFAULT.allows(Instant.parse("2026-03-17T00:59:59Z"), NEW_YORK));
    }

    @Test
    void daysAreTheCalleesDaysNotUtcs() {
        CallingWindow weekdays = new CallingWindow(LocalTime.of(8, 0), LocalTime.of(21, 0),
                EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), "");
        // Saturday 00:30 UTC is still Friday 20:30 in New York
        assertTrue(weekdays.allows(Instant.parse("2026-03-21T00:30:00Z"), NEW_YORK));
        assertFalse(weekdays.allows(Instant.parse("2026-03-21T14:00:00Z"), NEW_YORK));
    }

    @Test
    void anUnknownZoneFallsBackOrRefuses() {
        Instant at = Instant.parse("2026-03-16T15:00:00Z"); // 10:00 Chicago
        assertFalse(CallingWindow.DEFAULT.allows(at, Optional.empty()), "no zone, no call");
        CallingWindow chicago = new CallingWindow(LocalTime.of(8, 0), LocalTime.of(21, 0), Set.of(), "America/Chicago");
        assertTrue(chicago.allows(at, Optional.empty()));
        assertFalse(chicago.allows(at, Optional.of(ZoneId.of("Asia/Tokyo"))), "a known callee zone beats the fallback");
    }

    @Test
    void emptyDaysMeanEveryDayAndAnInvertedWindowIsRejected() {
        assertTrue(new CallingWindow(LocalTime.of(8, 0), LocalTime.of(9, 0), Set.of(), "").days().size() == 7);
        assertThrows(IllegalArgumentException.class,
                () -> new CallingWindow(LocalTime.of(21, 0), LocalTime.of(8, 0), Set.of(), ""));
    }
}
