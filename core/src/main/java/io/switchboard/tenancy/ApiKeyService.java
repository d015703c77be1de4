package io.switchboard.tenancy;

import static io.switchboard.db.Tables.API_KEYS;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.USERS;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
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
import io.switchboard.db.enums.MemberRole;
import io.switchboard.db.tables.records.ApiKeysRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Issues, authenticates and revokes API keys. A key can never be given more than its creator's role
 * (nor more than the role of the user it acts for),
 * and only a platform operator's key can mint another operator key (through bootstrap).
 */
public final class ApiKeyService {

    /** last_used_at is written at most this often per key, so authentication is not a write per request. */
    static final Duration LAST_USED_GRANULARITY = Duration.ofMinutes(1);

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;
    private final RequestIds requestIds;
    private final KeyChanges changes;

    /** @param requestIds must seal secrets: a retried create answers with the same key, secret included */
    public ApiKeyService(DSLContext dsl, Clock clock, AuditSink audit, RequestIds requestIds, KeyChanges changes) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
        this.requestIds = requestIds;
        this.changes = changes;
    }

    /** Where this process hears of keys that became invalid or weaker (for caches of keys). */
    public KeyChanges changes() {
        return changes;
    }

    /**
     * Resolves a presented bearer key to its principal: one read of the key (and, at most once a minute per
     * key, a write of when it was last used).
     *
     * @throws SwitchboardException.Unauthenticated for unknown, malformed, revoked or expired keys and
     *                                              keys of deleted organisations, all with one message so
     *                                              a caller cannot probe which case applies
     */
    public Principal authenticate(String presentedKey, String remoteAddress) {
        ApiKeySecrets.Presented p = presented(presentedKey);
        Verified k = lookup(p.prefix()).orElseThrow(() -> new SwitchboardException.Unauthenticated("invalid API key"));
        Principal principal = admit(k, p, remoteAddress);
        touchIfDue(k);
        return principal;
    }

    /** What authentication needs of a stored key, as read (see {@link VerifiedKeys} for the cache of these). */
    record Verified(UUID id, UUID organizationId, String prefix, byte[] secretSha256, Role role, Optional<UUID> userId,
                    boolean platformOperator, Optional<Instant> expiresAt, boolean revoked,
                    java.util.concurrent.atomic.AtomicReference<Instant> lastUsedAt) {
    }

    static ApiKeySecrets.Presented presented(String presentedKey) {
        return ApiKeySecrets.parse(presentedKey)
                .orElseThrow(() -> new SwitchboardException.Unauthenticated("invalid API key"));
    }

    /** The key with this prefix, unless its organisation is closed. */
    Optional<Verified> lookup(String prefix) {
        return dsl.select(API_KEYS.fields()).from(API_KEYS)
                .join(ORGANIZATIONS).on(ORGANIZATIONS.ID.eq(API_KEYS.ORGANIZATION_ID))
                .where(API_KEYS.PREFIX.eq(prefix))
                .and(ORGANIZATIONS.DELETED_AT.isNull())
                .fetchOptionalInto(API_KEYS)
                .map(k -> new Verified(k.getId(), k.getOrganizationId(), k.getPrefix(), k.getSecretSha256(),
                        Role.fromDb(k.getRole().getLiteral()), Optional.ofNullable(k.getUserId()), k.getPlatformOperator(),
                        Optional.ofNullable(k.getExpiresAt()), k.getRevokedAt() != null,
                        new java.util.concurrent.atomic.AtomicReference<>(k.getLastUsedAt())));
    }

    /** Checks the presented secret, revocation and expiry (now, by the clock) against {@code k}. */
    Principal admit(Verified k, ApiKeySecrets.Presented p, String remoteAddress) {
        if (!MessageDigest.isEqual(k.secretSha256(), p.sha256())) {
            throw new SwitchboardException.Unauthenticated("invalid API key");
        }
        if (k.revoked()) {
            throw new SwitchboardException.Unauthenticated("API key " + k.prefix() + " was revoked");
        }
        if (k.expiresAt().isPresent() && !now().isBefore(k.expiresAt().get())) {
            throw new SwitchboardException.Unauthenticated("API key " + k.prefix() + " has expired");
        }
        return new Principal(k.organizationId(), k.id(), k.role(), k.userId(), k.platformOperator(), remoteAddress);
    }

    /** Writes last_used_at if the last write is older than {@link #LAST_USED_GRANULARITY}. */
    void touchIfDue(Verified k) {
        Instant now = now();
        Instant last = k.lastUsedAt().get();
        if ((last == null || last.plus(LAST_USED_GRANULARITY).isBefore(now)) && k.lastUsedAt().compareAndSet(last, now)) {
            dsl.update(API_KEYS).set(API_KEYS.LAST_USED_AT, now).where(API_KEYS.ID.eq(k.id())).execute();
        }
    }

    public ApiKey.Created create(Principal actor, String name, Role role, String userIdText,
                                 Optional<Instant> requestedExpiry) {
        return create(actor, name, role, userIdText, requestedExpiry, RequestId.NONE);
    }

    /**
     * Issues a key; a retry with the same {@code requestId} gets the key (and secret) the first attempt made,
     * even if it was revoked since.
     */
    public ApiKey.Created create(Principal actor, String name, Role role, String userIdText,
                                 Optional<Instant> requestedExpiry, RequestId requestId) {
        actor.require(Role.ADMIN, "creating API keys");
        // stored in microseconds; PostgreSQL would round nanoseconds, so the key could outlive what was returned
        Optional<Instant> expiresAt = requestedExpiry.map(e -> e.truncatedTo(ChronoUnit.MICROS));
        Violations v = new Violations().requireText("name", name, 200);
        if (role == null) {
            v.add("role", "is required (owner, admin, agent or viewer)");
        }
        Instant now = now();
        expiresAt.ifPresent(e -> {
            if (!e.isAfter(now)) {
                v.add("expire_time", "must be in the future");
            }
        });
        Optional<UUID> userId = Optional.empty();
        try {
            userId = Ids.parseOptional("user_id", userIdText);
        } catch (SwitchboardException.InvalidArgument e) {
            e.violations().forEach(x -> v.add(x.field(), x.reason()));
        }
        v.throwIfAny();
        if (!actor.role().atLeast(role)) {
            throw new SwitchboardException.PermissionDenied("an API key's role cannot exceed the caller's own role ("
                    + actor.role().dbName() + ")");
        }
        userId.ifPresent(u -> {
            Role userRole = dsl.select(USERS.ROLE).from(USERS).where(USERS.ID.eq(u))
                    .and(USERS.ORGANIZATION_ID.eq(actor.organizationId())).and(USERS.DELETED_AT.isNull())
                    .fetchOptional(r -> Role.fromDb(r.value1().getLiteral()))
                    .orElseThrow(() -> new SwitchboardException.NotFound("user", u.toString()));
            if (!userRole.atLeast(role)) {
                throw new SwitchboardException.InvalidArgument("role", "a key acting for a user cannot exceed the user's"
                        + " role (" + userRole.dbName() + ")");
            }
        });
        Optional<UUID> forUser = userId;
        return requestIds.once(actor.organizationId(), requestId, "api_key", tx -> {
            ApiKey.Created created = insert(tx, actor.organizationId(), name.trim(), role, forUser, false, expiresAt, now);
            audit.record(tx, AuditEvent.of(actor, "api_key.create", "api_key", created.apiKey().id(),
                    Map.of("role", role.dbName(), "prefix", created.apiKey().prefix()), now));
            return new RequestIds.Made<>(created, created.apiKey().id(), created.secret());
        }, (tx, id, secret) -> new ApiKey.Created(key(tx, actor.organizationId(), id), secret));
    }

    /** Inserts a key inside the caller's transaction; used by organisation creation and bootstrap too. */
    static ApiKey.Created insert(DSLContext tx, UUID orgId, String name, Role role, Optional<UUID> userId,
                                 boolean operator, Optional<Instant> expiresAt, Instant now) {
        ApiKeySecrets.Generated g = ApiKeySecrets.generate();
        ApiKeysRecord r = tx.newRecord(API_KEYS)
                .setId(Ids.newId())
                .setOrganizationId(orgId)
                .setUserId(userId.orElse(null))
                .setName(name)
                .setPrefix(g.prefix())
                .setSecretSha256(g.sha256())
                .setRole(MemberRole.lookupLiteral(role.dbName()))
                .setPlatformOperator(operator)
                .setCreatedAt(now)
                .setExpiresAt(expiresAt.orElse(null));
        r.store();
        return new ApiKey.Created(toDomain(r), g.key());
    }

    /** A key of {@code org} by id, revoked or not. */
    static ApiKey key(DSLContext tx, UUID org, UUID id) {
        return tx.selectFrom(API_KEYS).where(API_KEYS.ID.eq(id)).and(API_KEYS.ORGANIZATION_ID.eq(org))
                .fetchOptional().map(ApiKeyService::toDomain)
                .orElseThrow(() -> new SwitchboardException.NotFound("api_key", id.toString()));
    }

    public ApiKey get(Principal actor, String idText) {
        actor.require(Role.ADMIN, "reading API keys");
        UUID id = Ids.parse("id", idText);
        return dsl.selectFrom(API_KEYS).where(API_KEYS.ID.eq(id)).and(API_KEYS.ORGANIZATION_ID.eq(actor.organizationId()))
                .fetchOptional().map(ApiKeyService::toDomain)
                .orElseThrow(() -> new SwitchboardException.NotFound("api_key", id.toString()));
    }

    public Page<ApiKey> list(Principal actor, int pageSize, String pageToken, boolean includeRevoked) {
        actor.require(Role.ADMIN, "listing API keys");
        String scope = "api_keys:" + includeRevoked;
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition c = API_KEYS.ORGANIZATION_ID.eq(actor.organizationId());
        if (!includeRevoked) {
            c = c.and(API_KEYS.REVOKED_AT.isNull());
        }
        return Keyset.page(dsl, API_KEYS, c, API_KEYS.CREATED_AT, API_KEYS.ID, page, scope, ApiKeyService::toDomain,
                k -> new PageRequest.Cursor(k.createdAt(), k.id()));
    }

    public ApiKey revoke(Principal actor, String idText) {
        actor.require(Role.ADMIN, "revoking API keys");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        ApiKey key = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ApiKeysRecord r = tx.selectFrom(API_KEYS).where(API_KEYS.ID.eq(id))
                    .and(API_KEYS.ORGANIZATION_ID.eq(actor.organizationId())).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("api_key", id.toString()));
            if (!actor.role().atLeast(Role.fromDb(r.getRole().getLiteral()))) {
                throw new SwitchboardException.PermissionDenied("revoking an " + r.getRole().getLiteral()
                        + " key needs that role or higher");
            }
            if (r.getRevokedAt() == null) {
                r.setRevokedAt(now).store();
            }
            audit.record(tx, AuditEvent.of(actor, "api_key.revoke", "api_key", id, Map.of("prefix", r.getPrefix()), now));
            return toDomain(r);
        });
        changes.key(id);
        return key;
    }

    static ApiKey toDomain(ApiKeysRecord r) {
        return new ApiKey(r.getId(), r.getOrganizationId(), r.getName(), r.getPrefix(),
                Role.fromDb(r.getRole().getLiteral()), Optional.ofNullable(r.getUserId()), r.getPlatformOperator(),
                r.getCreatedAt(), Optional.ofNullable(r.getLastUsedAt()), Optional.ofNullable(r.getRevokedAt()),
                Optional.ofNullable(r.getExpiresAt()));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
