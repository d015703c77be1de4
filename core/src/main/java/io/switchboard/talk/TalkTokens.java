package io.switchboard.talk;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.API_KEYS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.TALK_TOKENS;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Tickets for talking to an agent from a browser: a page must not hold an API key in a WebSocket URL, so a key
 * that may place calls mints a short-lived token naming the agent (and optionally the contact), and the page opens
 * the call with it. Only the token's SHA-256 is stored, in PostgreSQL, so any server redeems it; redeeming is one
 * conditional UPDATE, so a token opens at most one call, within {@link #TTL}, and only while the key that minted
 * it is neither revoked nor expired. The call is then opened on that key's behalf, in its organisation.
 */
public final class TalkTokens {

    /** How long a minted token may be redeemed: enough for a page to open its socket, not to be passed around. */
    public static final Duration TTL = Duration.ofSeconds(60);
    static final String PREFIX = "talk_";
    private static final int SECRET_BYTES = 32;
    private static final int TOKEN_LENGTH = PREFIX.length() + 43; // 32 bytes, base64url without padding
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token as the page receives it, once. */
    public record Minted(String token, Instant expiresAt) {
    }

    /** What a redeemed token opens: a call to {@code agentId} on behalf of {@code actor}. */
    public record Redeemed(Principal actor, UUID agentId, Optional<UUID> contactId) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;

    public TalkTokens(DSLContext dsl, Clock clock, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * A token for a call to {@code agentIdText} (and {@code contactIdText}, or none when empty), by a key that may
     * place calls; the agent and contact must be the caller's organisation's.
     */
    public Minted mint(Principal actor, String agentIdText, String contactIdText) {
        actor.require(Role.AGENT, "placing or receiving calls");
        if (actor.apiKeyId() == null) {
            throw new SwitchboardException.PermissionDenied("talk tokens are minted by API keys");
        }
        UUID agentId = Ids.parse("agent_id", agentIdText);
        Optional<UUID> contactId = Ids.parseOptional("contact_id", contactIdText);
        Instant now = clock.instant();
        Instant expires = now.plus(TTL);
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID org = actor.organizationId();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            if (!tx.fetchExists(AGENTS, AGENTS.ID.eq(agentId).and(AGENTS.ORGANIZATION_ID.eq(org))
                    .and(AGENTS.DELETED_AT.isNull()))) {
                throw new SwitchboardException.NotFound("agent", agentId.toString());
            }
            if (contactId.isPresent() && !tx.fetchExists(CONTACTS, CONTACTS.ID.eq(contactId.get())
                    .and(CONTACTS.ORGANIZATION_ID.eq(org)).and(CONTACTS.DELETED_AT.isNull()))) {
                throw new SwitchboardException.NotFound("contact", contactId.get().toString());
            }
            // the organisation's spent tokens go as new ones come: the table holds minutes of tokens, not years
            tx.deleteFrom(TALK_TOKENS).where(TALK_TOKENS.ORGANIZATION_ID.eq(org))
                    .and(TALK_TOKENS.EXPIRES_AT.lt(now.minus(TTL))).execute();
            tx.insertInto(TALK_TOKENS).set(TALK_TOKENS.TOKEN_SHA256, sha256(token))
                    .set(TALK_TOKENS.ORGANIZATION_ID, org).set(TALK_TOKENS.API_KEY_ID, actor.apiKeyId())
                    .set(TALK_TOKENS.AGENT_ID, agentId).set(TALK_TOKENS.CONTACT_ID, contactId.orElse(null))
                    .set(TALK_TOKENS.CREATED_AT, now).set(TALK_TOKENS.EXPIRES_AT, expires).execute();
            Map<String, String> details = new LinkedHashMap<>();
            contactId.ifPresent(c -> details.put("contact_id", c.toString()));
            details.put("expires_at", expires.toString());
            audit.record(tx, AuditEvent.of(actor, "talk_token.create", "agent", agentId, details, now));
        });
        return new Minted(token, expires);
    }

    /**
     * Spends {@code token} (the page's, from {@code remoteAddress}): the call it opens, or UNAUTHENTICATED naming
     * why — malformed, unknown, expired, already used, or its key revoked.
     */
    public Redeemed redeem(String token, String remoteAddress) {
        if (token == null || token.isEmpty()) {
            throw new SwitchboardException.Unauthenticated("token: the query parameter is required (mint one with"
                    + " CallService.CreateTalkToken)");
        }
        if (token.length() != TOKEN_LENGTH || !token.startsWith(PREFIX)
                || !token.substring(PREFIX.length()).matches("[A-Za-z0-9_-]+")) {
            throw new SwitchboardException.Unauthenticated("token: not a talk token");
        }
        byte[] hash = sha256(token);
        Instant now = clock.instant();
        var t = TALK_TOKENS;
        var spent = dsl.update(t).set(t.REDEEMED_AT, now).from(API_KEYS, ORGANIZATIONS)
                .where(t.TOKEN_SHA256.eq(hash)).and(t.REDEEMED_AT.isNull()).and(t.EXPIRES_AT.gt(now))
                .and(API_KEYS.ID.eq(t.API_KEY_ID)).and(API_KEYS.REVOKED_AT.isNull())
                .and(API_KEYS.EXPIRES_AT.isNull().or(API_KEYS.EXPIRES_AT.gt(now)))
                .and(ORGANIZATIONS.ID.eq(t.ORGANIZATION_ID)).and(ORGANIZATIONS.DELETED_AT.isNull())
                .returningResult(t.ORGANIZATION_ID, t.API_KEY_ID, t.AGENT_ID, t.CONTACT_ID, API_KEYS.ROLE,
                        API_KEYS.USER_ID)
                .fetchOptional();
        if (spent.isEmpty()) {
            throw new SwitchboardException.Unauthenticated(whyRefused(hash, now));
        }
        var r = spent.get();
        Principal actor = new Principal(r.value1(), r.value2(), Role.fromDb(r.value5().getLiteral()),
                Optional.ofNullable(r.value6()), false, remoteAddress);
        return new Redeemed(actor, r.value3(), Optional.ofNullable(r.value4()));
    }

    private String whyRefused(byte[] hash, Instant now) {
        var row = dsl.selectFrom(TALK_TOKENS).where(TALK_TOKENS.TOKEN_SHA256.eq(hash)).fetchOptional();
        if (row.isEmpty()) {
            return "token: unknown (mint one with CallService.CreateTalkToken)";
        }
        if (row.get().getRedeemedAt() != null) {
            return "token: already used; a token opens one call, mint another";
        }
        if (!row.get().getExpiresAt().isAfter(now)) {
            return "token: expired at " + row.get().getExpiresAt() + " (tokens last " + TTL.toSeconds()
                    + " s); mint another";
        }
        return "token: the API key that minted it is revoked or expired, or its organisation closed";
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
