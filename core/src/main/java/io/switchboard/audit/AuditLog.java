package io.switchboard.audit;

import static io.switchboard.db.Tables.AUDIT_CHECKPOINTS;
import static io.switchboard.db.Tables.AUDIT_HEADS;
import static io.switchboard.db.Tables.AUDIT_LOG;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.db.tables.records.AuditCheckpointsRecord;
import io.switchboard.db.tables.records.AuditHeadsRecord;
import io.switchboard.db.tables.records.AuditLogRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * The tamper-evident audit trail: an {@link AuditSink} that appends every event to its organisation's hash
 * chain in PostgreSQL, plus the queries, the verification and the pruning over it.
 *
 * <p><b>Chain.</b> Entry n's hash is SHA-256(hash of entry n-1 ‖ canonical encoding of entry n); entry 1
 * follows 32 zero bytes. The canonical encoding (version 1) is, in this order: the organisation id, the
 * sequence number as 8 bytes big-endian, the time in microseconds since the epoch as 8 bytes big-endian, the
 * actor's API key id and user id (empty when absent), the remote address, the action, the resource type and
 * id, the number of details as 4 bytes, then each detail's key and value in key order; every string is its
 * UTF-8 bytes preceded by their length as 4 bytes big-endian. Appends to one organisation's chain are
 * serialised by a row lock on its head ({@code audit_heads}).
 *
 * <p><b>Checkpoints</b> assert "the chain before entry s hashes to h", signed with Ed25519
 * ({@link AuditSigner}). Someone who edits an entry and recomputes every later hash (and the head) still
 * cannot forge the signature of a checkpoint after the edit. Pruning writes a checkpoint at the cut first,
 * so the remaining chain verifies from there.
 *
 * <p>Events are appended in their own transaction after the change they describe has committed (the
 * {@code AuditSink} contract); a failed append is logged at SEVERE with the whole event.
 */
public final class AuditLog implements AuditSink {

    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
    static final byte[] GENESIS = new byte[32];
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 1000;

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSigner signer;
    private volatile BiFunction<UUID, Instant, Optional<Instant>> expiry = (org, at) -> Optional.empty();

    public AuditLog(DSLContext dsl, Clock clock, AuditSigner signer) {
        this.dsl = dsl;
        this.clock = clock;
        this.signer = signer;
    }

    /** How long entries live: from the organisation's plan (set once the plan service exists). */
    public void useRetention(BiFunction<UUID, Instant, Optional<Instant>> expiryOfEntryAt) {
        this.expiry = expiryOfEntryAt;
    }

    // ------------------------------------------------------------------ appending

    @Override
    public void record(AuditEvent e) {
        try {
            append(e);
        } catch (RuntimeException ex) {
            LOG.log(Level.SEVERE, "AUDIT ENTRY NOT STORED: org=" + e.organizationId() + " key=" + e.actorApiKeyId()
                    + " from=" + e.remoteAddress() + " action=" + e.action() + " " + e.resourceType() + "/"
                    + e.resourceId() + " " + e.details() + " at=" + e.at(), ex);
        }
    }

    @Override
    public void record(DSLContext tx, AuditEvent e) {
        append(tx, e);
    }

    /** Appends the event to its organisation's chain and returns the stored entry. */
    public AuditEntry append(AuditEvent e) {
        return append(dsl, e);
    }

    /**
     * Appends within {@code outer}'s transaction when it is in one (as a savepoint), else in a transaction of
     * its own. The organisation's chain head stays locked until the outer transaction ends.
     */
    public AuditEntry append(DSLContext outer, AuditEvent e) {
        UUID org = e.organizationId();
        Instant at = e.at().truncatedTo(ChronoUnit.MICROS); // what PostgreSQL stores, so the hash re-computes
        Optional<Instant> expiresAt = expiry.apply(org, at);
        return outer.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            tx.insertInto(AUDIT_HEADS).set(AUDIT_HEADS.ORGANIZATION_ID, org).set(AUDIT_HEADS.SEQ, 0L)
                    .set(AUDIT_HEADS.HASH, GENESIS).onConflictDoNothing().execute();
            AuditHeadsRecord head = tx.selectFrom(AUDIT_HEADS).where(AUDIT_HEADS.ORGANIZATION_ID.eq(org)).forUpdate()
                    .fetchSingle();
            AuditEntry unhashed = new AuditEntry(org, head.getSeq() + 1, at, Optional.ofNullable(e.actorApiKeyId()),
                    Optional.empty(), e.remoteAddress() == null ? "" : e.remoteAddress(), e.action(), e.resourceType(),
                    e.resourceId(), new TreeMap<>(e.details()), head.getHash(), null);
            byte[] hash = hash(unhashed.prevHash(), canonical(unhashed));
            tx.insertInto(AUDIT_LOG)
                    .set(AUDIT_LOG.ORGANIZATION_ID, org).set(AUDIT_LOG.SEQ, unhashed.seq()).set(AUDIT_LOG.AT, at)
                    .set(AUDIT_LOG.ACTOR_API_KEY, e.actorApiKeyId()).set(AUDIT_LOG.REMOTE_ADDRESS, unhashed.remoteAddress())
                    .set(AUDIT_LOG.ACTION, e.action()).set(AUDIT_LOG.RESOURCE_TYPE, e.resourceType())
                    .set(AUDIT_LOG.RESOURCE_ID, e.resourceId()).set(AUDIT_LOG.DETAILS, json(unhashed.details()))
                    .set(AUDIT_LOG.EXPIRES_AT, expiresAt.orElse(null))
                    .set(AUDIT_LOG.PREV_HASH, unhashed.prevHash()).set(AUDIT_LOG.HASH, hash).execute();
            head.setSeq(unhashed.seq()).setHash(hash).update();
            return new AuditEntry(org, unhashed.seq(), at, unhashed.actorApiKey(), Optional.empty(),
                    unhashed.remoteAddress(), e.action(), e.resourceType(), e.resourceId(), unhashed.details(),
                    unhashed.prevHash(), hash);
        });
    }

    static byte[] canonical(AuditEntry e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        string(out, e.organizationId().toString());
        out.writeBytes(ByteBuffer.allocate(16).putLong(e.seq())
                .putLong(ChronoUnit.MICROS.between(Instant.EPOCH, e.at())).array());
        string(out, e.actorApiKey().map(UUID::toString).orElse(""));
        string(out, e.actorUser().map(UUID::toString).orElse(""));
        string(out, e.remoteAddress());
        string(out, e.action());
        string(out, e.resourceType());
        string(out, e.resourceId());
        Map<String, String> sorted = new TreeMap<>(e.details());
        out.writeBytes(ByteBuffer.allocate(4).putInt(sorted.size()).array());
        sorted.forEach((k, v) -> {
            string(out, k);
            string(out, v);
        });
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
        out.writeBytes(b);
    }

    static byte[] hash(byte[] prev, byte[] canonical) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(prev);
            d.update(canonical);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Entries that match all given parts; an action ending in '.' matches as a prefix. */
    public record Filter(Optional<Instant> from, Optional<Instant> to, Optional<UUID> actorApiKey,
                         Optional<String> resourceType, Optional<String> resourceId, Optional<String> action) {
        public static final Filter ALL = new Filter(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());

        Condition condition(UUID org) {
            Condition c = AUDIT_LOG.ORGANIZATION_ID.eq(org);
            c = from.map(f -> AUDIT_LOG.AT.ge(f)).map(c::and).orElse(c);
            c = to.map(t -> AUDIT_LOG.AT.lt(t)).map(c::and).orElse(c);
            c = actorApiKey.map(AUDIT_LOG.ACTOR_API_KEY::eq).map(c::and).orElse(c);
            c = resourceType.map(AUDIT_LOG.RESOURCE_TYPE::eq).map(c::and).orElse(c);
            c = resourceId.map(AUDIT_LOG.RESOURCE_ID::eq).map(c::and).orElse(c);
            if (action.isPresent()) {
                String a = action.get();
                c = c.and(a.endsWith(".") ? AUDIT_LOG.ACTION.startsWith(a) : AUDIT_LOG.ACTION.eq(a));
            }
            return c;
        }
    }

    /** Newest first; the page token carries the last sequence number seen. */
    public Page<AuditEntry> list(Principal actor, Filter filter, int pageSize, String pageToken) {
        actor.require(Role.ADMIN, "reading the audit trail");
        int size = pageSize <= 0 ? PageRequest.DEFAULT_PAGE_SIZE : pageSize;
        if (size > PageRequest.MAX_PAGE_SIZE) {
            throw new SwitchboardException.InvalidArgument("page_size", "must be at most " + PageRequest.MAX_PAGE_SIZE);
        }
        Condition c = filter.condition(actor.organizationId());
        if (pageToken != null && !pageToken.isEmpty()) {
            c = c.and(AUDIT_LOG.SEQ.lt(seqOfToken(pageToken)));
        }
        List<AuditEntry> rows = dsl.selectFrom(AUDIT_LOG).where(c).orderBy(AUDIT_LOG.SEQ.desc()).limit(size + 1)
                .fetch(AuditLog::entry);
        if (rows.size() <= size) {
            return new Page<>(rows, Optional.empty());
        }
        List<AuditEntry> page = rows.subList(0, size);
        return new Page<>(List.copyOf(page), Optional.of(token(page.getLast().seq())));
    }

    /** Every matching entry, oldest first, read in chunks. */
    public void export(Principal actor, Filter filter, Consumer<AuditEntry> sink) {
        actor.require(Role.ADMIN, "exporting the audit trail");
        long after = 0;
        while (true) {
            List<AuditEntry> chunk = dsl.selectFrom(AUDIT_LOG).where(filter.condition(actor.organizationId())
                    .and(AUDIT_LOG.SEQ.gt(after))).orderBy(AUDIT_LOG.SEQ).limit(CHUNK).fetch(AuditLog::entry);
            chunk.forEach(sink);
            if (chunk.size() < CHUNK) {
                return;
            }
            after = chunk.getLast().seq();
        }
    }

    private static String token(long seq) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("audit:" + seq).getBytes(StandardCharsets.UTF_8));
    }

    private static long seqOfToken(String token) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (s.startsWith("audit:")) {
                return Long.parseLong(s.substring(6));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw new SwitchboardException.InvalidArgument("page_token", "is not a token this list returned");
    }

    private static AuditEntry entry(AuditLogRecord r) {
        return new AuditEntry(r.getOrganizationId(), r.getSeq(), r.getAt(), Optional.ofNullable(r.getActorApiKey()),
                Optional.ofNullable(r.getActorUser()), r.getRemoteAddress(), r.getAction(), r.getResourceType(),
                r.getResourceId(), details(r.getDetails()), r.getPrevHash(), r.getHash());
    }

    private static JSONB json(Map<String, String> details) {
        try {
            return JSONB.jsonb(JSON.writeValueAsString(details));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> details(JSONB jsonb) {
        try {
            return jsonb == null ? Map.of() : JSON.readValue(jsonb.data(), new TypeReference<TreeMap<String, String>>() { });
        } catch (JsonProcessingException e) {
            return Map.of("<unreadable details>", jsonb.data());
        }
    }

    // ------------------------------------------------------------------ checkpoints, pruning, verification

    /** A signed statement that the chain before entry {@code seq} hashes to {@code hash}. */
    public record Checkpoint(UUID organizationId, long seq, byte[] hash, Instant at, String keyId, byte[] signature,
                             boolean prunedBefore) {
    }

    static byte[] checkpointMessage(UUID org, long seq, byte[] hash, Instant at) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        string(out, "switchboard-audit-checkpoint-v1");
        string(out, org.toString());
        out.writeBytes(ByteBuffer.allocate(16).putLong(seq).putLong(ChronoUnit.MICROS.between(Instant.EPOCH, at)).array());
        out.writeBytes(hash);
        return out.toByteArray();
    }

    /** Signs the organisation's current head, unless it is empty or already signed. */
    public Optional<Checkpoint> checkpoint(UUID org) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            AuditHeadsRecord head = tx.selectFrom(AUDIT_HEADS).where(AUDIT_HEADS.ORGANIZATION_ID.eq(org)).forUpdate()
                    .fetchOptional().orElse(null);
            if (head == null || head.getSeq() == 0 || tx.fetchExists(AUDIT_CHECKPOINTS, AUDIT_CHECKPOINTS.ORGANIZATION_ID
                    .eq(org).and(AUDIT_CHECKPOINTS.SEQ.eq(head.getSeq() + 1)))) {
                return Optional.empty();
            }
            return Optional.of(insertCheckpoint(tx, org, head.getSeq() + 1, head.getHash(), false));
        });
    }

    /** Checkpoints every organisation whose head moved since its last checkpoint; returns how many. */
    public int checkpointAll() {
        int n = 0;
        for (UUID org : dsl.select(AUDIT_HEADS.ORGANIZATION_ID).from(AUDIT_HEADS).fetch(AUDIT_HEADS.ORGANIZATION_ID)) {
            if (checkpoint(org).isPresent()) {
                n++;
            }
        }
        return n;
    }

    private Checkpoint insertCheckpoint(DSLContext tx, UUID org, long seq, byte[] hash, boolean pruned) {
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        byte[] sig = signer.sign(checkpointMessage(org, seq, hash, at));
        tx.insertInto(AUDIT_CHECKPOINTS).set(AUDIT_CHECKPOINTS.ORGANIZATION_ID, org).set(AUDIT_CHECKPOINTS.SEQ, seq)
                .set(AUDIT_CHECKPOINTS.HASH, hash).set(AUDIT_CHECKPOINTS.AT, at).set(AUDIT_CHECKPOINTS.KEY_ID, signer.keyId())
                .set(AUDIT_CHECKPOINTS.SIGNATURE, sig).set(AUDIT_CHECKPOINTS.PRUNED_BEFORE, pruned).execute();
        return new Checkpoint(org, seq, hash, at, signer.keyId(), sig, pruned);
    }

    /** What a prune deleted: how many entries, and the time of the newest of them. */
    public record Pruned(long entries, Instant lastExpiredAt) {
    }

    /**
     * Deletes the organisation's entries older than {@code before}, after a signed checkpoint at the cut;
     * returns how many were deleted. The remaining chain verifies from the checkpoint.
     */
    public long prune(UUID org, Instant before) {
        Long firstKept = dsl.select(DSL.min(AUDIT_LOG.SEQ)).from(AUDIT_LOG).where(AUDIT_LOG.ORGANIZATION_ID.eq(org))
                .and(AUDIT_LOG.AT.ge(before)).fetchOne(0, Long.class);
        return pruneBefore(org, firstKept != null ? firstKept : headSeq(org) + 1).entries();
    }

    /** The sequence number of the organisation's last entry; 0 before the first. */
    public long headSeq(UUID org) {
        return dsl.select(AUDIT_HEADS.SEQ).from(AUDIT_HEADS).where(AUDIT_HEADS.ORGANIZATION_ID.eq(org))
                .fetchOptional(AUDIT_HEADS.SEQ).orElse(0L);
    }

    /**
     * Deletes the organisation's entries before entry {@code cut} (one past the head: all of them), after a
     * signed checkpoint at the cut. The remaining chain verifies from the checkpoint.
     */
    public Pruned pruneBefore(UUID org, long cut) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            AuditHeadsRecord head = tx.selectFrom(AUDIT_HEADS).where(AUDIT_HEADS.ORGANIZATION_ID.eq(org)).forUpdate()
                    .fetchOptional().orElse(null);
            if (head == null || cut < 1 || cut > head.getSeq() + 1) {
                return new Pruned(0, Instant.EPOCH);
            }
            Instant newest = tx.select(DSL.max(AUDIT_LOG.AT)).from(AUDIT_LOG).where(AUDIT_LOG.ORGANIZATION_ID.eq(org))
                    .and(AUDIT_LOG.SEQ.lt(cut)).fetchOne(0, Instant.class);
            if (newest == null) {
                return new Pruned(0, Instant.EPOCH);
            }
            byte[] hashBefore = cut == head.getSeq() + 1 ? head.getHash()
                    : tx.select(AUDIT_LOG.PREV_HASH).from(AUDIT_LOG).where(AUDIT_LOG.ORGANIZATION_ID.eq(org))
                            .and(AUDIT_LOG.SEQ.eq(cut)).fetchSingle(AUDIT_LOG.PREV_HASH);
            // an earlier cut at the same place (its delete then failed) is reused; a plain checkpoint there
            // signs the same hash and may stand beside the pruning one
            if (!tx.fetchExists(AUDIT_CHECKPOINTS, AUDIT_CHECKPOINTS.ORGANIZATION_ID.eq(org)
                    .and(AUDIT_CHECKPOINTS.SEQ.eq(cut)).and(AUDIT_CHECKPOINTS.PRUNED_BEFORE))) {
                insertCheckpoint(tx, org, cut, hashBefore, true);
            }
            long n = tx.select(DSL.field("audit_prune({0}, {1})", Long.class, DSL.val(org), DSL.val(cut))).fetchSingle()
                    .value1();
            return new Pruned(n, newest);
        });
    }

    public ChainVerification verify(Principal actor) {
        actor.require(Role.ADMIN, "verifying the audit trail");
        return verify(actor.organizationId());
    }

    /** Re-computes the organisation's chain from its first stored entry and checks every checkpoint. */
    public ChainVerification verify(UUID org) {
        Map<Long, AuditCheckpointsRecord> checkpoints = new HashMap<>();
        long checkpointsChecked = 0;
        for (AuditCheckpointsRecord cp : dsl.selectFrom(AUDIT_CHECKPOINTS).where(AUDIT_CHECKPOINTS.ORGANIZATION_ID.eq(org))
                .fetch()) {
            if (!signer.verify(cp.getKeyId(), checkpointMessage(org, cp.getSeq(), cp.getHash(), cp.getAt()), cp.getSignature())) {
                return new ChainVerification(0, checkpointsChecked, 0, 0, Optional.of(cp.getSeq()),
                        "the signature of the checkpoint before entry " + cp.getSeq() + " does not verify (key "
                                + cp.getKeyId() + ")");
            }
            AuditCheckpointsRecord same = checkpoints.get(cp.getSeq());
            if (same != null && !Arrays.equals(same.getHash(), cp.getHash())) {
                return new ChainVerification(0, checkpointsChecked, 0, 0, Optional.of(cp.getSeq()),
                        "two signed checkpoints before entry " + cp.getSeq() + " disagree on the chain's hash");
            }
            if (same == null || cp.getPrunedBefore()) {
                checkpoints.put(cp.getSeq(), cp);
            }
            checkpointsChecked++;
        }
        AuditHeadsRecord head = dsl.selectFrom(AUDIT_HEADS).where(AUDIT_HEADS.ORGANIZATION_ID.eq(org)).fetchOptional()
                .orElse(null);
        long headSeq = head == null ? 0 : head.getSeq();
        byte[] headHash = head == null ? GENESIS : head.getHash();

        long firstSeq = 0;
        long expectedSeq = -1;
        byte[] expectedPrev = null;
        long checked = 0;
        long after = 0;
        while (true) {
            List<AuditLogRecord> chunk = dsl.selectFrom(AUDIT_LOG).where(AUDIT_LOG.ORGANIZATION_ID.eq(org)
                    .and(AUDIT_LOG.SEQ.gt(after))).orderBy(AUDIT_LOG.SEQ).limit(CHUNK).fetch();
            for (AuditLogRecord r : chunk) {
                if (expectedSeq < 0) {
                    firstSeq = r.getSeq();
                    if (r.getSeq() == 1) {
                        expectedPrev = GENESIS;
                    } else {
                        AuditCheckpointsRecord cut = checkpoints.get(r.getSeq());
                        if (cut == null || !cut.getPrunedBefore()) {
                            return broken(checked, checkpointsChecked, firstSeq, r.getSeq(), "entries 1.." + (r.getSeq() - 1)
                                    + " are missing and no signed pruning checkpoint covers the cut");
                        }
                        expectedPrev = cut.getHash();
                    }
                    expectedSeq = r.getSeq();
                }
                if (r.getSeq() != expectedSeq) {
                    return broken(checked, checkpointsChecked, firstSeq, expectedSeq, "entry " + expectedSeq + " is missing");
                }
                if (!Arrays.equals(r.getPrevHash(), expectedPrev)) {
                    return broken(checked, checkpointsChecked, firstSeq, r.getSeq(),
                            "its prev_hash is not the hash of the entry before it");
                }
                AuditCheckpointsRecord cp = checkpoints.get(r.getSeq());
                if (cp != null && !Arrays.equals(cp.getHash(), r.getPrevHash())) {
                    return broken(checked, checkpointsChecked, firstSeq, r.getSeq(), "the chain before it does not "
                            + "match the signed checkpoint of " + cp.getAt() + " (entries before it were rewritten)");
                }
                AuditEntry e = entry(r);
                if (!Arrays.equals(hash(r.getPrevHash(), canonical(e)), r.getHash())) {
                    return broken(checked, checkpointsChecked, firstSeq, r.getSeq(),
                            "its contents do not match its hash (the entry was altered)");
                }
                expectedPrev = r.getHash();
                expectedSeq++;
                checked++;
            }
            if (chunk.size() < CHUNK) {
                break;
            }
            after = chunk.getLast().getSeq();
        }
        long lastSeq = expectedSeq < 0 ? headSeq : expectedSeq - 1;
        if (expectedSeq < 0) { // no entries stored: all pruned, or none ever written
            expectedPrev = headSeq == 0 ? GENESIS : Optional.ofNullable(checkpoints.get(headSeq + 1))
                    .filter(AuditCheckpointsRecord::getPrunedBefore).map(AuditCheckpointsRecord::getHash).orElse(null);
            if (expectedPrev == null) {
                return broken(0, checkpointsChecked, 0, 1, "the head says " + headSeq
                        + " entries but none is stored and no pruning checkpoint covers them");
            }
        }
        if (headSeq != lastSeq) {
            return broken(checked, checkpointsChecked, firstSeq, lastSeq + 1, "the chain ends at entry " + lastSeq
                    + " but its head says " + headSeq + " (entries were removed from the end)");
        }
        if (!Arrays.equals(headHash, expectedPrev)) {
            return broken(checked, checkpointsChecked, firstSeq, lastSeq, "the head's hash is not the last entry's");
        }
        AuditCheckpointsRecord atHead = checkpoints.get(headSeq + 1);
        if (atHead != null && !Arrays.equals(atHead.getHash(), headHash)) {
            return broken(checked, checkpointsChecked, firstSeq, headSeq + 1,
                    "the chain does not match the signed checkpoint of " + atHead.getAt());
        }
        Optional<Long> beyond = checkpoints.keySet().stream().filter(s -> s > headSeq + 1).max(Long::compare);
        if (beyond.isPresent()) {
            return broken(checked, checkpointsChecked, firstSeq, headSeq + 1, "signed checkpoints exist up to entry "
                    + beyond.get() + " but the chain ends at " + headSeq + " (entries were removed from the end)");
        }
        return new ChainVerification(checked, checkpointsChecked, firstSeq, lastSeq, Optional.empty(), "");
    }

    private static ChainVerification broken(long checked, long checkpoints, long first, long at, String reason) {
        return new ChainVerification(checked, checkpoints, first, at - 1, Optional.of(at), reason);
    }
}
