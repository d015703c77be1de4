package io.switchboard.server.grpc;

import java.net.SocketAddress;
import java.util.Set;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.VerifiedKeys;
import io.switchboard.tenancy.Principal;

/**
 * The edge of every API call: authenticates the {@code authorization: Bearer <key>} header (through the cache of
 * verified keys, so an authenticated read costs one database round trip: the read), applies the
 * key's rate limit, places the principal in the gRPC context, and turns any failure thrown by a service
 * into its gRPC status (see {@link ErrorMapping}). Health and reflection stay open to unauthenticated
 * probes.
 */
public final class ApiInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> PUBLIC_SERVICES = Set.of(
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection");

    private final VerifiedKeys keys;
    private final RateLimiter rateLimiter;

    public ApiInterceptor(VerifiedKeys keys, RateLimiter rateLimiter) {
        this.keys = keys;
        this.rateLimiter = rateLimiter;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (PUBLIC_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        Guard<Q, R> guard = new Guard<>(call);
        try {
            Principal principal = authenticate(call, headers);
            rateLimiter.acquire(principal);
            Context ctx = Context.current().withValue(Principals.KEY, principal);
            guard.delegate = Contexts.interceptCall(ctx, call, headers, next);
        } catch (RuntimeException e) {
            guard.refuse(e);
        }
        return guard;
    }

    private Principal authenticate(ServerCall<?, ?> call, Metadata headers) {
        String header = headers.get(AUTHORIZATION);
        if (header == null || header.isBlank()) {
            throw new SwitchboardException.Unauthenticated(
                    "missing credentials: send 'authorization: Bearer <api key>' metadata");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new SwitchboardException.Unauthenticated("the authorization metadata must be 'Bearer <api key>'");
        }
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return keys.authenticate(header.substring(7).trim(), remote == null ? "" : remote.toString());
    }

    /** Forwards to the service's listener and closes the call with the mapped status if it throws. */
    private static final class Guard<Q, R> extends ForwardingServerCallListener<Q> {
        private final ServerCall<Q, R> call;
        private ServerCall.Listener<Q> delegate;
        private volatile boolean closed;
        private RuntimeException refusal;

        Guard(ServerCall<Q, R> call) {
            this.call = call;
        }

        @Override
        protected ServerCall.Listener<Q> delegate() {
            return delegate;
        }

        /**
         * Refuses the call before the service sees it. The status is sent once the client has finished
         * sending a unary request (or with its first message on a streaming call): closing the stream while
         * the client's request frames are still in flight makes Helidon's HTTP/2 layer answer the late
         * frames with a connection-level GOAWAY, which would fail the client's other calls too.
         */
        void refuse(RuntimeException e) {
            refusal = e;
            call.request(call.getMethodDescriptor().getType().clientSendsOneMessage() ? 2 : 1);
        }

        void fail(RuntimeException e) {
            if (closed) {
                return;
            }
            closed = true;
            StatusRuntimeException s = ErrorMapping.toStatus(e);
            Metadata trailers = s.getTrailers() == null ? new Metadata() : s.getTrailers();
            try {
                call.close(s.getStatus(), trailers);
            } catch (IllegalStateException alreadyClosed) {
                // the service closed the call before failing; nothing more to tell the client
            }
        }

        private void guarded(Runnable r) {
            if (refusal != null) {
                return;
            }
            if (closed || delegate == null) {
                return;
            }
            try {
                r.run();
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        @Override
        public void onMessage(Q message) {
            if (refusal != null && !call.getMethodDescriptor().getType().clientSendsOneMessage()) {
                fail(refusal);
            }
            guarded(() -> super.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            if (refusal != null) {
                fail(refusal);
            }
            guarded(super::onHalfClose);
        }

        @Override
        public void onCancel() {
            if (delegate != null) {
                super.onCancel();
            }
        }

        @Override
        public void onComplete() {
            if (delegate != null) {
                super.onComplete();
            }
        }

        @Override
        public void onReady() {
            guarded(super::onReady);
        }
    }
}
