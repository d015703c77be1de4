package io.switchboard.server.observe;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import javax.sql.DataSource;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.switchboard.storage.ObjectStore;
import io.switchboard.transcription.SpeechRecognizer;

/**
 * Health and metrics of a process, served at {@code /observe/health/live}, {@code /observe/health/ready}
 * and {@code /observe/metrics} (Prometheus text): on the API port for servers, on
 * {@code worker.observe-port} for workers. Readiness checks the database, the object store and the speech
 * recogniser, each bounded by {@link #TIMEOUT} so a hung dependency reads as down rather than hanging the
 * probe.
 */
public final class Observability {

    public static final Duration TIMEOUT = Duration.ofSeconds(3);

    private Observability() {
    }

    /** The observe feature with these readiness checks (liveness: the process answers). */
    public static ObserveFeature feature(List<HealthCheck> readiness) {
        var health = HealthObserver.builder().details(true).useSystemServices(false);
        readiness.forEach(c -> health.addCheck(c, HealthCheckType.READINESS));
        return ObserveFeature.builder().addObserver(health.build()).addObserver(MetricsObserver.create()).build();
    }

    /** A connection from the pool that answers {@code isValid} within the timeout. */
    public static HealthCheck database(DataSource ds) {
        return check("database", () -> {
            try (Connection c = ds.getConnection()) {
                boolean ok = c.isValid((int) TIMEOUT.toSeconds());
                return HealthCheckResponse.builder().status(ok).build();
            }
        });
    }

    /** The bucket can be reached (and exists). */
    public static HealthCheck objectStore(ObjectStore store) {
        return check("object-store", () -> HealthCheckResponse.builder().status(store.reachable())
                .detail("bucket", store.bucket()).build());
    }

    /** The recogniser's model is loaded; empty means it failed to load (the log says why). */
    public static HealthCheck recognizer(Optional<SpeechRecognizer> recognizer) {
        return check("speech-recognizer", () -> HealthCheckResponse.builder().status(recognizer.isPresent())
                .detail("engine", recognizer.map(SpeechRecognizer::engine).orElse("none: failed to load")).build());
    }

    interface Probe {
        HealthCheckResponse call() throws Exception;
    }

    private static HealthCheck check(String name, Probe probe) {
        Supplier<HealthCheckResponse> bounded = () -> {
            try {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return probe.call();
                    } catch (Exception e) {
                        return HealthCheckResponse.builder().status(false).detail("error", String.valueOf(e.getMessage()))
                                .build();
                    }
                }, r -> Thread.ofVirtual().start(r)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                return HealthCheckResponse.builder().status(false).detail("error", "no answer within " + TIMEOUT).build();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return HealthCheckResponse.builder().status(false).detail("error", "interrupted").build();
            } catch (java.util.concurrent.ExecutionException e) {
                return HealthCheckResponse.builder().status(false).detail("error", String.valueOf(e.getCause())).build();
            }
        };
        return new HealthCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public HealthCheckType type() {
                return HealthCheckType.READINESS;
            }

            @Override
            public HealthCheckResponse call() {
                return bounded.get();
            }
        };
    }
}
