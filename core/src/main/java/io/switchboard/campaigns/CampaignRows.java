package io.switchboard.campaigns;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import io.switchboard.db.tables.records.CampaignsRecord;
import org.jooq.types.YearToSecond;

/** The one mapping between a {@code campaigns} row and a {@link Campaign}, both ways. */
public final class CampaignRows {

    private CampaignRows() {
    }

    static void setWindow(CampaignsRecord r, CallingWindow w) {
        Short[] days = w.days().size() == 7 ? new Short[0]
                : w.days().stream().map(d -> (short) d.getValue()).sorted().toArray(Short[]::new);
        r.setWindowStart(w.start()).setWindowEnd(w.end()).setWindowDays(days).setFallbackTimeZone(w.fallbackTimeZone());
    }

    static void setDialing(CampaignsRecord r, DialingRules d) {
        r.setRequireConsent(d.requireConsent()).setMaxAttemptsPerDay(d.maxAttemptsPerDay())
                .setHolidays(d.holidays().toArray(LocalDate[]::new));
    }

    static void setRetry(CampaignsRecord r, RetryPolicy p) {
        r.setRetryMaxAttempts(p.maxAttempts()).setRetryDelay(YearToSecond.valueOf(p.retryDelay()))
                .setRetryOn(p.retryOn().stream().sorted().map(RetryPolicy.Outcome::dbName).toArray(String[]::new));
    }

    /** A campaign as stored (the call guards and the dialer read it in their own transactions). */
    public static Campaign campaign(CampaignsRecord r) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (Short d : r.getWindowDays()) {
            days.add(DayOfWeek.of(d));
        }
        Set<RetryPolicy.Outcome> on = EnumSet.noneOf(RetryPolicy.Outcome.class);
        for (String o : r.getRetryOn()) {
            on.add(RetryPolicy.Outcome.fromDb(o));
        }
        return new Campaign(r.getId(), r.getOrganizationId(), r.getName(), r.getAgentId(), r.getContactListId(),
                r.getCallerId(), domainState(r.getState()), Optional.ofNullable(r.getScheduleStart()),
                Optional.ofNullable(r.getScheduleEnd()),
                new CallingWindow(r.getWindowStart(), r.getWindowEnd(), days, r.getFallbackTimeZone()),
                r.getMaxConcurrency(), new RetryPolicy(r.getRetryMaxAttempts(), r.getRetryDelay().toDuration(), on),
                List.of(r.getDispositionCodes()), r.getCreatedAt(), r.getUpdatedAt(),
                Optional.ofNullable(r.getStartedAt()), Optional.ofNullable(r.getEndedAt()),
                new DialingRules(r.getRequireConsent(), r.getMaxAttemptsPerDay(), Set.of(r.getHolidays())));
    }

    public static io.switchboard.db.enums.CampaignState dbState(CampaignState s) {
        return io.switchboard.db.enums.CampaignState.valueOf(s.name().toLowerCase(Locale.ROOT));
    }

    public static CampaignState domainState(io.switchboard.db.enums.CampaignState s) {
        return CampaignState.valueOf(s.name().toUpperCase(Locale.ROOT));
    }
}
