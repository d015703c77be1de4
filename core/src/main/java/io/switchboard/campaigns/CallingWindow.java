package io.switchboard.campaigns;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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

    /**
     * Whether {@code at} is inside the window in every one of {@code zones} and on none of their
     * {@code holidays} (callee-local dates). A number can span zones (a country code with several, an area
     * code across a zone line); the call may only go when it is allowed wherever the callee may be.
     */
    public boolean allowsEverywhere(Instant at, List<ZoneId> zones, Set<LocalDate> holidays) {
        if (zones.isEmpty()) {
            return false;
        }
        for (ZoneId z : zones) {
            ZonedDateTime local = at.atZone(z);
            LocalTime t = local.toLocalTime();
            if (!days.contains(local.getDayOfWeek()) || t.isBefore(start) || !t.isBefore(end)
                    || holidays.contains(local.toLocalDate())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first instant at or after {@code from} at which {@link #allowsEverywhere} holds, searching
     * {@code horizonDays} ahead; empty if there is none (every day a holiday, zones whose windows never
     * overlap). The windows' intersection opens when the last of them opens, so only {@code from} and the
     * zones' opening instants are candidates; a start time that falls in a daylight-saving gap opens at the
     * first valid instant after it.
     */
    public Optional<Instant> nextOpening(Instant from, List<ZoneId> zones, Set<LocalDate> holidays, int horizonDays) {
        if (zones.isEmpty()) {
            return Optional.empty();
        }
        TreeSet<Instant> candidates = new TreeSet<>();
        candidates.add(from);
        for (ZoneId z : zones) {
            LocalDate day = from.atZone(z).toLocalDate();
            for (int d = 0; d <= horizonDays; d++) {
                Instant open = day.plusDays(d).atTime(start).atZone(z).toInstant();
                if (!open.isBefore(from)) {
                    candidates.add(open);
                }
            }
        }
        return candidates.stream().filter(c -> allowsEverywhere(c, zones, holidays)).findFirst();
    }
}
