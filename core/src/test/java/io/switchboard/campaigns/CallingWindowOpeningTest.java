package io.switchboard.campaigns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.switchboard.contacts.PhoneNumbers;
import org.junit.jupiter.api.Test;

/** When a deferred call may go: daylight-saving changes, numbers that span zones, weekdays and holidays. */
class CallingWindowOpeningTest {

    private static final ZoneId NY = ZoneId.of("America/New_York");
    private static final ZoneId LA = ZoneId.of("America/Los_Angeles");

    @Test
    void theNextMorningIsFoundAcrossTheSpringForwardChange() {
        // 21:30 EST on Saturday 7 March 2026; clocks go forward at 02:00 on the 8th
        Instant late = Instant.parse("2026-03-08T02:30:00Z");
        assertEquals(Optional.of(Instant.parse("2026-03-08T12:00:00Z")), // 08:00 EDT = 12:00 UTC, not 13:00
                CallingWindow.DEFAULT.nextOpening(late, List.of(NY), Set.of(), 10));
        // and back in November: 08:00 EST on 1 November 2026 is 13:00 UTC
        assertEquals(Optional.of(Instant.parse("2026-11-01T13:00:00Z")),
                CallingWindow.DEFAULT.nextOpening(Instant.parse("2026-11-01T05:00:00Z"), List.of(NY), Set.of(), 10));
    }

    @Test
    void aStartTimeInsideTheGapOpensAtTheFirstValidInstant() {
        CallingWindow w = new CallingWindow(LocalTime.of(2, 30), LocalTime.of(9, 0), EnumSet.allOf(DayOfWeek.class), "");
        // 02:30 does not exist in New York on 8 March 2026; the window opens at 03:30 EDT = 07:30 UTC
        assertEquals(Optional.of(Instant.parse("2026-03-08T07:30:00Z")),
                w.nextOpening(Instant.parse("2026-03-08T06:00:00Z"), List.of(NY), Set.of(), 3));
    }

    @Test
    void aNumberSpanningZonesMayOnlyBeCalledWhenEveryZoneAllowsIt() {
        // 08:30 in New York is 05:30 in Los Angeles: not yet
        Instant t = Instant.parse("2026-03-09T12:30:00Z");
        assertTrue(CallingWindow.DEFAULT.allowsEverywhere(t, List.of(NY), Set.of()));
        assertFalse(CallingWindow.DEFAULT.allowsEverywhere(t, List.of(NY, LA), Set.of()));
        // the window opens for both at 08:00 in Los Angeles = 15:00 UTC
        assertEquals(Optional.of(Instant.parse("2026-03-09T15:00:00Z")),
                CallingWindow.DEFAULT.nextOpening(t, List.of(NY, LA), Set.of(), 3));
        // and closes at 21:00 in New York (01:00 UTC), not in Los Angeles
        assertFalse(CallingWindow.DEFAULT.allowsEverywhere(Instant.parse("2026-03-10T01:30:00Z"), List.of(NY, LA), Set.of()));
        // libphonenumber knows that +1 alone spans zones, and that a New York number rings in one
        assertTrue(PhoneNumbers.zonesOf("+12125550123").equals(List.of("America/New_York")));
        assertTrue(PhoneNumbers.zonesOf("+18005550123").size() > 1, PhoneNumbers.zonesOf("+18005550123").toString());
    }

    @Test
    void weekdaysAndHolidaysAreSkipped() {
        CallingWindow weekdays = new CallingWindow(LocalTime.of(9, 0), LocalTime.of(17, 0),
                EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), "");
        // Friday 3 July 2026 18:00 in New York; Monday 6 July is a holiday: next is Tuesday 09:00 EDT
        assertEquals(Optional.of(Instant.parse("2026-07-07T13:00:00Z")), weekdays.nextOpening(
                Instant.parse("2026-07-03T22:00:00Z"), List.of(NY), Set.of(LocalDate.parse("2026-07-06")), 30));
        // a window that never opens within the horizon
        assertEquals(Optional.empty(), weekdays.nextOpening(Instant.parse("2026-07-03T22:00:00Z"), List.of(NY),
                Set.of(LocalDate.parse("2026-07-06"), LocalDate.parse("2026-07-07")), 3));
        assertEquals(Optional.empty(), weekdays.nextOpening(Instant.parse("2026-07-03T22:00:00Z"), List.of(), Set.of(), 3));
    }
}
