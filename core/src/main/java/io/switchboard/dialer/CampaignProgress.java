package io.switchboard.dialer;

import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_CONTACTS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.Condition;
import org.jooq.DSLContext;

/** Read side of the dialer for operators: each contact's standing in a campaign, and the attempts made. */
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
        UUID id = Ids.parse("campaign_id", idText);
        if (!dsl.fetchExists(CAMPAIGNS, CAMPAIGNS.ID.eq(id).and(CAMPAIGNS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(CAMPAIGNS.DELETED_AT.isNull()))) {
            throw new SwitchboardException.NotFound("campaign", id.toString());
        }
        return id;
    }
}
