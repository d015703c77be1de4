package io.switchboard.server.observe;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
import io.switchboard.common.LogContext;

/**
 * Rate, latency and errors of every RPC, and its trace id in the log context: {@code switchboard_rpc_requests_total{method, code}} and
 * {@code switchboard_rpc_duration_seconds{method}} (from the call's start to its close; for a stream, its
 * whole life). Outermost interceptor, so refusals by authentication and rate limits are counted too.
 */
public final class RpcMetrics implements ServerInterceptor {

    private final MeterRegistry registry = Services.get(MeterRegistry.class);

    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private static final java.util.regex.Pattern W3C = java.util.regex.Pattern.compile(
            "^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$");

    /**
     * The trace id of a request: the caller's W3C {@code traceparent} trace id when it sends one, else a new
     * one. It goes into the log context of everything the request does, and on into the jobs it enqueues.
     */
    static String traceId(Metadata headers) {
        String tp = headers.get(TRACEPARENT);
        if (tp != null) {
            java.util.regex.Matcher m = W3C.matcher(tp.strip());
            if (m.matches() && !m.group(1).equals("0".repeat(32))) {
                return m.group(1);
            }
        }
        return java.util.HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(16)
                .putLong(java.util.concurrent.ThreadLocalRandom.current().nextLong())
                .putLong(java.util.concurrent.ThreadLocalRandom.current().nextLong()).array());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        long started = System.nanoTime();
        Map<String, String> ids = LogContext.of("trace_id", traceId(headers), "rpc", method);
        ServerCall.Listener<Q> listener = LogContext.call(ids, () -> startCall(call, headers, next, method, started));
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
                                                   String method, long started) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                registry.getOrCreate(Counter.builder("switchboard_rpc_requests").description("RPCs by method and status code")
                        .tags(List.of(Tag.create("method", method), Tag.create("code", status.getCode().name())))).increment();
                registry.getOrCreate(Timer.builder("switchboard_rpc_duration").baseUnit("seconds")
                        .description("RPC duration, start to close").tags(List.of(Tag.create("method", method))))
                        .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                super.close(status, trailers);
            }
        }, headers);
    }
}
