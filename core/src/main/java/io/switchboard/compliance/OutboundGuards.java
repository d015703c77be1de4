package io.switchboard.compliance;

import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CONTACTS;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.campaigns.CallingWindow;
import io.switchboard.campaigns.CampaignRows;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.tenancy.Principal;
import org.jooq.DSLContext;

/**
 * The guards an outbound call opened through the calls API must pass: the organisation's do-not-call list
 * and, for a campaign call, the campaign's calling window in the callee's local time. Refusals are
 * FAILED_PRECONDITION and audited in a transaction of their own (the call never existed). The dialer's
 * guards ({@code dialer/DialGuards}) read the same {@link Callee} and the same lists before it dials.
 */
public final class OutboundGuards {

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;

    public OutboundGuards(DSLContext dsl, Clock clock, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
    }

    /** Whom a call to {@code dialled} (and, when given, to contact {@code contactId}) reaches. */
    public static Callee callee(DSLContext tx, String dialled, Optional<UUID> contactId) {
        Optional<String> e164 = PhoneNumbers.normalize("dialled", dialled, "", new Violations());
        var contact = contactId.map(id -> tx.select(CONTACTS.PHONE_E164, CONTACTS.TIME_ZONE).from(CONTACTS)
                .where(CONTACTS.ID.eq(id)).fetchSingle());
        return new Callee(contactId, dialled == null ? "" : dialled.strip(), e164, contact.map(r -> r.value1()),
                contact.map(r -> r.value2()).orElse(""));
    }

    /**
     * The number dialled (as E.164 when it parses as one) and the contact's number must not be on the
     * organisation's list. A refusal is FAILED_PRECONDITION {@code DO_NOT_CALL} naming the number dialled as
     * {@code dialledName}, recorded in the audit trail.
     */
    public void refuseIfDoNotCall(DSLContext tx, Principal actor, Callee callee, String dialledName) {
        for (Map.Entry<String, String> n : callee.numbers(dialledName).entrySet()) {
            String number = n.getKey();
            if (DoNotCall.listed(tx, actor.organizationId(), number)) {
                audit.record(dsl, AuditEvent.of(actor, "call.refused", "call", "", Map.of("reason", "do_not_call",
                        "number_ending", number.length() > 2 ? number.substring(number.length() - 2) : number), now()));
                throw new SwitchboardException.FailedPrecondition("DO_NOT_CALL", n.getValue()
                        + " is on the organisation's do-not-call list; the call was not placed");
            }
        }
    }

    /**
     * The callee's local time ({@link Callee#zones}, else the campaign's fallback zone) must be inside campaign
     * {@code campaignId}'s window on one of its days. With no zone at all the call is refused: guessing one is
     * how people get woken at 6am. Refusals are FAILED_PRECONDITION {@code OUTSIDE_CALLING_WINDOW}, audited.
     */
    public void refuseOutsideCallingWindow(DSLContext tx, Principal actor, Callee callee, UUID campaignId, Instant now) {
        var campaign = CampaignRows.campaign(tx.selectFrom(CAMPAIGNS).where(CAMPAIGNS.ID.eq(campaignId)).fetchSingle());
        CallingWindow window = campaign.callingWindow();
        List<ZoneId> zones = callee.zones(window.fallbackZone());
        if (window.allowsEverywhere(now, zones, campaign.dialingRules().holidays())) {
            return;
        }
        String local = zones.isEmpty() ? "unknown (no time zone for the callee and no fallback on the campaign)"
                : String.join(", ", zones.stream().map(z -> now.atZone(z).toLocalDateTime().truncatedTo(ChronoUnit.MINUTES)
                        + " " + z).toList());
        audit.record(dsl, AuditEvent.of(actor, "call.refused", "campaign", campaignId, Map.of("reason",
                "outside_calling_window", "callee_local_time", local), now));
        throw new SwitchboardException.FailedPrecondition("OUTSIDE_CALLING_WINDOW", "the callee's local time is "
                + local + ", outside campaign " + campaignId + "'s calling window " + window.start() + "–" + window.end()
                + " on " + window.days() + "; the call was not placed");
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
