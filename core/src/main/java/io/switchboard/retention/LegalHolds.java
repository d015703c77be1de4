package io.switchboard.retention;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.LEGAL_HOLDS;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.enums.HoldScope;
import io.switchboard.db.tables.records.LegalHoldsRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Placing, releasing and listing legal holds (admins). A hold names a resource of the caller's own
 * organisation, which must exist (deleted calls and contacts included: holding a deleted contact stops its
 * purge). Holds are never deleted; a released hold stays as a record of when and why.
 */
public final class LegalHolds {

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;

    public LegalHolds(DSLContext dsl, Clock clock, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * @param resourceIdText the campaign, contact or call id; for an organisation hold empty or the
     *                       caller's organisation id
     */
    public LegalHold place(Principal actor, Optional<LegalHold.Scope> scope, String resourceIdText, String reason) {
        actor.require(Role.ADMIN, "placing legal holds");
        Violations v = new Violations();
        if (scope.isEmpty()) {
            v.add("scope", "is required: organization, campaign, contact or call");
        }
        v.requireText("reason", reason, 2000);
        v.throwIfAny();
        UUID org = actor.organizationId();
        UUID resource = scope.get() == LegalHold.Scope.ORGANIZATION && (resourceIdText == null || resourceIdText.isEmpty())
                ? org : Ids.parse("resource_id", resourceIdText);
        if (!exists(org, scope.get(), resource)) {
            throw new SwitchboardException.NotFound(scope.get().key(), resource.toString());
        }
        Instant now = now();
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            LegalHoldsRecord r = tx.newRecord(LEGAL_HOLDS);
            r.setId(Ids.newId()).setOrganizationId(org).setScope(HoldScope.valueOf(scope.get().key()))
                    .setResourceId(resource).setReason(reason.trim()).setPlacedBy(actor.apiKeyId()).setPlacedAt(now);
            r.store();
            audit.record(tx, AuditEvent.of(actor, "legal_hold.place", "legal_hold", r.getId(),
                    Map.of("scope", scope.get().key(), "resource_id", resource.toString()), now));
            return toDomain(r);
        });
    }

    public LegalHold release(Principal actor, String idText, String reason) {
        actor.require(Role.ADMIN, "releasing legal holds");
        UUID id = Ids.parse("id", idText);
        new Violations().maxLength("reason", reason, 2000).throwIfAny();
        Instant now = now();
        LegalHold released = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            LegalHoldsRecord r = tx.selectFrom(LEGAL_HOLDS).where(LEGAL_HOLDS.ID.eq(id))
                    .and(LEGAL_HOLDS.ORGANIZATION_ID.eq(actor.organizationId())).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("legal_hold", id.toString()));
            if (r.getReleasedAt() != null) {
                throw new SwitchboardException.FailedPrecondition("ALREADY_RELEASED",
                        "legal hold " + id + " was released at " + r.getReleasedAt());
            }
            r.setReleasedAt(now).setReleasedBy(actor.apiKeyId()).setReleaseReason(reason == null ? "" : reason.trim())
                    .store();
            audit.record(tx, AuditEvent.of(actor, "legal_hold.release", "legal_hold", id,
                    Map.of("scope", r.getScope().getLiteral(), "resource_id", r.getResourceId().toString()), now));
            return toDomain(r);
        });
        return released;
    }

    public Page<LegalHold> list(Principal actor, boolean includeReleased, int pageSize, String pageToken) {
        actor.require(Role.ADMIN, "listing legal holds");
        PageRequest page = PageRequest.of(pageSize, pageToken, "legal_holds");
        Condition where = LEGAL_HOLDS.ORGANIZATION_ID.eq(actor.organizationId());
        if (!includeReleased) {
            where = where.and(LEGAL_HOLDS.RELEASED_AT.isNull());
        }
        return Keyset.page(dsl, LEGAL_HOLDS, where, LEGAL_HOLDS.PLACED_AT, LEGAL_HOLDS.ID, page, "legal_holds",
                LegalHolds::toDomain, h -> new PageRequest.Cursor(h.placedAt(), h.id()));
    }

    private boolean exists(UUID org, LegalHold.Scope scope, UUID id) {
        return switch (scope) {
            case ORGANIZATION -> id.equals(org);
            case CAMPAIGN -> dsl.fetchExists(CAMPAIGNS, CAMPAIGNS.ID.eq(id).and(CAMPAIGNS.ORGANIZATION_ID.eq(org)));
            case CONTACT -> dsl.fetchExists(CONTACTS, CONTACTS.ID.eq(id).and(CONTACTS.ORGANIZATION_ID.eq(org)));
            case CALL -> dsl.fetchExists(CALLS, CALLS.ID.eq(id).and(CALLS.ORGANIZATION_ID.eq(org)));
        };
    }

    static LegalHold toDomain(LegalHoldsRecord r) {
        return new LegalHold(r.getId(), r.getOrganizationId(), LegalHold.Scope.valueOf(r.getScope().name().toUpperCase(
                java.util.Locale.ROOT)), r.getResourceId(), r.getReason(), Optional.ofNullable(r.getPlacedBy()),
                r.getPlacedAt(), Optional.ofNullable(r.getReleasedBy()), Optional.ofNullable(r.getReleasedAt()),
                r.getReleaseReason() == null ? "" : r.getReleaseReason());
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
