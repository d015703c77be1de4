package io.switchboard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.function.Executable;

/** Assertions on the status (and google.rpc details) an RPC fails with. */
public final class GrpcAssertions {

    private GrpcAssertions() {
    }

    public static StatusRuntimeException fails(Status.Code expected, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(expected, e.getStatus().getCode(), () -> "status was " + e.getStatus());
        return e;
    }

    /** Fails with INVALID_ARGUMENT naming exactly {@code fields} (in any order) in the BadRequest detail. */
    public static void invalid(List<String> fields, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        List<String> got = ApiHarness.badFields(e);
        assertEquals(fields.stream().sorted().toList(), got.stream().sorted().toList(), () -> e.getStatus().toString());
    }

    public static <T extends Message> Optional<T> detail(StatusRuntimeException e, Class<T> type) {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        if (s == null) {
            return Optional.empty();
        }
        return s.getDetailsList().stream().filter(a -> a.is(type)).findFirst().map(a -> {
            try {
                return a.unpack(type);
            } catch (InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        });
    }
}
