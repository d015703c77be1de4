package io.switchboard.plans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class RetentionPeriodTest {

    private static Instant at(String iso) {
        return Instant.parse(iso);
    }

    private static Instant expiry(String period, String created) {
        return RetentionPeriod.parse(period).expiry(at(created)).orElseThrow();
    }

    @Test
    void yearsAreCalendarYearsIncludingLeapDays() {
        assertEquals(at("2031-01-01T10:00:00Z"), expiry("P7Y", "2024-01-01T10:00:00Z"));
        assertEquals(Duration.ofDays(7 * 365 + 2), Duration.between(at("2024-01-01T10:00:00Z"),
                expiry("P7Y", "2024-01-01T10:00:00Z")), "29 February 2024 and 2028 are kept too");
        assertEquals(at("2028-02-29T10:00:00Z"), expiry("P4Y", "2024-02-29T10:00:00Z"));
    }

    @Test
    void aMissingAnniversaryRollsForwardSoDataIsNeverDroppedEarly() {
        assertEquals(at("2025-03-01T10:00:00Z"), expiry("P1Y", "2024-02-29T10:00:00Z"));
        assertEquals(at("2025-03-01T00:00:00Z"), expiry("P1M", "2025-01-31T00:00:00Z"));
        assertEquals(at("2024-03-01T00:00:00Z"), expiry("P1M", "2024-01-31T00:00:00Z"));
        assertEquals(at("2025-03-03T00:00:00Z"), expiry("P1M2D", "2025-01-31T00:00:00Z"));
    }

    @Test
    void daysAndTimesAreExact() {
        assertEquals(at("2024-03-30T10:00:00Z"), expiry("P30D", "2024-02-29T10:00:00Z"));
        assertEquals(at("2024-02-29T10:15:00Z"), expiry("PT15M", "2024-02-29T10:00:00Z"));
        assertEquals(at("2024-03-01T12:00:00Z"), expiry("P1DT2H", "2024-02-29T10:00:00Z"));
    }

    @Test
    void shortFormsMatchTheirIsoEquivalents() {
        assertEquals(RetentionPeriod.parse("P30D"), RetentionPeriod.parse("30d"));
        assertEquals(RetentionPeriod.parse("P7Y"), RetentionPeriod.parse("7y"));
        assertEquals(RetentionPeriod.parse("P6M"), RetentionPeriod.parse("6mo"));
        assertEquals(RetentionPeriod.parse("P14D"), RetentionPeriod.parse("2w"));
        assertEquals(RetentionPeriod.parse("PT12H"), RetentionPeriod.parse("12h"));
        assertEquals(RetentionPeriod.parse("PT15M"), RetentionPeriod.parse("15m"));
        assertEquals(RetentionPeriod.parse("P1Y"), RetentionPeriod.parse(" 1 Y "));
        assertEquals(RetentionPeriod.parse("P30D"), RetentionPeriod.parse("p30d"));
        assertEquals("P7Y", RetentionPeriod.parse("7y").toString());
        assertEquals("PT15M", RetentionPeriod.parse("15m").toString());
    }

    @Test
    void unlimitedNeverExpiresAndOutlastsEverything() {
        RetentionPeriod u = RetentionPeriod.parse("Unlimited");
        assertTrue(u.unlimited());
        assertEquals(Optional.empty(), u.expiry(at("2024-01-01T00:00:00Z")));
        assertEquals("unlimited", u.toString());
        assertTrue(u.atLeast(RetentionPeriod.parse("P1000Y")));
        assertFalse(RetentionPeriod.parse("P1000Y").atLeast(u));
    }

    @Test
    void atLeastComparesAcrossUnits() {
        assertTrue(RetentionPeriod.parse("P7Y").atLeast(RetentionPeriod.of(Period.ofYears(6))));
        assertFalse(RetentionPeriod.parse("P1Y").atLeast(RetentionPeriod.of(Period.ofYears(6))));
        assertTrue(RetentionPeriod.parse("P6Y").atLeast(RetentionPeriod.parse("P72M")));
        assertTrue(RetentionPeriod.parse("P366D").atLeast(RetentionPeriod.parse("P1Y")));
        assertFalse(RetentionPeriod.parse("PT23H").atLeast(RetentionPeriod.parse("P1D")));
    }

    @Test
    void garbageIsRejectedWithAMessageNamingTheAcceptedForms() {
        for (String bad : new String[] {"soon", "P", "PT", "30 days", "P1Y2", "7yrs", "1.5y", "P1YT", "-3d"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> RetentionPeriod.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("P30D"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RetentionPeriod.parse(""))
                .getMessage().startsWith("is required"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RetentionPeriod.parse(null))
                .getMessage().startsWith("is required"));
    }

    @Test
    void zeroAndNegativePeriodsAreRejected() {
        for (String bad : new String[] {"P0D", "0d", "P-1D", "PT0S", "PT-5M", "P1Y-13M"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> RetentionPeriod.parse(bad), bad);
            assertEquals("retention must be positive", e.getMessage(), bad);
        }
    }

    @Test
    void absurdlyLongPeriodsAreRejectedInsteadOfOverflowingLater() {
        for (String bad : new String[] {"P999999999Y", "P1001Y", "999999y", "PT99999999H", "P400000D"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> RetentionPeriod.parse(bad), bad);
            assertTrue(e.getMessage().contains("unlimited"), e.getMessage());
        }
        assertEquals(at("3024-01-01T00:00:00Z"), expiry("P1000Y", "2024-01-01T00:00:00Z"));
    }
}
