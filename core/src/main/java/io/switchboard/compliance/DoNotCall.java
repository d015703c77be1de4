package io.switchboard.compliance;

import static io.switchboard.db.Tables.DO_NOT_CALL;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The organisation's do-not-call list. Numbers are normalised to E.164 (national forms with a default
 * region); adding is idempotent; every outbound call is checked against it before it starts
 * ({@link #refuseIfListed}).
 */
public final class DoNotCall {

    /** Most numbers one request may add: a list larger than this is imported in several requests. */
    public static final int MAX_PER_REQUEST = 10_000;

    /** One listed number. */
    public record Entry(String phoneNumber, String reason, String source, Optional<UUID> addedBy, Instant addedAt) {
    }

    /** What an import did: numbers newly listed, numbers already listed, and the rejected ones by index. */
    public record Added(int added, int alreadyListed, List<SwitchboardException.Violation> rejected) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;

    public DoNotCall(DSLContext dsl, Clock clock, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * Lists numbers (agents and up: a callee asking not to be called is recorded by whoever hears it).
     * Valid numbers are listed even when others in the request are not; the bad ones come back by index.
     */
    public Added add(Principal actor, List<String> numbers, String defaultRegion, String reason, String source) {
        actor.require(Role.AGENT, "adding to the do-not-call list");
        Violations v = new Violations().maxLength("reason", reason, 500);
        if (numbers.isEmpty() || numbers.size() > MAX_PER_REQUEST) {
            v.add("phone_numbers", "give 1 to " + MAX_PER_REQUEST + " numbers per request");
        }
        if (!PhoneNumbers.isKnownRegion(defaultRegion)) {
            v.add("default_region", "'" + defaultRegion + "' is not an ISO 3166 region code");
        }
        if (!Set.of("api", "import", "opt-out").contains(source)) {
            v.add("source", "must be api, import or opt-out");
        }
        v.throwIfAny();
        Set<String> valid = new LinkedHashSet<>();
        List<SwitchboardException.Violation> rejected = new ArrayList<>();
        for (int i = 0; i < numbers.size(); i++) {
            Violations one = new Violations();
            String field = "phone_numbers[" + i + "]";
            PhoneNumbers.normalize(field, numbers.get(i), defaultRegion, one).ifPresent(valid::add);
            if (!one.isEmpty()) {
                try {
                    one.throwIfAny();
                } catch (SwitchboardException.InvalidArgument e) {
                    rejected.addAll(e.violations());
                }
            }
        }
        Instant now = now();
        int added = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            int n = 0;
            for (String phone : valid) {
                n += tx.insertInto(DO_NOT_CALL).set(DO_NOT_CALL.ORGANIZATION_ID, actor.organizationId())
                        .set(DO_NOT_CALL.PHONE_E164, phone).set(DO_NOT_CALL.REASON, reason == null ? "" : reason.strip())
                        .set(DO_NOT_CALL.SOURCE, source).set(DO_NOT_CALL.ADDED_BY, actor.apiKeyId())
                        .set(DO_NOT_CALL.ADDED_AT, now).onConflictDoNothing().execute();
            }
            audit.record(tx, AuditEvent.of(actor, "dnc.add", "do_not_call", actor.organizationId(),
                    Map.of("added", Integer.toString(n), "source", source), now));
            return n;
        });
        return new Added(added, valid.size() - added, rejected);
    }

    /** Takes a number off the list (admins); NOT_FOUND if it was not on it. */
    public void remove(Principal actor, String number, String defaultRegion) {
        actor.require(Role.ADMIN, "removing from the do-not-call list");
        String phone = normalize("phone_number", number, defaultRegion);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            if (tx.deleteFrom(DO_NOT_CALL).where(DO_NOT_CALL.ORGANIZATION_ID.eq(actor.organizationId()))
                    .and(DO_NOT_CALL.PHONE_E164.eq(phone)).execute() == 0) {
                throw new SwitchboardException.NotFound("do_not_call", phone);
            }
            // the number itself is personal data; the audit trail keeps only its last digits
            audit.record(tx, AuditEvent.of(actor, "dnc.remove", "do_not_call", actor.organizationId(),
                    Map.of("number_ending", phone.substring(phone.length() - 2)), now));
        });
    }

    public Optional<Entry> find(Principal actor, String number, String defaultRegion) {
        actor.require(Role.VIEWER, "reading the do-not-call list");
        return find(actor.organizationId(), normalize("phone_number", number, defaultRegion));
    }

    /** The list in number order, {@code pageSize} (1..1000) after {@code afterNumber} (export). */
    public List<Entry> list(Principal actor, String afterNumber, int pageSize) {
        actor.require(Role.VIEWER, "reading the do-not-call list");
        if (pageSize < 0) {
            throw new SwitchboardException.InvalidArgument("page_size", "must not be negative");
        }
        return dsl.selectFrom(DO_NOT_CALL).where(DO_NOT_CALL.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(afterNumber == null || afterNumber.isEmpty() ? DSL.noCondition() : DO_NOT_CALL.PHONE_E164.gt(afterNumber))
                .orderBy(DO_NOT_CALL.PHONE_E164).limit(pageSize == 0 ? 100 : Math.min(pageSize, 1000))
                .fetch(r -> new Entry(r.getPhoneE164(), r.getReason(), r.getSource(), Optional.ofNullable(r.getAddedBy()),
                        r.getAddedAt()));
    }

    /** The guard's question: is {@code e164} on {@code org}'s list (read in the caller's transaction)? */
    public static boolean listed(DSLContext tx, UUID org, String e164) {
        return tx.fetchExists(DO_NOT_CALL, DO_NOT_CALL.ORGANIZATION_ID.eq(org).and(DO_NOT_CALL.PHONE_E164.eq(e164)));
    }

    private Optional<Entry> find(UUID org, String phone) {
        return dsl.selectFrom(DO_NOT_CALL).where(DO_NOT_CALL.ORGANIZATION_ID.eq(org)).and(DO_NOT_CALL.PHONE_E164.eq(phone))
                .fetchOptional(r -> new Entry(r.getPhoneE164(), r.getReason(), r.getSource(),
                        Optional.ofNullable(r.getAddedBy()), r.getAddedAt()));
    }

    private static String normalize(String field, String number, String defaultRegion) {
        Violations v = new Violations();
        Optional<String> phone = PhoneNumbers.normalize(field, number, defaultRegion, v);
        v.throwIfAny();
        return phone.orElseThrow();
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
