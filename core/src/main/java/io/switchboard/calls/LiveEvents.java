package io.switchboard.calls;

import static io.switchboard.db.Tables.CALL_EVENTS;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.switchboard.encryption.ContentSeal;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The live events of calls in progress, shared by every API server through PostgreSQL: the server that holds a
 * call appends its events in order ({@link Publisher}), each announced on {@link #CHANNEL} as
 * {@code <call id>:<seq>} (a pointer; the event itself may exceed NOTIFY's 8000-byte payload), and
 * {@code <call id>:end} once the call has ended; watchers on any server read what follows the last event they
 * saw ({@link #after}). Events are opaque bytes here (the API's own encoding). A HIPAA-mode organisation's
 * events are sealed, as its transcripts are. Rows are kept {@link #KEEP}: long enough for a watcher to catch up,
 * short enough that content does not linger beside the transcript and its retention.
 */
public final class LiveEvents {

    public static final String CHANNEL = "switchboard_call_events";
    public static final Duration KEEP = Duration.ofMinutes(5);

    private final DSLContext dsl;
    private final ContentSeal seal;

    public LiveEvents(DSLContext dsl, ContentSeal seal) {
        this.dsl = dsl;
        this.seal = seal;
    }

    /** One event as stored: its place in the call's order and its bytes (opened if sealed). */
    public record Event(int seq, byte[] payload) {
    }

    /** The appending side of one call; used by the one thread that handles the call. */
    public final class Publisher {
        private final UUID org;
        private final UUID callId;
        private final boolean sealed;
        private int seq;

        private Publisher(UUID org, UUID callId, boolean sealed) {
            this.org = org;
            this.callId = callId;
            this.sealed = sealed;
        }

        /** Appends the call's next event and announces it, in one statement (one round trip). */
        public void publish(byte[] event) {
            int next = seq + 1;
            byte[] stored = sealed ? seal.seal(org, place(callId, next), event) : event;
            dsl.resultQuery("WITH e AS (INSERT INTO call_events (call_id, seq, organization_id, payload, sealed)"
                            + " VALUES ({0}, {1}, {2}, {3}, {4})) SELECT pg_notify({5}, {6})",
                    DSL.val(callId), DSL.val(next), DSL.val(org), DSL.val(stored), DSL.val(sealed),
                    DSL.val(CHANNEL), DSL.val(callId + ":" + next)).fetch();
            seq = next;
        }

        /** Announces that the call has ended (its row says how); every event was published before. */
        public void ended() {
            io.switchboard.common.Notifications.notify(dsl, CHANNEL, callId + ":end");
        }
    }

    /** @param sealed whether the call's organisation is in HIPAA mode (its events are stored sealed) */
    public Publisher publisher(UUID org, UUID callId, boolean sealed) {
        return new Publisher(org, callId, sealed);
    }

    /** The sequence number of the call's newest event, 0 if none: a new watcher's starting point. */
    public int last(UUID org, UUID callId) {
        Integer max = dsl.select(DSL.max(CALL_EVENTS.SEQ)).from(CALL_EVENTS).where(CALL_EVENTS.CALL_ID.eq(callId))
                .and(CALL_EVENTS.ORGANIZATION_ID.eq(org)).fetchOne(0, Integer.class);
        return max == null ? 0 : max;
    }

    /** Up to {@code limit} events of the call after {@code seq}, in order. */
    public List<Event> after(UUID org, UUID callId, int seq, int limit) {
        return dsl.select(CALL_EVENTS.SEQ, CALL_EVENTS.PAYLOAD, CALL_EVENTS.SEALED).from(CALL_EVENTS)
                .where(CALL_EVENTS.CALL_ID.eq(callId)).and(CALL_EVENTS.ORGANIZATION_ID.eq(org))
                .and(CALL_EVENTS.SEQ.gt(seq)).orderBy(CALL_EVENTS.SEQ).limit(limit)
                .fetch(r -> new Event(r.value1(), r.value3() ? seal.open(org, place(callId, r.value1()), r.value2())
                        : r.value2()));
    }

    /** Deletes events older than {@link #KEEP}; returns how many. */
    public int sweep() {
        return dsl.deleteFrom(CALL_EVENTS).where(DSL.condition("{0} < now() - make_interval(secs => {1})",
                CALL_EVENTS.CREATED_AT, DSL.val(KEEP.toSeconds()))).execute();
    }

    /** Deletes every event of these calls at once (erasure). */
    public static int delete(DSLContext tx, List<UUID> callIds) {
        return tx.deleteFrom(CALL_EVENTS).where(CALL_EVENTS.CALL_ID.in(callIds)).execute();
    }

    private static String place(UUID callId, int seq) {
        return "call_event:" + callId + ":" + seq;
    }
}
