package io.switchboard.conversation;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.switchboard.conversation.brain.llm.TokenMeter;
import io.switchboard.summaries.ModelUsage;

/**
 * The LLM tokens of the calls in progress, by call, as the LLM brain reports them request by request (it serves
 * every call of the process), until each call's engine takes its own when the call ends. A request still streaming
 * when its call ended reports after that: those tokens go to {@code late}, metered on their own, instead of
 * staying here forever (a call is remembered as taken for {@link #REMEMBER_TAKEN_NANOS}).
 */
public final class LlmTokens implements TokenMeter {

    static final long REMEMBER_TAKEN_NANOS = TimeUnit.MINUTES.toNanos(15);

    private final Map<UUID, Entry> byCall = new ConcurrentHashMap<>();
    private final TokenMeter late;
    private final LongSupplier nanos;
    private volatile long lastPurge;

    /** One call's tokens while it runs; after {@link #take} only the time it was taken. */
    private record Entry(ModelUsage usage, long takenAt, boolean taken) {
    }

    public LlmTokens(TokenMeter late) {
        this(late, System::nanoTime);
    }

    LlmTokens(TokenMeter late, LongSupplier nanos) {
        this.late = late;
        this.nanos = nanos;
    }

    @Override
    public void record(UUID organizationId, UUID callId, ModelUsage usage) {
        boolean[] afterTake = {false};
        byCall.compute(callId, (id, e) -> {
            if (e == null) {
                return new Entry(usage, 0, false);
            }
            if (e.taken()) {
                afterTake[0] = true;
                return e;
            }
            return new Entry(e.usage().plus(usage), 0, false);
        });
        if (afterTake[0]) {
            late.record(organizationId, callId, usage);
        }
    }

    /** The call's tokens so far; later reports for it go to the late meter. */
    public ModelUsage take(UUID callId) {
        long now = nanos.getAsLong();
        if (now - lastPurge > TimeUnit.MINUTES.toNanos(1)) {
            lastPurge = now;
            byCall.values().removeIf(e -> e.taken() && now - e.takenAt() > REMEMBER_TAKEN_NANOS);
        }
        ModelUsage[] taken = {ModelUsage.NONE};
        byCall.compute(callId, (id, e) -> {
            if (e != null && !e.taken()) {
                taken[0] = e.usage();
            }
            return new Entry(ModelUsage.NONE, now, true);
        });
        return taken[0];
    }

    /** Calls held: running ones and recently taken ones (for tests). */
    int held() {
        return byCall.size();
    }
}
