package io.switchboard.server.observe;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.service.registry.Services;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.switchboard.common.LogContext;
import io.switchboard.common.Tracing;

/**
 * Rate, latency and errors of every RPC, its OpenTelemetry server span, and the span's ids in the log context: {@code switchboard_rpc_requests_total{method, code}} and
 * {@code switchboard_rpc_duration_seconds{method}} (from the call's start to its close; for a stream, its
 * whole life). Outermost interceptor, so refusals by authentication and rate limits are counted too.
 */
public final class RpcMetrics implements ServerInterceptor {

    private final MeterRegistry registry = Services.get(MeterRegistry.class);
    /** Each method's meters, looked up in the registry once (a lookup builds ids and tags: per call, it showed in profiles). */
    private final Map<String, MethodMeters> meters = new ConcurrentHashMap<>();

    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * The request's server span: a child of the caller's W3C {@code traceparent} when it sends a valid one,
     * else the root of a new trace. Its ids go into the log context of everything the request does, and on
     * into the jobs it enqueues, whose worker spans join the same trace.
     */
    static Span span(String method, Metadata headers) {
        int slash = method.indexOf('/');
        return Tracing.tracer().spanBuilder(method).setSpanKind(SpanKind.SERVER)
                .setParent(Tracing.parent(headers.get(TRACEPARENT)))
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.service", slash < 0 ? method : method.substring(0, slash))
                .setAttribute("rpc.method", slash < 0 ? method : method.substring(slash + 1))
                .startSpan();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        long started = System.nanoTime();
        Span span = span(method, headers);
        Map<String, String> ids = new java.util.LinkedHashMap<>(Tracing.ids(span));
        ids.put("rpc", method);
        ServerCall.Listener<Q> listener;
        try {
            listener = LogContext.call(ids, () -> startCall(call, headers, next, method, started, span));
        } catch (RuntimeException e) {
            span.end();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                LogContext.run(ids, () -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                LogContext.run(ids, super::onHalfClose);
            }

            @Override
            public void onCancel() {
                LogContext.run(ids, super::onCancel);
            }

            @Override
            public void onComplete() {
                LogContext.run(ids, super::onComplete);
            }

            @Override
            public void onReady() {
                LogContext.run(ids, super::onReady);
            }
        };
    }

    private <Q, R> ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next,
                                                   String method, long started, Span span) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                MethodMeters m = meters.computeIfAbsent(method, MethodMeters::new);
                m.requests(status.getCode()).increment();
                m.duration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                span.setAttribute("rpc.grpc.status_code", status.getCode().value());
                if (!status.isOk()) {
                    span.setStatus(StatusCode.ERROR, status.getCode().name());
                }
                span.end();
                super.close(status, trailers);
            }
        }, headers);
    }

    /** One method's duration timer and its request counters by status code, created on first use. */
    private final class MethodMeters {
        private final String method;
        private final Timer duration;
        private final AtomicReferenceArray<Counter> requests = new AtomicReferenceArray<>(Status.Code.values().length);

        MethodMeters(String method) {
            this.method = method;
            this.duration = registry.getOrCreate(Timer.builder("switchboard_rpc_duration").baseUnit("seconds")
                    .description("RPC duration, start to close").tags(List.of(Tag.create("method", method))));
        }

        Counter requests(Status.Code code) {
            Counter c = requests.get(code.ordinal());
            if (c == null) {
                c = registry.getOrCreate(Counter.builder("switchboard_rpc_requests").description("RPCs by method and status code")
                        .tags(List.of(Tag.create("method", method), Tag.create("code", code.name()))));
                requests.set(code.ordinal(), c);
            }
            return c;
        }
    }
}
