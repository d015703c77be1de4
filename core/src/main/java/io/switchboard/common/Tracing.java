package io.switchboard.common;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * OpenTelemetry tracing of one process: a span per RPC on the servers and per pipeline job and stage on the
 * workers, joined into one trace across the queue by the W3C {@code traceparent} a job carries in its payload.
 * Spans go to an OTLP/HTTP collector when {@code tracing.otlp.endpoint} is set (Jaeger, Tempo, the
 * OpenTelemetry Collector); without one, ids are still made, for the logs, and nothing is sent.
 *
 * <p>One tracer provider per process, set up by {@link #configure} when the process starts (as Helidon's
 * metrics registry is one per process). Spans carry ids only (method, call, job, organisation), never
 * content or personal data.
 */
public final class Tracing {

    private static final Logger LOG = Logger.getLogger(Tracing.class.getName());
    private static final String SCOPE = "io.switchboard";
    private static final TextMapGetter<Map<String, String>> MAP_GETTER =
            (carrier, key) -> carrier == null ? null : carrier.get(key);

    /**
     * Keeps spans real when nothing exports them: a provider without processors hands out no-op spans, whose
     * ids are all zeros, and the logs need the ids.
     */
    private static final SpanProcessor IDS_ONLY = new SpanProcessor() {
        @Override
        public void onStart(Context parent, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
        }

        @Override
        public boolean isEndRequired() {
            return false;
        }
    };

    private static volatile SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(IDS_ONLY).build();
    /** {@code provider}'s tracer, kept beside it: {@code provider.get} is a registry lookup, and every RPC needs one. */
    private static volatile Tracer tracer = provider.get(SCOPE);

    private Tracing() {
    }

    /**
     * Sets this process's tracing up from the {@code tracing} node: {@code otlp.endpoint} (empty: export
     * nothing), {@code sample-ratio} (of new traces; a caller's sampling decision is followed),
     * {@code export-delay}; {@code service} names the process in the collector (server, worker, dev).
     */
    public static synchronized void configure(Config tracing, String service) {
        SdkTracerProviderBuilder b = SdkTracerProvider.builder().addSpanProcessor(IDS_ONLY)
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), tracing.get("service-name").asString()
                                .filter(n -> !n.isBlank()).orElse(service)))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(
                        tracing.get("sample-ratio").asDouble().orElse(1.0))));
        Optional<String> endpoint = tracing.get("otlp.endpoint").asString().filter(s -> !s.isBlank());
        endpoint.ifPresent(url -> b.addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
                        .setEndpoint(url).setTimeout(tracing.get("otlp.timeout").as(Duration.class).orElse(Duration.ofSeconds(10)))
                        .build())
                .setScheduleDelay(tracing.get("export-delay").as(Duration.class).orElse(Duration.ofSeconds(5)))
                .build()));
        SdkTracerProvider old = provider;
        SdkTracerProvider made = b.build();
        tracer = made.get(SCOPE);
        provider = made;
        old.close();
        endpoint.ifPresent(url -> LOG.info(() -> "tracing: spans of " + service + " go to " + url));
    }

    /** Sends what is buffered and stops exporting (at process exit). */
    public static void shutdown() {
        provider.close();
    }

    public static Tracer tracer() {
        return tracer;
    }

    /** The context a W3C {@code traceparent} header names, or the root context when absent or malformed. */
    public static Context parent(String traceparent) {
        if (traceparent == null || traceparent.isBlank()) {
            return Context.root();
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), Map.of("traceparent", traceparent.strip()),
                MAP_GETTER);
    }

    /** The log-context ids of a span: {@code trace_id} and {@code span_id}. */
    public static Map<String, String> ids(Span span) {
        SpanContext c = span.getSpanContext();
        return LogContext.of("trace_id", c.getTraceId(), "span_id", c.getSpanId(),
                "trace_flags", c.getTraceFlags().asHex());
    }

    /**
     * The W3C {@code traceparent} of the span the current thread's log context names (see {@link #ids}), if
     * any: what work handed on to another process (a queued job) carries to join the trace.
     */
    public static Optional<String> currentTraceparent() {
        String trace = LogContext.get("trace_id");
        String span = LogContext.get("span_id");
        if (trace == null || span == null) {
            return Optional.empty();
        }
        return Optional.of("00-" + trace + "-" + span + "-" + Optional.ofNullable(LogContext.get("trace_flags")).orElse("01"));
    }
}
