package io.switchboard.compliance;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;

import java.time.Duration;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import io.switchboard.db.enums.CallState;
import io.switchboard.plans.Quotas;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The plan's limit on an organisation's live calls, shared by the calls API and the dialer so that both count
 * the same slots under the same lock ({@link Quotas#lock}, kind {@value #KIND}).
 *
 * <p>A slot is held by every dial attempt the carrier has not finished (ringing, or answered and connected,
 * until the carrier's final status arrives), plus every active call that no unfinished attempt accounts
 * for (API calls, inbound calls, campaign calls whose attempt is settled). An attempt whose media stream has
 * already ended still holds its slot: the carrier's leg is up until it says otherwise.
 */
public final class LiveCallCap {

    static final String KIND = "calls";

    private LiveCallCap() {
    }

    /** Takes the organisation's call-slot lock for the rest of {@code tx}; counting after it is stable. */
    public static void lock(DSLContext tx, UUID org) {
        Quotas.lock(tx, org, KIND);
    }

    /** Slots in use now; call under {@link #lock}. */
    public static int inUse(DSLContext tx, UUID org) {
        int attempts = tx.fetchCount(DIAL_ATTEMPTS, DIAL_ATTEMPTS.ORGANIZATION_ID.eq(org)
                .and(DIAL_ATTEMPTS.STATE.ne("finished")));
        int otherCalls = tx.fetchCount(CALLS, CALLS.ORGANIZATION_ID.eq(org).and(CALLS.STATE.eq(CallState.active))
                .andNotExists(DSL.selectOne().from(DIAL_ATTEMPTS).where(DIAL_ATTEMPTS.CALL_ID.eq(CALLS.ID))
                        .and(DIAL_ATTEMPTS.STATE.ne("finished"))));
        return attempts + otherCalls;
    }

    /** Slots still free under {@code limit} (0: unlimited, reported as {@link Integer#MAX_VALUE}); call under {@link #lock}. */
    public static int free(DSLContext tx, UUID org, int limit) {
        return limit <= 0 ? Integer.MAX_VALUE : limit - inUse(tx, org);
    }

    /**
     * Locks and refuses one more call when all {@code limit} slots are taken (0: unlimited, nothing locked):
     * RESOURCE_EXHAUSTED {@code quota:concurrent_calls}, retry in a few seconds.
     */
    public static void claim(DSLContext tx, UUID org, int limit) {
        if (limit <= 0) {
            return;
        }
        lock(tx, org);
        int live = inUse(tx, org);
        if (live >= limit) {
            throw new SwitchboardException.ResourceExhausted("quota:concurrent_calls", "the plan allows "
                    + limit + " live calls and " + live + " are in progress or ringing; end one or move to a larger plan",
                    Duration.ofSeconds(5));
        }
    }
}
