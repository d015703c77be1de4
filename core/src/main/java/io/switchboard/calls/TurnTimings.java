package io.switchboard.calls;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.TURN_LATENCIES;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * The {@code turn_latencies} rows: each agent reply's latency as the conversation measured it, read back per call
 * (the call page) and as a distribution over a campaign's calls (its statistics).
 */
public final class TurnTimings {

    /** Upper bounds of the distribution's buckets; a last bucket counts the rest. */
    public static final List<Duration> BUCKETS = List.of(Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofMillis(750), Duration.ofSeconds(1), Duration.ofMillis(1500), Duration.ofSeconds(2),
            Duration.ofSeconds(3), Duration.ofSeconds(5));

    /**
     * Replies measured and their total latency's percentiles; {@code counts} has one entry per {@link #BUCKETS}
     * bound and one more for the rest.
     */
    public record Distribution(long count, Duration p50, Duration p95, Duration p99, List<Long> counts) {
        public Distribution {
            counts = List.copyOf(counts);
        }
    }

    private final DSLContext dsl;
    private final Clock clock;

    public TurnTimings(DSLContext dsl, Clock clock) {
        this.dsl = dsl;
        this.clock = clock;
    }

    /**
     * Keeps one reply's timing (again for the same turn: the first stays). The variables it filled are those among
     * {@code captured} that no earlier turn of the call filled.
     */
    public void save(UUID org, UUID callId, TurnTiming t, Collection<String> captured) {
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            Set<String> filled = new LinkedHashSet<>(captured);
            tx.select(TURN_LATENCIES.VARIABLES).from(TURN_LATENCIES).where(TURN_LATENCIES.CALL_ID.eq(callId))
                    .and(TURN_LATENCIES.ORGANIZATION_ID.eq(org)).and(TURN_LATENCIES.TURN.lt(t.turn()))
                    .forEach(r -> filled.removeAll(List.of(r.value1())));
            tx.insertInto(TURN_LATENCIES).set(TURN_LATENCIES.CALL_ID, callId).set(TURN_LATENCIES.ORGANIZATION_ID, org)
                    .set(TURN_LATENCIES.TURN, t.turn()).set(TURN_LATENCIES.CALLER_END_MS, Math.max(0, t.callerEndMs()))
                    .set(TURN_LATENCIES.ENDPOINTING_MS, Math.max(0, t.endpointingMs()))
                    .set(TURN_LATENCIES.RECOGNIZER_MS, Math.max(0, t.recognizerMs()))
                    .set(TURN_LATENCIES.MACHINE_DETECTION_MS, Math.max(0, t.machineDetectionMs()))
                    .set(TURN_LATENCIES.DECISION_MS, Math.max(0, t.decisionMs()))
                    .set(TURN_LATENCIES.FIRST_AUDIO_MS, Math.max(0, t.firstAudioMs()))
                    .set(TURN_LATENCIES.TOTAL_MS, Math.max(0, t.totalMs()))
                    .set(TURN_LATENCIES.VARIABLES, filled.toArray(String[]::new))
                    .set(TURN_LATENCIES.CREATED_AT, clock.instant())
                    .onConflictDoNothing().execute();
        });
    }

    /** The call's replies in order (the caller has checked the call is the reader's). */
    public List<TurnTiming> of(UUID org, UUID callId) {
        return dsl.selectFrom(TURN_LATENCIES).where(TURN_LATENCIES.CALL_ID.eq(callId))
                .and(TURN_LATENCIES.ORGANIZATION_ID.eq(org)).orderBy(TURN_LATENCIES.TURN)
                .fetch(r -> new TurnTiming(r.getTurn(), r.getCallerEndMs(), r.getEndpointingMs(), r.getRecognizerMs(),
                        r.getMachineDetectionMs(), r.getDecisionMs(), r.getFirstAudioMs(), r.getTotalMs(), List.of(r.getVariables())));
    }

    /** The total latency of every reply on the campaign's calls (deleted ones too, like the other statistics). */
    public static Distribution ofCampaign(DSLContext dsl, UUID org, UUID campaignId) {
        var rows = DSL.select(TURN_LATENCIES.TOTAL_MS).from(TURN_LATENCIES).join(CALLS)
                .on(CALLS.ID.eq(TURN_LATENCIES.CALL_ID)).and(CALLS.ORGANIZATION_ID.eq(TURN_LATENCIES.ORGANIZATION_ID))
                .where(TURN_LATENCIES.ORGANIZATION_ID.eq(org)).and(CALLS.CAMPAIGN_ID.eq(campaignId)).asTable("r");
        Field<Long> total = rows.field(TURN_LATENCIES.TOTAL_MS);
        List<Field<?>> fields = new ArrayList<>(List.of(DSL.count(),
                DSL.percentileCont(0.5).withinGroupOrderBy(total), DSL.percentileCont(0.95).withinGroupOrderBy(total),
                DSL.percentileCont(0.99).withinGroupOrderBy(total)));
        long previous = -1;
        for (Duration bound : BUCKETS) {
            fields.add(DSL.count().filterWhere(total.gt(previous).and(total.le(bound.toMillis()))));
            previous = bound.toMillis();
        }
        fields.add(DSL.count().filterWhere(total.gt(previous)));
        var r = dsl.select(fields).from(rows).fetchSingle();
        List<Long> counts = new ArrayList<>();
        for (int i = 4; i < fields.size(); i++) {
            counts.add(((Number) r.get(i)).longValue());
        }
        return new Distribution(((Number) r.get(0)).longValue(), millis(r.get(1)), millis(r.get(2)), millis(r.get(3)),
                counts);
    }

    private static Duration millis(Object v) {
        return Optional.ofNullable((Number) v).map(n -> Duration.ofMillis(Math.round(n.doubleValue())))
                .orElse(Duration.ZERO);
    }
}
