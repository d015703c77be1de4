package io.switchboard.plans;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long one class of data lives: unlimited, or a calendar-aware amount (years and months are
 * calendar units in UTC, so seven years is seven calendar years, leap days included). Parsed from ISO
 * 8601 ({@code P30D}, {@code P7Y}, {@code PT15M}) or the short forms used in configuration
 * ({@code 30d}, {@code 7y}, {@code 15m}, {@code 12h}, {@code 6mo}).
 */
public record RetentionPeriod(Optional<Period> period, Optional<Duration> time) {

    public static final RetentionPeriod UNLIMITED = new RetentionPeriod(Optional.empty(), Optional.empty());

    private static final Pattern SHORT = Pattern.compile("(\\d{1,6})\\s*(y|mo|w|d|h|m)");
    /** Anything longer is "unlimited" in practice, and bounding it keeps expiry arithmetic from overflowing. */
    private static final int MAX_YEARS = 1000;

    public RetentionPeriod {
        if (period.isPresent() && time.isPresent()) {
            throw new IllegalArgumentException("a retention period is either calendar-based or time-based");
        }
        period.ifPresent(p -> {
            if (p.isNegative() || p.isZero()) {
                throw new IllegalArgumentException("retention must be positive");
            }
            if (p.toTotalMonths() > MAX_YEARS * 12L || p.getDays() > MAX_YEARS * 366L) {
                throw new IllegalArgumentException("retention must be at most " + MAX_YEARS + " years; use unlimited");
            }
        });
        time.ifPresent(d -> {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("retention must be positive");
            }
            if (d.compareTo(Duration.ofDays(MAX_YEARS * 366L)) > 0) {
                throw new IllegalArgumentException("retention must be at most " + MAX_YEARS + " years; use unlimited");
            }
        });
    }

    public static RetentionPeriod of(Period p) {
        return new RetentionPeriod(Optional.of(p), Optional.empty());
    }

    public static RetentionPeriod of(Duration d) {
        return new RetentionPeriod(Optional.empty(), Optional.of(d));
    }

    public boolean unlimited() {
        return period.isEmpty() && time.isEmpty();
    }

    /**
     * When an item created at {@code created} expires; empty if it never does. An anniversary that does
     * not exist (29 February in a common year, the 31st of a short month) rolls forward to the next day,
     * so data is never dropped before its full calendar period has passed.
     */
    public Optional<Instant> expiry(Instant created) {
        if (period.isPresent()) {
            ZonedDateTime start = created.atZone(ZoneOffset.UTC);
            ZonedDateTime end = start.plusMonths(period.get().toTotalMonths());
            if (end.getDayOfMonth() != start.getDayOfMonth()) {
                end = end.plusDays(1);
            }
            return Optional.of(end.plusDays(period.get().getDays()).toInstant());
        }
        return time.map(created::plus);
    }

    /** True if this keeps data at least as long as {@code other} for data created now. */
    public boolean atLeast(RetentionPeriod other) {
        if (unlimited()) {
            return true;
        }
        if (other.unlimited()) {
            return false;
        }
        Instant ref = Instant.parse("2000-01-01T00:00:00Z");
        return !expiry(ref).orElseThrow().isBefore(other.expiry(ref).orElseThrow());
    }

    /**
     * @throws IllegalArgumentException with a message naming the accepted forms
     */
    public static RetentionPeriod parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("is required: \"unlimited\", ISO 8601 (P30D, P7Y, PT15M) or 30d, 7y, 6mo, 12h, 15m");
        }
        if (s.equalsIgnoreCase("unlimited")) {
            return UNLIMITED;
        }
        try {
            if (s.startsWith("P") || s.startsWith("p")) {
                String upper = s.toUpperCase(Locale.ROOT);
                if (upper.contains("T")) {
                    return of(Duration.parse(upper));
                }
                return of(Period.parse(upper));
            }
            Matcher m = SHORT.matcher(s.toLowerCase(Locale.ROOT));
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                return switch (m.group(2)) {
                    case "y" -> of(Period.ofYears(n));
                    case "mo" -> of(Period.ofMonths(n));
                    case "w" -> of(Period.ofWeeks(n));
                    case "d" -> of(Period.ofDays(n));
                    case "h" -> of(Duration.ofHours(n));
                    default -> of(Duration.ofMinutes(n));
                };
            }
        } catch (DateTimeException | ArithmeticException e) {
            // fall through to the uniform message
        }
        throw new IllegalArgumentException("'" + text + "' is not a retention period; use \"unlimited\", "
                + "ISO 8601 (P30D, P7Y, PT15M) or 30d, 7y, 6mo, 12h, 15m");
    }

    /** ISO 8601 text, or "unlimited". */
    @Override
    public String toString() {
        if (period.isPresent()) {
            return period.get().toString();
        }
        return time.map(Duration::toString).orElse("unlimited");
    }
}
