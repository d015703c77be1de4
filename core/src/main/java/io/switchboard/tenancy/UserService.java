package io.switchboard.tenancy;

import static io.switchboard.db.Tables.API_KEYS;
import static io.switchboard.db.Tables.USERS;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.enums.MemberRole;
import io.switchboard.db.tables.records.UsersRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import org.jooq.DSLContext;
import org.jooq.exception.IntegrityConstraintViolationException;
import org.jooq.impl.DSL;

/**
 * Members of an organisation. Admins manage users up to admin; only owners create, promote or remove
 * owners; the last owner can be neither demoted nor deleted, so an organisation is never ownerless.
 * Deleting a user revokes the user's API keys; demoting one lowers the role of the user's keys to match.
 */
public final class UserService {

    public static final Set<String> UPDATABLE = Set.of("display_name", "role");

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;
    private final RequestIds requestIds;

    private final KeyChanges keyChanges;

    public UserService(DSLContext dsl, Clock clock, AuditSink audit, RequestIds requestIds, KeyChanges keyChanges) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
        this.requestIds = requestIds;
        this.keyChanges = keyChanges;
    }

    public User create(Principal actor, String email, String displayName, Role role) {
        return create(actor, email, displayName, role, RequestId.NONE);
    }

    /** Adds a user; a retry with the same {@code requestId} gets the user the first attempt made. */
    public User create(Principal actor, String email, String displayName, Role role, RequestId requestId) {
        actor.require(Role.ADMIN, "creating users");
        Violations v = new Violations();
        Users.validateEmail(v, "email", email);
        v.maxLength("display_name", displayName, 200);
        if (role == null) {
            v.add("role", "is required (owner, admin, agent or viewer)");
        }
        v.throwIfAny();
        requireCanGrant(actor, role);
        Instant now = now();
        try {
            return requestIds.once(actor.organizationId(), requestId, "user", tx -> {
                User u = Users.insert(tx, actor.organizationId(), email.trim(),
                        displayName == null ? "" : displayName.trim(), role, now);
                audit.record(tx, AuditEvent.of(actor, "user.create", "user", u.id(), Map.of("role", role.dbName()), now));
                return RequestIds.Made.of(u, u.id());
            }, (tx, id, secret) -> Users.toDomain(fetch(tx, actor, id, false)));
        } catch (IntegrityConstraintViolationException e) {
            throw new SwitchboardException.AlreadyExists("a user with email " + email.trim() + " already exists");
        }
    }

    public User get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading users");
        return Users.toDomain(fetch(dsl, actor, Ids.parse("id", idText), false));
    }

    public Page<User> list(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing users");
        PageRequest page = PageRequest.of(pageSize, pageToken, "users");
        return Keyset.page(dsl, USERS, USERS.ORGANIZATION_ID.eq(actor.organizationId()).and(USERS.DELETED_AT.isNull()),
                USERS.CREATED_AT, USERS.ID, page, "users", Users::toDomain,
                u -> new PageRequest.Cursor(u.createdAt(), u.id()));
    }

    public User update(Principal actor, String idText, Optional<String> displayName, Optional<Role> role) {
        actor.require(Role.ADMIN, "updating users");
        UUID id = Ids.parse("user.id", idText);
        Violations v = new Violations();
        displayName.ifPresent(n -> v.maxLength("user.display_name", n, 200));
        if (role.isPresent() && role.get() == null) {
            v.add("user.role", "must be owner, admin, agent or viewer");
        }
        v.throwIfAny();
        role.ifPresent(r -> requireCanGrant(actor, r));
        Instant now = now();
        User u = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            lockOwners(tx, actor.organizationId());
            UsersRecord r = fetch(tx, actor, id, true);
            Role current = Role.fromDb(r.getRole().getLiteral());
            if (current == Role.OWNER) {
                actor.require(Role.OWNER, "changing an owner");
            }
            if (current == Role.OWNER && role.isPresent() && role.get() != Role.OWNER && owners(tx, actor) <= 1) {
                throw new SwitchboardException.FailedPrecondition("LAST_OWNER",
                        "the organisation's last owner cannot be demoted; make another user owner first");
            }
            displayName.ifPresent(n -> r.setDisplayName(n.trim()));
            role.ifPresent(x -> r.setRole(MemberRole.lookupLiteral(x.dbName())));
            r.setUpdatedAt(now).store();
            // a demoted user's keys must not keep the old role (member_role sorts most privileged first)
            role.ifPresent(x -> tx.update(API_KEYS).set(API_KEYS.ROLE, MemberRole.lookupLiteral(x.dbName()))
                    .where(API_KEYS.ORGANIZATION_ID.eq(actor.organizationId())).and(API_KEYS.USER_ID.eq(id))
                    .and(API_KEYS.ROLE.lt(MemberRole.lookupLiteral(x.dbName()))).execute());
            User updated = Users.toDomain(r);
            audit.record(tx, AuditEvent.of(actor, "user.update", "user", id, Map.of("role", updated.role().dbName()), now));
            return updated;
        });
        if (role.isPresent()) {
            keyChanges.organization(actor.organizationId()); // the user's keys may have lost their role
        }
        return u;
    }

    public void delete(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting users");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            lockOwners(tx, actor.organizationId());
            UsersRecord r = fetch(tx, actor, id, true);
            if (r.getRole() == MemberRole.owner) {
                actor.require(Role.OWNER, "deleting an owner");
                if (owners(tx, actor) <= 1) {
                    throw new SwitchboardException.FailedPrecondition("LAST_OWNER",
                            "the organisation's last owner cannot be deleted");
                }
            }
            r.setDeletedAt(now).setUpdatedAt(now).store();
            tx.update(API_KEYS).set(API_KEYS.REVOKED_AT, now)
                    .where(API_KEYS.ORGANIZATION_ID.eq(actor.organizationId())).and(API_KEYS.USER_ID.eq(id))
                    .and(API_KEYS.REVOKED_AT.isNull()).execute();
            audit.record(tx, AuditEvent.of(actor, "user.delete", "user", id, Map.of(), now));
        });
        keyChanges.organization(actor.organizationId()); // the user's keys were revoked
    }

    private static void requireCanGrant(Principal actor, Role role) {
        if (role == Role.OWNER) {
            actor.require(Role.OWNER, "granting the owner role");
        }
    }

    private static UsersRecord fetch(DSLContext tx, Principal actor, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(USERS).where(USERS.ID.eq(id)).and(USERS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(USERS.DELETED_AT.isNull());
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("user", id.toString()));
    }

    /** Serialises owner changes per organisation, so two concurrent demotions cannot remove the last owner. */
    private static void lockOwners(DSLContext tx, UUID orgId) {
        tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))", orgId.toString())).fetch();
    }

    private static int owners(DSLContext tx, Principal actor) {
        return tx.fetchCount(USERS, USERS.ORGANIZATION_ID.eq(actor.organizationId())
                .and(USERS.DELETED_AT.isNull()).and(USERS.ROLE.eq(MemberRole.owner)));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
