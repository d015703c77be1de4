package io.switchboard.campaigns;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The hours of the callee's local day in which a campaign may call: [start, end) on the given days, in the
 * callee's zone, or in the fallback zone when the callee's is unknown. Regulators (TCPA: 8am–9pm callee
 * time) phrase the rule in the callee's local time, so the check is always made there.
 *
 * @param fallbackTimeZone an IANA zone id, or empty for none
 */
public record CallingWindow(LocalTime start, LocalTime end, Set<DayOfWeek> days, String fallbackTimeZone) {

    public static final LocalTime DEFAULT_START = LocalTime.of(8, 0);
    public static final LocalTime DEFAULT_END = LocalTime.of(21, 0);
    public static final CallingWindow DEFAULT = new CallingWindow(DEFAULT_START, DEFAULT_END,
            EnumSet.allOf(DayOfWeek.class), "");

    public CallingWindow {
        if (!start.isBefore(end)) {
            throw new IllegalArgumentException("window start " + start + " must be before its end " + end);
        }
        days = days.isEmpty() ? EnumSet.allOf(DayOfWeek.class) : EnumSet.copyOf(days);
    }

    public Optional<ZoneId> fallbackZone() {
        return fallbackTimeZone.isEmpty() ? Optional.empty() : Optional.of(ZoneId.of(fallbackTimeZone));
    }

    /**
     * Whether a call placed at {@code at} to a callee in {@code calleeZone} (empty if unknown) falls inside
     * the window. With neither the callee's zone nor a fallback, no call is allowed: guessing a zone is how
     * people get woken at 6am.
     */
    public boolean allows(Instant at, Optional<ZoneId> calleeZone) {
        Optional<ZoneId> zone = calleeZone.or(this::fallbackZone);
        if (zone.isEmpty()) {
            return false;
        }
        ZonedDateTime local = at.atZone(zone.get());
        LocalTime t = local.toLocalTime();
        return days.contains(local.getDayOfWeek()) && !t.isBefore(start) && t.isBefore(end);
    }
}
