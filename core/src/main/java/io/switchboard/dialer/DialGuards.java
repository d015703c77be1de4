package io.switchboard.dialer;

import static io.switchboard.db.Tables.CONSENTS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.campaigns.Campaign;
import io.switchboard.compliance.Callee;
import io.switchboard.compliance.DoNotCall;
import org.jooq.DSLContext;

/**
 * The checks a campaign call must pass before the carrier is asked to place it, in this order: the
 * organisation's do-not-call list, the national registry, consent (where the campaign requires it), the
 * callee's time zone, holidays and the calling window, and attempts per callee-local day. The first three
 * skip the contact for good; the others defer it to the next moment the call would be allowed.
 */
public final class DialGuards {

    /** How far ahead a deferral looks for the next allowed moment. */
    static final int HORIZON_DAYS = 400;

    /**
     * Why a contact was not dialled now.
     *
     * @param until when to try again; empty means never (the contact is skipped)
     */
    public record Refusal(String reason, String detail, Optional<Instant> until) {
    }

    private final NationalDoNotCall national;

    public DialGuards(NationalDoNotCall national) {
        this.national = national;
    }

    /** The first guard that refuses, or empty when the call may be placed now. */
    public Optional<Refusal> check(DSLContext tx, Campaign c, Callee callee, Instant now) {
        UUID org = c.organizationId();
        if (DoNotCall.listed(tx, org, callee.dialled())) {
            return never("do_not_call", "the number is on the organisation's do-not-call list");
        }
        if (national.listed(callee.dialled())) {
            return never("national_do_not_call", "the number is on the national registry (" + national.describe() + ")");
        }
        if (c.dialingRules().requireConsent() && !consented(tx, org, callee)) {
            return never("no_consent", "the campaign requires consent to calls and none is granted on record");
        }
        List<ZoneId> zones = callee.zones(c.callingWindow().fallbackZone());
        if (zones.isEmpty()) {
            return never("no_time_zone", "neither the contact, nor the number, nor the campaign's fallback gives a time"
                    + " zone; calling could wake someone");
        }
        Set<LocalDate> holidays = c.dialingRules().holidays();
        if (!c.callingWindow().allowsEverywhere(now, zones, holidays)) {
            Optional<Instant> next = c.callingWindow().nextOpening(now, zones, holidays, HORIZON_DAYS);
            boolean holiday = zones.stream().anyMatch(z -> holidays.contains(now.atZone(z).toLocalDate()));
            String local = describeLocal(now, zones);
            if (next.isEmpty()) {
                return never(holiday ? "holiday" : "outside_calling_window", "callee local time " + local
                        + "; the window never opens in the next " + HORIZON_DAYS + " days");
            }
            return Optional.of(new Refusal(holiday ? "holiday" : "outside_calling_window", "callee local time " + local
                    + ", window " + c.callingWindow().start() + "–" + c.callingWindow().end(), next));
        }
        ZoneId home = zones.getFirst();
        Instant dayStart = now.atZone(home).toLocalDate().atStartOfDay(home).toInstant();
        int today = tx.fetchCount(DIAL_ATTEMPTS, DIAL_ATTEMPTS.ORGANIZATION_ID.eq(org)
                .and(DIAL_ATTEMPTS.CONTACT_ID.eq(callee.contactId().orElseThrow())).and(DIAL_ATTEMPTS.PLACED_AT.ge(dayStart))
                .and(DIAL_ATTEMPTS.OUTCOME.ne(DialOutcome.NOT_PLACED.dbName())));
        if (today >= c.dialingRules().maxAttemptsPerDay()) {
            Instant tomorrow = now.atZone(home).toLocalDate().plusDays(1).atStartOfDay(home).toInstant();
            Optional<Instant> next = c.callingWindow().nextOpening(tomorrow, zones, holidays, HORIZON_DAYS);
            String detail = today + " attempts today (" + home + "), the limit is "
                    + c.dialingRules().maxAttemptsPerDay();
            return next.isEmpty() ? never("daily_attempts", detail) : Optional.of(new Refusal("daily_attempts", detail, next));
        }
        return Optional.empty();
    }

    /** The latest "calls" consent on record for the contact or its number is a grant. */
    private static boolean consented(DSLContext tx, UUID org, Callee callee) {
        return Boolean.TRUE.equals(tx.select(CONSENTS.GRANTED).from(CONSENTS).where(CONSENTS.ORGANIZATION_ID.eq(org))
                .and(CONSENTS.PURPOSE.eq("calls")).and(CONSENTS.ANONYMIZED_AT.isNull())
                .and(CONSENTS.CONTACT_ID.eq(callee.contactId().orElseThrow()).or(CONSENTS.PHONE_E164.eq(callee.dialled())))
                .orderBy(CONSENTS.GIVEN_AT.desc(), CONSENTS.RECORDED_AT.desc()).limit(1).fetchOne(CONSENTS.GRANTED));
    }

    private static String describeLocal(Instant now, List<ZoneId> zones) {
        return String.join(", ", zones.stream().map(z -> now.atZone(z).toLocalDateTime().withSecond(0).withNano(0)
                + " " + z).toList());
    }

    private static Optional<Refusal> never(String reason, String detail) {
        return Optional.of(new Refusal(reason, detail, Optional.empty()));
    }
}
