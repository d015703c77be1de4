package io.switchboard.worker;

import static io.switchboard.db.Tables.JOBS;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.service.registry.Services;
import io.switchboard.db.enums.JobState;
import io.switchboard.plans.DataClass;
import io.switchboard.retention.RetentionService;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The worker's meters, in the process's global registry (served as Prometheus text at
 * {@code /observe/metrics}): pipeline stage durations, the recogniser's real-time factor, queue depth and
 * age per job kind, retention lag per data class, and what the dialer did. Gauges that need the database
 * read it at most every {@link #REFRESH} however often they are scraped.
 */
public final class WorkerMetrics {

    static final Duration REFRESH = Duration.ofSeconds(5);
    private static final MeterRegistry REGISTRY = Services.get(MeterRegistry.class);

    private WorkerMetrics() {
    }

    /** How long a pipeline stage took, by stage and outcome (succeeded, skipped, failed). */
    public static void stage(String stage, String outcome, Duration took) {
        REGISTRY.getOrCreate(Timer.builder("switchboard_pipeline_stage").baseUnit("seconds")
                .description("Duration of call pipeline stages").tags(tags("stage", stage, "outcome", outcome)))
                .record(took);
    }

    /** Processing time over audio time of one transcription (below 1 is faster than real time). */
    public static void realTimeFactor(String engine, double factor) {
        REGISTRY.getOrCreate(DistributionSummary.builder("switchboard_recognizer_realtime_factor")
                .description("Recogniser processing time divided by audio duration").tags(tags("engine", engine)))
                .record(factor);
    }

    /** What one dialer tick did. */
    public static void dialer(String what, long n) {
        if (n > 0) {
            REGISTRY.getOrCreate(Counter.builder("switchboard_dialer_" + what).description("Dialer " + what))
                    .increment(n);
        }
    }

    /** Queue depth and the age of the oldest due job, per job kind, and retention lag per data class. */
    static void registerGauges(DSLContext dsl, RetentionService retention, Iterable<String> kinds) {
        for (String kind : kinds) {
            Cached<Map<String, Double>> queue = new Cached<>(() -> {
                Instant now = Instant.now();
                var r = dsl.select(DSL.count(), DSL.min(JOBS.RUN_AT)).from(JOBS).where(JOBS.KIND.eq(kind))
                        .and(JOBS.STATE.eq(JobState.queued)).and(JOBS.RUN_AT.le(now)).fetchSingle();
                return Map.of("depth", r.value1().doubleValue(), "age",
                        r.value2() == null ? 0.0 : Duration.between(r.value2(), now).toMillis() / 1000.0);
            });
            REGISTRY.getOrCreate(Gauge.builder("switchboard_queue_depth", () -> queue.get().get("depth"))
                    .description("Jobs due and not yet claimed").tags(tags("kind", kind)));
            REGISTRY.getOrCreate(Gauge.builder("switchboard_queue_oldest_age_seconds", () -> queue.get().get("age"))
                    .description("How long the oldest due job has waited").tags(tags("kind", kind)));
        }
        Cached<Map<DataClass, Duration>> lag = new Cached<>(() -> retention.lag(Instant.now()));
        for (DataClass c : DataClass.values()) {
            if (c == DataClass.AUDIT_LOG) {
                continue; // pruned at checkpoints, not by expiry stamps
            }
            REGISTRY.getOrCreate(Gauge.builder("switchboard_retention_lag_seconds",
                            () -> lag.get().getOrDefault(c, Duration.ZERO).toMillis() / 1000.0)
                    .description("How long the oldest expired, unheld item has outlived its expiry")
                    .tags(tags("class", c.name().toLowerCase(java.util.Locale.ROOT))));
        }
    }

    private static List<Tag> tags(String... keysAndValues) {
        List<Tag> tags = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            tags.add(Tag.create(keysAndValues[i], keysAndValues[i + 1]));
        }
        return tags;
    }

    /** A value read at most every {@link #REFRESH}. */
    private static final class Cached<T> {
        private final Supplier<T> read;
        private T value;
        private long readAt;

        Cached(Supplier<T> read) {
            this.read = read;
        }

        synchronized T get() {
            if (value == null || System.nanoTime() - readAt > REFRESH.toNanos()) {
                value = read.get();
                readAt = System.nanoTime();
            }
            return value;
        }
    }
}
