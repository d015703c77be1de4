package io.switchboard.campaigns;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;

/**
 * The rules a campaign's configuration must meet, one method per part of {@link CampaignSpec}. Each records
 * what is wrong on the campaign's field path and returns the value to store (or a placeholder), so a create
 * or update reports every bad field at once.
 */
final class CampaignValidator {

    static final int MAX_CONCURRENCY = 10_000;
    static final int MAX_DISPOSITION_CODES = 50;
    private static final Pattern CODE = Pattern.compile("^[a-z][a-z0-9_]{0,63}$");
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);

    private CampaignValidator() {
    }

    static String name(String name, Violations v) {
        v.requireText("campaign.name", name, 200);
        return name == null ? "" : name.trim();
    }

    static UUID id(String field, String text, Violations v) {
        try {
            return Ids.parse(field, text);
        } catch (SwitchboardException.InvalidArgument e) {
            e.violations().forEach(x -> v.add(x.field(), x.reason()));
            return null;
        }
    }

    static String callerId(String callerId, Violations v) {
        String field = "campaign.caller_id";
        if (callerId == null || callerId.isBlank()) {
            v.add(field, "is required: the E.164 number shown to callees, e.g. +14155550100");
            return "";
        }
        return PhoneNumbers.strictE164(field, callerId, v).orElse(callerId.strip());
    }

    static Instant[] schedule(Optional<Instant> start, Optional<Instant> end, Instant now, Violations v) {
        if (start.isPresent() && end.isPresent() && !start.get().isBefore(end.get())) {
            v.add("campaign.schedule.end_time", "must be after schedule.start_time");
        }
        if (end.isPresent() && !end.get().isAfter(now)) {
            v.add("campaign.schedule.end_time", "is in the past (" + end.get() + "); a campaign cannot be scheduled to end before now");
        }
        return new Instant[] {start.map(CampaignValidator::micros).orElse(null), end.map(CampaignValidator::micros).orElse(null)};
    }

    static CallingWindow window(CampaignSpec.Window w, Violations v) {
        String prefix = "campaign.calling_window.";
        LocalTime start = localTime(prefix + "start_local_time", w.startLocalTime(), CallingWindow.DEFAULT_START, v);
        LocalTime end = localTime(prefix + "end_local_time", w.endLocalTime(), CallingWindow.DEFAULT_END, v);
        if (start != null && end != null && !start.isBefore(end)) {
            v.add(prefix + "end_local_time", "must be after start_local_time (" + HH_MM.format(start)
                    + "); windows that span midnight are not supported");
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (int i = 0; i < w.daysOfWeek().size(); i++) {
            int d = w.daysOfWeek().get(i);
            if (d < 1 || d > 7) {
                v.add(prefix + "days_of_week[" + i + "]", "must be an ISO day 1 (Monday) to 7 (Sunday), got " + d);
            } else if (!days.add(DayOfWeek.of(d))) {
                v.add(prefix + "days_of_week[" + i + "]", "day " + d + " is listed twice");
            }
        }
        String zone = w.fallbackTimeZone() == null ? "" : w.fallbackTimeZone().strip();
        if (!zone.isEmpty()) {
            try {
                zone = ZoneId.of(zone).getId();
            } catch (DateTimeException e) {
                v.add(prefix + "fallback_time_zone", "is not an IANA time zone like America/Chicago: '" + abbreviate(zone) + "'");
            }
        }
        if (start == null || end == null || !start.isBefore(end) || !v.isEmpty()) {
            return null;
        }
        return new CallingWindow(start, end, days, zone);
    }

    private static LocalTime localTime(String field, String text, LocalTime dflt, Violations v) {
        if (text == null || text.isBlank()) {
            return dflt;
        }
        try {
            return LocalTime.parse(text.strip(), HH_MM);
        } catch (DateTimeParseException e) {
            v.add(field, "must be HH:MM on a 24-hour clock, e.g. 08:00, got '" + abbreviate(text) + "'");
            return null;
        }
    }

    static int concurrency(int n, Violations v) {
        if (n == 0) {
            return 1;
        }
        if (n < 1 || n > MAX_CONCURRENCY) {
            v.add("campaign.max_concurrency", "must be between 1 and " + MAX_CONCURRENCY + " (0 means 1), got " + n);
        }
        return n;
    }

    static RetryPolicy retry(CampaignSpec.Retry r, Violations v) {
        String prefix = "campaign.retry_policy.";
        int attempts = r.maxAttempts() == 0 ? RetryPolicy.DEFAULT.maxAttempts() : r.maxAttempts();
        if (attempts < 1 || attempts > RetryPolicy.MAX_ATTEMPTS) {
            v.add(prefix + "max_attempts", "must be between 1 and " + RetryPolicy.MAX_ATTEMPTS + ", got " + attempts);
        }
        Duration delay = r.retryDelay().orElse(RetryPolicy.DEFAULT.retryDelay());
        if (delay.isNegative() || delay.compareTo(RetryPolicy.MAX_DELAY) > 0) {
            v.add(prefix + "retry_delay", "must be between 0 and " + RetryPolicy.MAX_DELAY.toDays() + " days, got " + delay);
        }
        Set<RetryPolicy.Outcome> on = r.retryOn().isEmpty() ? RetryPolicy.DEFAULT.retryOn() : new HashSet<>();
        for (int i = 0; i < r.retryOn().size(); i++) {
            RetryPolicy.Outcome o = r.retryOn().get(i);
            if (o == null) {
                v.add(prefix + "retry_on[" + i + "]", "must be OUTCOME_BUSY, OUTCOME_NO_ANSWER, OUTCOME_FAILED or OUTCOME_VOICEMAIL");
            } else {
                on.add(o);
            }
        }
        return new RetryPolicy(attempts, delay, on);
    }

    static DialingRules dialing(CampaignSpec.Dialing d, Violations v) {
        String prefix = "campaign.dialing_rules.";
        int perDay = d.maxAttemptsPerDay() == 0 ? DialingRules.DEFAULT_ATTEMPTS_PER_DAY : d.maxAttemptsPerDay();
        if (perDay < 1 || perDay > DialingRules.MAX_ATTEMPTS_PER_DAY) {
            v.add(prefix + "max_attempts_per_day", "must be between 1 and " + DialingRules.MAX_ATTEMPTS_PER_DAY
                    + " (0 means " + DialingRules.DEFAULT_ATTEMPTS_PER_DAY + "), got " + perDay);
        }
        if (d.holidays().size() > DialingRules.MAX_HOLIDAYS) {
            v.add(prefix + "holidays", "at most " + DialingRules.MAX_HOLIDAYS + " dates, got " + d.holidays().size());
        }
        Set<LocalDate> holidays = new HashSet<>();
        for (int i = 0; i < d.holidays().size(); i++) {
            String text = d.holidays().get(i) == null ? "" : d.holidays().get(i).strip();
            try {
                if (!holidays.add(LocalDate.parse(text))) {
                    v.add(prefix + "holidays[" + i + "]", "'" + text + "' is listed twice");
                }
            } catch (DateTimeParseException e) {
                v.add(prefix + "holidays[" + i + "]", "must be a date YYYY-MM-DD, got '" + abbreviate(text) + "'");
            }
        }
        return new DialingRules(d.requireConsent(), perDay, holidays);
    }

    static List<String> codes(List<String> codes, Violations v) {
        if (codes.size() > MAX_DISPOSITION_CODES) {
            v.add("campaign.disposition_codes", "at most " + MAX_DISPOSITION_CODES + " codes, got " + codes.size());
        }
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
            String c = codes.get(i);
            if (!CODE.matcher(c).matches()) {
                v.add("campaign.disposition_codes[" + i + "]",
                        "must be lower_snake_case, start with a letter and be at most 64 characters, got '" + abbreviate(c) + "'");
            } else if (!seen.add(c)) {
                v.add("campaign.disposition_codes[" + i + "]", "'" + c + "' is listed twice");
            } else {
                out.add(c);
            }
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    private static Instant micros(Instant i) {
        return i.truncatedTo(ChronoUnit.MICROS);
    }
}
