package io.switchboard.server.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.switchboard.common.SwitchboardException;
import io.switchboard.idempotency.RequestId;
import io.switchboard.tenancy.Role;

/** Conversions between protobuf well-known types and java.time / domain enums. */
public final class Protos {

    private Protos() {
    }

    public static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    public static com.google.protobuf.Duration duration(java.time.Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    public static com.google.protobuf.Duration millis(long ms) {
        return duration(java.time.Duration.ofMillis(ms));
    }

    public static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    /**
     * A create request's {@code request_id} with its request, serialized deterministically with
     * {@code request_id} cleared, as the body a retry must repeat.
     */
    public static RequestId requestId(String requestId, Message withoutRequestId) {
        byte[] body = new byte[withoutRequestId.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(body);
        out.useDeterministicSerialization();
        try {
            withoutRequestId.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("serializing into an array cannot fail", e);
        }
        out.checkNoSpaceLeft();
        return RequestId.of(requestId, body);
    }

    /** Empty when the field is unset. */
    public static Optional<Instant> optionalInstant(boolean has, Timestamp t) {
        return has ? Optional.of(instant(t)) : Optional.empty();
    }

    public static io.switchboard.v1.Role role(Role r) {
        return switch (r) {
            case OWNER -> io.switchboard.v1.Role.ROLE_OWNER;
            case ADMIN -> io.switchboard.v1.Role.ROLE_ADMIN;
            case AGENT -> io.switchboard.v1.Role.ROLE_AGENT;
            case VIEWER -> io.switchboard.v1.Role.ROLE_VIEWER;
        };
    }

    /** The domain role, or INVALID_ARGUMENT on {@code field} for unset or unknown values. */
    public static Role role(String field, io.switchboard.v1.Role r) {
        return switch (r) {
            case ROLE_OWNER -> Role.OWNER;
            case ROLE_ADMIN -> Role.ADMIN;
            case ROLE_AGENT -> Role.AGENT;
            case ROLE_VIEWER -> Role.VIEWER;
            case ROLE_UNSPECIFIED, UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument(field,
                    "is required: ROLE_OWNER, ROLE_ADMIN, ROLE_AGENT or ROLE_VIEWER");
        };
    }

    /**
     * A proto enum value as the domain constant of the same name after {@code prefix}
     * ({@code HOLD_SCOPE_CALL} → {@code CALL}); empty for the {@code _UNSPECIFIED} value and for values this
     * server does not know ({@code UNRECOGNIZED}).
     */
    public static <E extends Enum<E>> Optional<E> fromProto(Enum<?> value, String prefix, Class<E> type) {
        String name = value.name();
        if (!name.startsWith(prefix) || name.equals(prefix + "UNSPECIFIED")) {
            return Optional.empty();
        }
        return Optional.of(Enum.valueOf(type, name.substring(prefix.length())));
    }
}
