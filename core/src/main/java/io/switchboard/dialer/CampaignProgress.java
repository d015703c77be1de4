package io.switchboard.dialer;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_CONTACTS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static io.switchboard.db.Tables.DIAL_REFUSALS;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import io.switchboard.calls.AudioLength;
import io.switchboard.calls.TurnTimings;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.db.enums.CallDirection;
import io.switchboard.db.enums.CallState;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Read side of the dialer for operators: each contact's standing in a campaign, the attempts made, and what
 * the campaign's calls came to ({@link #stats}).
 */
public final class CampaignProgress {

    public static final Set<String> CONTACT_STATES = Set.of("pending", "dialing", "retry", "done", "exhausted", "skipped");

    public record ContactProgress(UUID contactId, String state, int attempts, Instant nextAttemptAt, String lastOutcome,
                                  String lastReason, Instant updatedAt) {
    }

    public record AttemptView(UUID id, UUID contactId, int attempt, String toNumber, String state, String outcome,
                              String detail, Optional<UUID> callId, Instant placedAt, Optional<Instant> answeredAt,
                              Optional<Instant> endedAt, Optional<Long> durationMs) {
    }

    private final DSLContext dsl;

    public CampaignProgress(DSLContext dsl) {
        this.dsl = dsl;
    }

    /** Contacts in id order; {@code state} empty for all. */
    public Page<ContactProgress> contacts(Principal actor, String campaignIdText, String state, int pageSize,
                                          String pageToken) {
        actor.require(Role.VIEWER, "reading campaigns");
        UUID campaign = campaign(actor, campaignIdText);
        String s = state == null ? "" : state.strip();
        if (!s.isEmpty() && !CONTACT_STATES.contains(s)) {
            throw new SwitchboardException.InvalidArgument("state", "must be one of " + CONTACT_STATES.stream().sorted()
                    .toList() + " or empty, got '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'");
        }
        String scope = "campaign-contacts:" + campaign + ":" + s;
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        var cc = CAMPAIGN_CONTACTS;
        Condition where = cc.CAMPAIGN_ID.eq(campaign).and(cc.ORGANIZATION_ID.eq(actor.organizationId()));
        if (!s.isEmpty()) {
            where = where.and(cc.STATE.eq(s));
        }
        if (page.after().isPresent()) {
            where = where.and(cc.CONTACT_ID.gt(page.after().get().id()));
        }
        var rows = dsl.selectFrom(cc).where(where).orderBy(cc.CONTACT_ID).limit(page.pageSize() + 1)
                .fetch(r -> new ContactProgress(r.getContactId(), r.getState(), r.getAttempts(), r.getNextAttemptAt(),
                        r.getLastOutcome(), r.getLastReason(), r.getUpdatedAt()));
        return Page.of(rows, page.pageSize(), p -> new PageRequest.Cursor(Instant.EPOCH, p.contactId()), scope);
    }

    /** Attempts oldest first; {@code contactIdText} empty for all contacts. */
    public Page<AttemptView> attempts(Principal actor, String campaignIdText, String contactIdText, int pageSize,
                                      String pageToken) {
        actor.require(Role.VIEWER, "reading campaigns");
        UUID campaign = campaign(actor, campaignIdText);
        Optional<UUID> contact = Ids.parseOptional("contact_id", contactIdText);
        String scope = "dial-attempts:" + campaign + ":" + contact.map(UUID::toString).orElse("");
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        var a = DIAL_ATTEMPTS;
        Condition where = a.CAMPAIGN_ID.eq(campaign).and(a.ORGANIZATION_ID.eq(actor.organizationId()));
        if (contact.isPresent()) {
            where = where.and(a.CONTACT_ID.eq(contact.get()));
        }
        return Keyset.page(dsl, a, where, a.PLACED_AT, a.ID, page, scope,
                r -> new AttemptView(r.getId(), r.getContactId(), r.getAttempt(), r.getToNumber(), r.getState(),
                        r.getOutcome(), r.getDetail(), Optional.ofNullable(r.getCallId()), r.getPlacedAt(),
                        Optional.ofNullable(r.getAnsweredAt()), Optional.ofNullable(r.getEndedAt()),
                        Optional.ofNullable(r.getDurationMs())),
                v -> new PageRequest.Cursor(v.placedAt(), v.id()));
    }

    private UUID campaign(Principal actor, String idText) {
        return requireCampaign(actor, Ids.parse("campaign_id", idText));
    }

    /** The campaign's id if it is a live campaign of the actor's organisation; NOT_FOUND otherwise. */
    private UUID requireCampaign(Principal actor, UUID id) {
        if (!dsl.fetchExists(CAMPAIGNS, CAMPAIGNS.ID.eq(id).and(CAMPAIGNS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(CAMPAIGNS.DELETED_AT.isNull()))) {
            throw new SwitchboardException.NotFound("campaign", id.toString());
        }
        return id;
    }

    /** What a campaign's outbound calls came to so far. */
    public record Stats(UUID campaignId, long attempted, long connected, long failed, long active, long contactsReached,
                        long callMs, long billableMinutes, Map<String, Long> dispositions, Map<String, Long> contacts,
                        Map<String, Long> outcomes, Map<String, Long> refusals, long dialAttempts,
                        TurnTimings.Distribution replyLatency) {
    }

    /** Counts over the campaign's outbound calls (including deleted ones: statistics are structural). */
    public Stats stats(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading campaigns");
        UUID id = Ids.parse("id", idText);
        requireCampaign(actor, id);
        var c = CALLS;
        var ms = AudioLength.millis(c);
        var connected = c.STATE.eq(CallState.ended).and(c.AUDIO_BYTES.gt(0L));
        var row = dsl.select(DSL.count(), DSL.count().filterWhere(connected),
                        DSL.count().filterWhere(c.STATE.eq(CallState.failed)),
                        DSL.count().filterWhere(c.STATE.eq(CallState.active)),
                        DSL.countDistinct(c.CONTACT_ID).filterWhere(connected),
                        DSL.coalesce(DSL.sum(ms), DSL.inline(BigDecimal.ZERO)),
                        DSL.coalesce(DSL.sum(DSL.field("ceil({0} / 60000.0)", Long.class, ms)), DSL.inline(BigDecimal.ZERO)))
                .from(c).where(c.CAMPAIGN_ID.eq(id)).and(c.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(c.DIRECTION.eq(CallDirection.outbound)).fetchSingle();
        var s = CALL_SUMMARIES;
        Map<String, Long> dispositions = new TreeMap<>();
        dsl.select(DSL.coalesce(s.DISPOSITION, DSL.inline("")), DSL.count()).from(s).join(c).on(c.ID.eq(s.CALL_ID))
                .where(c.CAMPAIGN_ID.eq(id)).and(c.ORGANIZATION_ID.eq(actor.organizationId()))
                .groupBy(DSL.coalesce(s.DISPOSITION, DSL.inline(""))).fetch()
                .forEach(r -> dispositions.put(r.value1(), r.value2().longValue()));
        Map<String, Long> contacts = counts(dsl.select(CAMPAIGN_CONTACTS.STATE, DSL.count()).from(CAMPAIGN_CONTACTS)
                .where(CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(id)).and(CAMPAIGN_CONTACTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .groupBy(CAMPAIGN_CONTACTS.STATE).fetch());
        Map<String, Long> outcomes = counts(dsl.select(DIAL_ATTEMPTS.OUTCOME, DSL.count()).from(DIAL_ATTEMPTS)
                .where(DIAL_ATTEMPTS.CAMPAIGN_ID.eq(id)).and(DIAL_ATTEMPTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(DIAL_ATTEMPTS.STATE.eq("finished")).groupBy(DIAL_ATTEMPTS.OUTCOME).fetch());
        Map<String, Long> refusals = counts(dsl.select(DIAL_REFUSALS.REASON, DSL.count()).from(DIAL_REFUSALS)
                .where(DIAL_REFUSALS.CAMPAIGN_ID.eq(id)).and(DIAL_REFUSALS.ORGANIZATION_ID.eq(actor.organizationId()))
                .groupBy(DIAL_REFUSALS.REASON).fetch());
        long dialAttempts = dsl.fetchCount(DIAL_ATTEMPTS, DIAL_ATTEMPTS.CAMPAIGN_ID.eq(id)
                .and(DIAL_ATTEMPTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(DIAL_ATTEMPTS.OUTCOME.ne("not_placed"))); // a carrier outage placed no call
        return new Stats(id, row.value1(), row.value2(), row.value3(), row.value4(), row.value5(),
                row.value6().longValue(), row.value7().longValue(), dispositions, contacts, outcomes, refusals,
                dialAttempts, TurnTimings.ofCampaign(dsl, actor.organizationId(), id));
    }

    private static Map<String, Long> counts(org.jooq.Result<org.jooq.Record2<String, Integer>> rows) {
        Map<String, Long> m = new TreeMap<>();
        rows.forEach(r -> m.put(r.value1(), r.value2().longValue()));
        return m;
    }
}
