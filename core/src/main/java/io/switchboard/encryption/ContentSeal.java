package io.switchboard.encryption;

import static io.switchboard.db.Tables.ORGANIZATION_DATA_KEYS;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import javax.crypto.SecretKey;

import io.switchboard.db.tables.records.OrganizationDataKeysRecord;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Envelope encryption of call content for HIPAA-mode organisations. Each organisation has data keys (AES-256,
 * versioned, created on first use) stored wrapped by the master key; content is sealed with AES-256-GCM under
 * the newest, with associated data naming the organisation and the row it belongs to, so sealed content
 * copied to another row or organisation does not open. Sealed form: format byte (1), data key version (4
 * bytes), nonce (12), ciphertext, tag (16).
 *
 * <p>Rotating the master key: make the new key current, list the old one under
 * {@code encryption.previous-master-key-files}, and {@link #rewrapAll()} (every worker runs it) re-wraps each
 * data key; content is never re-encrypted. Unwrapped data keys are cached in memory.
 */
public final class ContentSeal {

    private static final byte FORMAT = 1;

    private final DSLContext dsl;
    private final Clock clock;
    private final MasterKeys master;
    private final ConcurrentMap<String, SecretKey> unwrapped = new ConcurrentHashMap<>();

    public ContentSeal(DSLContext dsl, Clock clock, MasterKeys master) {
        this.dsl = dsl;
        this.clock = clock;
        this.master = master;
    }

    /** Seals {@code plaintext} for {@code org}; {@code place} names the row (it must be given again to open). */
    public byte[] seal(UUID org, String place, byte[] plaintext) {
        int version = currentVersion(org);
        byte[] body = MasterKeys.Gcm.seal(key(org, version), plaintext, aad(org, place));
        return ByteBuffer.allocate(5 + body.length).put(FORMAT).putInt(version).put(body).array();
    }

    public byte[] seal(UUID org, String place, String plaintext) {
        return seal(org, place, plaintext.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] open(UUID org, String place, byte[] sealed) {
        if (sealed.length < 5 + MasterKeys.NONCE + 16 || sealed[0] != FORMAT) {
            throw new MasterKeys.SealBroken("not sealed content of a known format", null);
        }
        int version = ByteBuffer.wrap(sealed, 1, 4).getInt();
        byte[] body = new byte[sealed.length - 5];
        System.arraycopy(sealed, 5, body, 0, body.length);
        return MasterKeys.Gcm.open(key(org, version), body, aad(org, place));
    }

    public String openString(UUID org, String place, byte[] sealed) {
        return new String(open(org, place, sealed), StandardCharsets.UTF_8);
    }

    /** Starts a new data key version for {@code org}: new content is sealed with it, old content still opens. */
    public int rotateDataKey(UUID org) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))", "data-keys:" + org)).fetch();
            Integer max = tx.select(DSL.max(ORGANIZATION_DATA_KEYS.VERSION)).from(ORGANIZATION_DATA_KEYS)
                    .where(ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(org)).fetchOne(0, Integer.class);
            int next = max == null ? 1 : max + 1;
            insert(tx, org, next);
            return next;
        });
    }

    /** Re-wraps every data key wrapped by an earlier master key with the current one; returns how many. */
    public int rewrapAll() {
        int n = 0;
        for (OrganizationDataKeysRecord r : dsl.selectFrom(ORGANIZATION_DATA_KEYS)
                .where(ORGANIZATION_DATA_KEYS.MASTER_KEY_ID.ne(master.currentId())).fetch()) {
            byte[] context = wrapContext(r.getOrganizationId(), r.getVersion());
            SecretKey k = master.unwrap(r.getMasterKeyId(), r.getWrapped(), context);
            n += dsl.update(ORGANIZATION_DATA_KEYS).set(ORGANIZATION_DATA_KEYS.WRAPPED, master.wrap(k, context))
                    .set(ORGANIZATION_DATA_KEYS.MASTER_KEY_ID, master.currentId())
                    .set(ORGANIZATION_DATA_KEYS.REWRAPPED_AT, now())
                    .where(ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(r.getOrganizationId()))
                    .and(ORGANIZATION_DATA_KEYS.VERSION.eq(r.getVersion()))
                    .and(ORGANIZATION_DATA_KEYS.MASTER_KEY_ID.eq(r.getMasterKeyId())).execute();
        }
        return n;
    }

    private int currentVersion(UUID org) {
        Integer v = dsl.select(DSL.max(ORGANIZATION_DATA_KEYS.VERSION)).from(ORGANIZATION_DATA_KEYS)
                .where(ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(org)).fetchOne(0, Integer.class);
        if (v != null) {
            return v;
        }
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))", "data-keys:" + org)).fetch();
            if (!tx.fetchExists(ORGANIZATION_DATA_KEYS, ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(org))) {
                insert(tx, org, 1);
            }
        });
        return currentVersion(org);
    }

    private void insert(DSLContext tx, UUID org, int version) {
        SecretKey k = MasterKeys.newKey();
        tx.insertInto(ORGANIZATION_DATA_KEYS).set(ORGANIZATION_DATA_KEYS.ORGANIZATION_ID, org)
                .set(ORGANIZATION_DATA_KEYS.VERSION, version).set(ORGANIZATION_DATA_KEYS.MASTER_KEY_ID, master.currentId())
                .set(ORGANIZATION_DATA_KEYS.WRAPPED, master.wrap(k, wrapContext(org, version)))
                .set(ORGANIZATION_DATA_KEYS.CREATED_AT, now()).execute();
    }

    private SecretKey key(UUID org, int version) {
        return unwrapped.computeIfAbsent(org + ":" + version, ignored -> {
            OrganizationDataKeysRecord r = dsl.selectFrom(ORGANIZATION_DATA_KEYS)
                    .where(ORGANIZATION_DATA_KEYS.ORGANIZATION_ID.eq(org)).and(ORGANIZATION_DATA_KEYS.VERSION.eq(version))
                    .fetchOptional().orElseThrow(() -> new MasterKeys.SealBroken("organisation " + org
                            + " has no data key version " + version, null));
            return master.unwrap(r.getMasterKeyId(), r.getWrapped(), wrapContext(org, version));
        });
    }

    private static byte[] wrapContext(UUID org, int version) {
        return ("switchboard-data-key|" + org + "|" + version).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] aad(UUID org, String place) {
        return ("switchboard-content|" + org + "|" + place).getBytes(StandardCharsets.UTF_8);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
