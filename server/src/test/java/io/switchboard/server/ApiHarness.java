package io.switchboard.server;

import java.time.Clock;
import java.util.concurrent.TimeUnit;

import com.google.rpc.BadRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.switchboard.testing.Fixtures;
import io.switchboard.sdk.ApiKeyCredentials;

/**
 * A real server on a loopback port over the shared test database, and real grpc-java clients that
 * authenticate with bearer keys. Create one per test (the database is reset each time).
 */
public final class ApiHarness implements AutoCloseable {

    public final Fixtures fixtures;
    public final SwitchboardServer server;
    public final ManagedChannel channel;

    public ApiHarness() {
        this(Clock.systemUTC());
    }

    /** A harness whose domain services (key expiry, timestamps) read {@code clock}. */
    public ApiHarness(Clock clock) {
        fixtures = Fixtures.fresh(clock);
        server = SwitchboardServer.builder().controlPlane(fixtures.plane)
                .listener(Listener.plaintext("127.0.0.1", 0)).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    public static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }

    /** The field names of a BadRequest detail, or fails if there is none. */
    public static java.util.List<String> badFields(StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
            throw new AssertionError("expected INVALID_ARGUMENT, got " + e.getStatus(), e);
        }
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        if (s == null) {
            throw new AssertionError("no status details", e);
        }
        return s.getDetailsList().stream().filter(a -> a.is(BadRequest.class)).flatMap(a -> {
            try {
                return a.unpack(BadRequest.class).getFieldViolationsList().stream();
            } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        }).map(BadRequest.FieldViolation::getField).toList();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
    }
}
