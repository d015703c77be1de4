package io.switchboard.usage;

import static io.switchboard.db.Tables.USAGE_RECORDS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.enums.UsageMetric;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.PlanService;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Metering and usage reports. The pipeline records facts once per (organisation, metric, source key), so
 * a stage that runs twice bills nothing twice; reports sum them into UTC days or months.
 */
public final class UsageService {

    public enum Metric {
        CALL_MS, TRANSCRIBED_MS, LLM_INPUT_TOKENS, LLM_OUTPUT_TOKENS, SYNTHESIZED_CHARACTERS, RECOGNIZED_MS,
        SMS_SEGMENTS, WHATSAPP_MESSAGES;

        UsageMetric db() {
            return UsageMetric.valueOf(name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    public enum Granularity { DAY, MONTH }

    /** @param smsSegments SMS parts sent and received, as carriers bill them; WhatsApp is billed per message */
    public record Totals(long calls, long callMs, long transcribedMs, long llmInputTokens, long llmOutputTokens,
                         long billableCallMinutes, long smsSegments, long whatsappMessages) {
        public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, 0, 0);

        /** Call and model usage only. */
        public Totals(long calls, long callMs, long transcribedMs, long llmInputTokens, long llmOutputTokens,
                      long billableCallMinutes) {
            this(calls, callMs, transcribedMs, llmInputTokens, llmOutputTokens, billableCallMinutes, 0, 0);
        }

        Totals plus(Totals o) {
            return new Totals(calls + o.calls, callMs + o.callMs, transcribedMs + o.transcribedMs,
                    llmInputTokens + o.llmInputTokens, llmOutputTokens + o.llmOutputTokens,
                    billableCallMinutes + o.billableCallMinutes, smsSegments + o.smsSegments,
                    whatsappMessages + o.whatsappMessages);
        }
    }

    public record Bucket(Instant start, Instant end, Totals totals) {
    }

    public record Report(List<Bucket> buckets, Totals totals) {
    }

    static final Duration MAX_DAY_RANGE = Duration.ofDays(400);
    static final Duration MAX_MONTH_RANGE = Duration.ofDays(3660);

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;

    public UsageService(DSLContext dsl, Clock clock, PlanService plans) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
    }

    /**
     * Records one fact, in the caller's transaction when {@code tx} is one, so a pipeline stage and its
     * metering commit together.
     *
     * @return false when this (metric, source key) was already recorded: nothing changed
     */
    public boolean record(DSLContext tx, UUID organizationId, Metric metric, long quantity, Optional<UUID> callId,
                          String sourceKey, Instant occurredAt) {
        if (quantity < 0) {
            throw new IllegalArgumentException("usage quantity must not be negative: " + quantity);
        }
        Instant occurred = occurredAt.truncatedTo(ChronoUnit.MICROS);
        Instant expires = plans.effectivePolicy(organizationId).retention(DataClass.USAGE_RECORDS).expiry(occurred)
                .orElse(null);
        return tx.insertInto(USAGE_RECORDS)
                .set(USAGE_RECORDS.ORGANIZATION_ID, organizationId)
                .set(USAGE_RECORDS.METRIC, metric.db())
                .set(USAGE_RECORDS.QUANTITY, quantity)
                .set(USAGE_RECORDS.CALL_ID, callId.orElse(null))
                .set(USAGE_RECORDS.SOURCE_KEY, sourceKey)
                .set(USAGE_RECORDS.OCCURRED_AT, occurred)
                .set(USAGE_RECORDS.EXPIRES_AT, expires)
                .set(USAGE_RECORDS.RECORDED_AT, clock.instant().truncatedTo(ChronoUnit.MICROS))
                .onConflictDoNothing()
                .execute() == 1;
    }

    public boolean record(UUID organizationId, Metric metric, long quantity, Optional<UUID> callId, String sourceKey,
                          Instant occurredAt) {
        return record(dsl, organizationId, metric, quantity, callId, sourceKey, occurredAt);
    }

    /** Usage of the caller's organisation in [start, end), one bucket per UTC day or month, empty ones included. */
    public Report report(Principal actor, Optional<Instant> start, Optional<Instant> end, Granularity granularity) {
        actor.require(Role.VIEWER, "reading usage");
        Violations v = new Violations();
        if (start.isEmpty()) {
            v.add("start_time", "is required");
        }
        if (end.isEmpty()) {
            v.add("end_time", "is required");
        }
        v.throwIfAny();
        Instant from = start.get();
        Instant to = end.get();
        if (!from.isBefore(to)) {
            throw new SwitchboardException.InvalidArgument("end_time", "must be after start_time");
        }
        Duration max = granularity == Granularity.DAY ? MAX_DAY_RANGE : MAX_MONTH_RANGE;
        if (Duration.between(from, to).compareTo(max) > 0) {
            throw new SwitchboardException.InvalidArgument("end_time", "the range may span at most " + max.toDays()
                    + " days at " + granularity + " granularity");
        }
        String unit = granularity == Granularity.DAY ? "day" : "month";
        Field<LocalDateTime> bucket = DSL.field("date_trunc({0}, {1} AT TIME ZONE 'UTC')", SQLDataType.LOCALDATETIME,
                DSL.inline(unit), USAGE_RECORDS.OCCURRED_AT).as("bucket");
        Field<Long> sum = DSL.sum(USAGE_RECORDS.QUANTITY).cast(SQLDataType.BIGINT).as("total");
        Field<Integer> calls = DSL.countDistinct(USAGE_RECORDS.CALL_ID).as("calls");
        Field<Long> billable = DSL.field("sum(ceil({0} / 60000.0))", SQLDataType.BIGINT, USAGE_RECORDS.QUANTITY)
                .as("billable");
        Map<LocalDateTime, Totals> byBucket = new HashMap<>();
        dsl.select(bucket, USAGE_RECORDS.METRIC, sum, calls, billable)
                .from(USAGE_RECORDS)
                .where(USAGE_RECORDS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(USAGE_RECORDS.OCCURRED_AT.ge(from)).and(USAGE_RECORDS.OCCURRED_AT.lt(to))
                .groupBy(DSL.field("bucket"), USAGE_RECORDS.METRIC)
                .forEach(r -> {
                    long total = r.get(sum);
                    Totals t = switch (r.get(USAGE_RECORDS.METRIC)) {
                        case call_ms -> new Totals(r.get(calls), total, 0, 0, 0, r.get(billable));
                        case transcribed_ms -> new Totals(0, 0, total, 0, 0, 0);
                        case llm_input_tokens -> new Totals(0, 0, 0, total, 0, 0);
                        case llm_output_tokens -> new Totals(0, 0, 0, 0, total, 0);
                        // metered per conversation; the report's totals do not carry them yet
                        case synthesized_characters, recognized_ms -> Totals.ZERO;
                        case sms_segments -> new Totals(0, 0, 0, 0, 0, 0, total, 0);
                        case whatsapp_messages -> new Totals(0, 0, 0, 0, 0, 0, 0, total);
                    };
                    byBucket.merge(r.get(bucket), t, Totals::plus);
                });
        List<Bucket> buckets = new ArrayList<>();
        Totals all = Totals.ZERO;
        LocalDateTime cursor = truncate(LocalDateTime.ofInstant(from, ZoneOffset.UTC), granularity);
        while (cursor.toInstant(ZoneOffset.UTC).isBefore(to)) {
            LocalDateTime next = granularity == Granularity.DAY ? cursor.plusDays(1) : cursor.plusMonths(1);
            Instant bucketStart = max(cursor.toInstant(ZoneOffset.UTC), from);
            Instant bucketEnd = min(next.toInstant(ZoneOffset.UTC), to);
            Totals t = byBucket.getOrDefault(cursor, Totals.ZERO);
            buckets.add(new Bucket(bucketStart, bucketEnd, t));
            all = all.plus(t);
            cursor = next;
        }
        return new Report(buckets, all);
    }

    private static LocalDateTime truncate(LocalDateTime t, Granularity g) {
        LocalDateTime day = t.truncatedTo(ChronoUnit.DAYS);
        return g == Granularity.DAY ? day : day.with(TemporalAdjusters.firstDayOfMonth());
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
