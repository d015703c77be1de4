package io.switchboard.server.observe;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.grpc.ForwardingServerCall;
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

/**
 * Rate, latency and errors of every RPC: {@code switchboard_rpc_requests_total{method, code}} and
 * {@code switchboard_rpc_duration_seconds{method}} (from the call's start to its close; for a stream, its
 * whole life). Outermost interceptor, so refusals by authentication and rate limits are counted too.
 */
public final class RpcMetrics implements ServerInterceptor {

    private final MeterRegistry registry = Services.get(MeterRegistry.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        long started = System.nanoTime();
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
