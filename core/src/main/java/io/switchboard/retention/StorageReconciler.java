package io.switchboard.retention;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.ORGANIZATIONS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.storage.ObjectStore;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Keeps storage and the database from disagreeing for long. For each organisation it lists the objects under
 * {@code recordings/{org}/} and compares them with the calls table:
 * <ul>
 *   <li>an object no row accounts for (its call is gone, or it is a segment of a call already assembled, or
 *       an assembled recording the row does not name) is deleted once it is older than {@code settle}, so a
 *       write in flight between storage and its row is never mistaken for an orphan;</li>
 *   <li>a row naming a recording that is not in storage is reported (logged at SEVERE and returned): the
 *       audio is lost and nothing can bring it back, so the row is left as it is for a person to judge.</li>
 * </ul>
 * Only one process reconciles at a time (a PostgreSQL advisory lock); the others skip their turn.
 */
public final class StorageReconciler {

    private static final Logger LOG = Logger.getLogger(StorageReconciler.class.getName());
    private static final Pattern KEY = Pattern.compile(
            "recordings/([0-9a-f-]{36})/([0-9a-f-]{36})(?:\\.wav|/segments/(\\d{6}))");
    private static final long LOCK = 0x5377_6974_6368_0001L; // "Switch" + 1

    /** What one run found and did. */
    public record Report(long objectsScanned, long orphansDeleted, long orphanBytes, List<String> missingObjects,
                         boolean ran) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final RecordingStore store;
    private final Duration settle;

    public StorageReconciler(DSLContext dsl, Clock clock, RecordingStore store, Duration settle) {
        this.dsl = dsl;
        this.clock = clock;
        this.store = store;
        this.settle = settle;
    }

    public Report run() {
        return dsl.connectionResult(c -> {
            DSLContext session = DSL.using(c, dsl.dialect());
            if (!session.select(DSL.field("pg_try_advisory_lock({0})", Boolean.class, DSL.val(LOCK))).fetchSingle().value1()) {
                return new Report(0, 0, 0, List.of(), false);
            }
            try {
                return reconcileAll();
            } finally {
                session.select(DSL.field("pg_advisory_unlock({0})", Boolean.class, DSL.val(LOCK))).fetch();
            }
        });
    }

    private Report reconcileAll() {
        long scanned = 0;
        long deleted = 0;
        long bytes = 0;
        List<String> missing = new ArrayList<>();
        Instant cutoff = clock.instant().minus(settle);
        for (UUID org : dsl.select(ORGANIZATIONS.ID).from(ORGANIZATIONS).fetch(ORGANIZATIONS.ID)) {
            Map<UUID, CallsRecord> calls = new HashMap<>();
            for (CallsRecord r : dsl.selectFrom(CALLS).where(CALLS.ORGANIZATION_ID.eq(org)).fetch()) {
                calls.put(r.getId(), r);
            }
            Map<UUID, Boolean> assembledSeen = new HashMap<>();
            List<String> orphans = new ArrayList<>();
            for (ObjectStore.Listed o : store.list("recordings/" + org + "/")) {
                scanned++;
                Optional<CallsRecord> owner = owner(o.key(), calls, assembledSeen);
                if (owner.isEmpty() && o.lastModified().isBefore(cutoff)) {
                    orphans.add(o.key());
                    bytes += o.size();
                }
            }
            if (!orphans.isEmpty()) {
                store.deleteAll(orphans);
                deleted += orphans.size();
                LOG.warning(() -> "reconciler: deleted " + orphans.size() + " object(s) of organisation " + org
                        + " that no call accounts for");
            }
            for (CallsRecord r : calls.values()) {
                if (r.getRecordingKey() != null && !assembledSeen.containsKey(r.getId())
                        && r.getUpdatedAt().isBefore(cutoff)) {
                    missing.add(r.getRecordingKey());
                    LOG.log(Level.SEVERE, "reconciler: call " + r.getId() + " names recording " + r.getRecordingKey()
                            + ", which is not in storage");
                }
            }
        }
        return new Report(scanned, deleted, bytes, missing, true);
    }

    /** The call an object belongs to, if its row accounts for it. */
    private static Optional<CallsRecord> owner(String key, Map<UUID, CallsRecord> calls, Map<UUID, Boolean> assembledSeen) {
        Matcher m = KEY.matcher(key);
        if (!m.matches()) {
            return Optional.empty(); // nothing of ours is named like that
        }
        CallsRecord c = calls.get(UUID.fromString(m.group(2)));
        if (c == null) {
            return Optional.empty();
        }
        if (m.group(3) == null) { // assembled
            if (key.equals(c.getRecordingKey())) {
                assembledSeen.put(c.getId(), true);
                return Optional.of(c);
            }
            // written but not yet recorded: the pipeline records it next (the settle time covers that)
            return c.getRecordingKey() == null && c.getRecordingDeletedAt() == null ? Optional.of(c) : Optional.empty();
        }
        int n = Integer.parseInt(m.group(3));
        boolean live = c.getRecordingKey() == null && c.getRecordingDeletedAt() == null && n < c.getAudioSegments();
        return live ? Optional.of(c) : Optional.empty();
    }
}
