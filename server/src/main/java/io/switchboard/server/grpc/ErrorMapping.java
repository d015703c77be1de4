package io.switchboard.server.grpc;

import java.util.logging.Level;
import java.util.logging.Logger;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.QuotaFailure;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.switchboard.common.SwitchboardException;

/**
 * The one place where domain failures become gRPC statuses, each with the standard {@code google.rpc}
 * details a generated client can read: {@link BadRequest} field violations, {@link ResourceInfo},
 * {@link ErrorInfo}, {@link QuotaFailure} and {@link RetryInfo}.
 */
public final class ErrorMapping {

    private static final Logger LOG = Logger.getLogger(ErrorMapping.class.getName());
    private static final String DOMAIN = "switchboard.io";

    private ErrorMapping() {
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof io.switchboard.storage.ObjectStore.StorageException storage) {
            LOG.log(Level.WARNING, "object store failure in RPC", storage);
            return toStatus(new SwitchboardException.Unavailable("object storage is unavailable; nothing was stored by"
                    + " this request, retry shortly", java.time.Duration.ofSeconds(5)));
        }
        if (io.switchboard.common.Database.isUnavailable(t)) {
            LOG.log(Level.WARNING, "database unreachable in RPC: " + t);
            return toStatus(new SwitchboardException.Unavailable("the database is unreachable (restarting or failing"
                    + " over); retry shortly — a write refused this way may or may not have been applied, so retry"
                    + " a create with the same request_id", java.time.Duration.ofSeconds(2)));
        }
        if (!(t instanceof SwitchboardException e)) {
            LOG.log(Level.SEVERE, "unexpected failure in RPC", t);
            return Status.INTERNAL.withDescription("internal error").asRuntimeException();
        }
        com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder().setMessage(e.getMessage());
        switch (e) {
            case SwitchboardException.InvalidArgument ia -> {
                BadRequest.Builder br = BadRequest.newBuilder();
                ia.violations().forEach(v -> br.addFieldViolations(
                        BadRequest.FieldViolation.newBuilder().setField(v.field()).setDescription(v.reason())));
                s.setCode(Code.INVALID_ARGUMENT_VALUE).addDetails(Any.pack(br.build()));
            }
            case SwitchboardException.NotFound nf -> s.setCode(Code.NOT_FOUND_VALUE).addDetails(Any.pack(
                    ResourceInfo.newBuilder().setResourceType(nf.resourceType()).setResourceName(nf.resourceName())
                            .setDescription(nf.getMessage()).build()));
            case SwitchboardException.AlreadyExists ae -> {
                s.setCode(Code.ALREADY_EXISTS_VALUE);
                if (!ae.field().isEmpty()) {
                    s.addDetails(Any.pack(BadRequest.newBuilder().addFieldViolations(BadRequest.FieldViolation
                            .newBuilder().setField(ae.field()).setDescription(ae.getMessage())).build()));
                }
            }
            case SwitchboardException.FailedPrecondition fp -> s.setCode(Code.FAILED_PRECONDITION_VALUE).addDetails(
                    Any.pack(ErrorInfo.newBuilder().setReason(fp.type()).setDomain(DOMAIN).build()));
            case SwitchboardException.Aborted ab -> s.setCode(Code.ABORTED_VALUE);
            case SwitchboardException.PermissionDenied pd -> s.setCode(Code.PERMISSION_DENIED_VALUE);
            case SwitchboardException.Unauthenticated ua -> s.setCode(Code.UNAUTHENTICATED_VALUE);
            case SwitchboardException.Unavailable un -> s.setCode(Code.UNAVAILABLE_VALUE).addDetails(Any.pack(RetryInfo
                    .newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
                            .setSeconds(un.retryAfter().getSeconds()).setNanos(un.retryAfter().getNano())).build()));
            case SwitchboardException.ResourceExhausted re -> {
                s.setCode(Code.RESOURCE_EXHAUSTED_VALUE).addDetails(Any.pack(QuotaFailure.newBuilder()
                        .addViolations(QuotaFailure.Violation.newBuilder().setSubject(re.subject())
                                .setDescription(re.getMessage()))
                        .build()));
                re.retryAfter().ifPresent(d -> s.addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds())
                                .setNanos(d.getNano()))
                        .build())));
            }
        }
        return StatusProto.toStatusRuntimeException(s.build());
    }
}
