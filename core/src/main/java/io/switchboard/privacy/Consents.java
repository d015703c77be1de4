package io.switchboard.privacy;

import static io.switchboard.db.Tables.CONSENTS;
import static io.switchboard.db.Tables.CONTACTS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.tables.records.ConsentsRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** Recording and reading consent. A consent names a contact of the caller's organisation; it is never changed. */
public final class Consents {

    /** How far in the future a given-at time may lie (clock skew between the client and us). */
    static final Duration MAX_SKEW = Duration.ofMinutes(5);

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;

    public Consents(DSLContext dsl, Clock clock, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
    }

    /** What a client sends; {@code givenAt} empty means now. */
    public record Input(String contactId, Optional<Consent.Purpose> purpose, boolean granted, String source,
                        String ipAddress, Optional<Instant> givenAt) {
    }

    public Consent record(Principal actor, Input in) {
        actor.require(Role.AGENT, "recording consent");
        Violations v = new Violations();
        if (in.purpose().isEmpty()) {
            v.add("purpose", "is required: calls, recording, ai_processing or marketing");
        }
        v.requireText("source", in.source(), 200).maxLength("ip_address", in.ipAddress(), 64);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Instant given = in.givenAt().map(t -> t.truncatedTo(ChronoUnit.MICROS)).orElse(now);
        if (given.isAfter(now.plus(MAX_SKEW))) {
            v.add("given_time", "is in the future");
        }
        UUID contactId = Ids.parse("contact_id", in.contactId());
        v.throwIfAny();
        String phone = dsl.select(CONTACTS.PHONE_E164).from(CONTACTS).where(CONTACTS.ID.eq(contactId))
                .and(CONTACTS.ORGANIZATION_ID.eq(actor.organizationId())).and(CONTACTS.DELETED_AT.isNull())
                .fetchOptional(CONTACTS.PHONE_E164)
                .orElseThrow(() -> new SwitchboardException.NotFound("contact", contactId.toString()));
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ConsentsRecord r = tx.newRecord(CONSENTS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                    .setContactId(contactId).setPhoneE164(phone).setPurpose(in.purpose().get().key())
                    .setGranted(in.granted()).setSource(in.source().strip())
                    .setIpAddress(in.ipAddress() == null ? "" : in.ipAddress().strip())
                    .setRecordedBy(actor.apiKeyId()).setGivenAt(given).setRecordedAt(now);
            r.store();
            audit.record(tx, AuditEvent.of(actor, "consent.record", "contact", contactId, Map.of("purpose",
                    r.getPurpose(), "granted", Boolean.toString(in.granted())), now));
            return toDomain(r);
        });
    }

    /** A contact's consents, oldest first (deleted contacts included: consent outlives them). */
    public List<Consent> list(Principal actor, String contactIdText) {
        actor.require(Role.VIEWER, "reading consent");
        UUID contactId = Ids.parse("contact_id", contactIdText);
        if (!dsl.fetchExists(CONTACTS, CONTACTS.ID.eq(contactId).and(CONTACTS.ORGANIZATION_ID.eq(actor.organizationId())))) {
            throw new SwitchboardException.NotFound("contact", contactId.toString());
        }
        return forContact(actor.organizationId(), contactId);
    }

    List<Consent> forContact(UUID org, UUID contactId) {
        return dsl.selectFrom(CONSENTS).where(CONSENTS.ORGANIZATION_ID.eq(org)).and(CONSENTS.CONTACT_ID.eq(contactId))
                .orderBy(CONSENTS.GIVEN_AT, CONSENTS.ID).fetch(Consents::toDomain);
    }

    static Consent toDomain(ConsentsRecord r) {
        return new Consent(r.getId(), Optional.ofNullable(r.getContactId()), r.getPhoneE164(),
                Consent.Purpose.valueOf(r.getPurpose().toUpperCase(Locale.ROOT)), r.getGranted(), r.getSource(),
                r.getIpAddress(), Optional.ofNullable(r.getRecordedBy()), r.getGivenAt(), r.getRecordedAt(),
                Optional.ofNullable(r.getAnonymizedAt()));
    }
}
