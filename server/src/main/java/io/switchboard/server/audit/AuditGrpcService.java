package io.switchboard.server.audit;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.HexFormat;
import java.util.Optional;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.switchboard.audit.AuditEntry;
import io.switchboard.audit.AuditLog;
import io.switchboard.audit.ChainVerification;
import io.switchboard.common.Ids;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.Principal;
import io.switchboard.v1.AuditFilter;
import io.switchboard.v1.AuditServiceGrpc;
import io.switchboard.v1.ListAuditEntriesRequest;
import io.switchboard.v1.ListAuditEntriesResponse;
import io.switchboard.v1.VerifyChainRequest;

/** Translates {@code switchboard.v1.AuditService} to {@link AuditLog}. */
public final class AuditGrpcService extends AuditServiceGrpc.AuditServiceImplBase {

    private final AuditLog log;

    public AuditGrpcService(AuditLog log) {
        this.log = log;
    }

    @Override
    public void listAuditEntries(ListAuditEntriesRequest req, StreamObserver<ListAuditEntriesResponse> out) {
        if (req.getPageSize() < 0) {
            throw new SwitchboardException.InvalidArgument("page_size", "must not be negative");
        }
        Page<AuditEntry> page = log.list(Principals.current(), filter("filter.", req.getFilter()), req.getPageSize(),
                req.getPageToken());
        ListAuditEntriesResponse.Builder b = ListAuditEntriesResponse.newBuilder();
        page.items().forEach(e -> b.addEntries(toProto(e)));
        page.nextPageToken().ifPresent(b::setNextPageToken);
        reply(out, b.build());
    }

    @Override
    public void exportAuditEntries(AuditFilter req, StreamObserver<io.switchboard.v1.AuditEntry> out) {
        Principal actor = Principals.current();
        AuditLog.Filter filter = filter("", req);
        ServerCallStreamObserver<io.switchboard.v1.AuditEntry> call =
                (ServerCallStreamObserver<io.switchboard.v1.AuditEntry>) out;
        log.export(actor, filter, e -> {
            if (call.isCancelled()) {
                throw new SwitchboardException.FailedPrecondition("CANCELLED", "the client cancelled the export");
            }
            out.onNext(toProto(e));
        });
        out.onCompleted();
    }

    @Override
    public void verifyChain(VerifyChainRequest req, StreamObserver<io.switchboard.v1.ChainVerification> out) {
        ChainVerification v = log.verify(Principals.current());
        io.switchboard.v1.ChainVerification.Builder b = io.switchboard.v1.ChainVerification.newBuilder()
                .setIntact(v.intact()).setEntriesChecked(v.entriesChecked())
                .setCheckpointsChecked(v.checkpointsChecked()).setFirstSeq(v.firstSeq()).setLastSeq(v.lastSeq())
                .setReason(v.reason());
        v.brokenSeq().ifPresent(b::setBrokenSeq);
        reply(out, b.build());
    }

    private static AuditLog.Filter filter(String prefix, AuditFilter f) {
        return new AuditLog.Filter(Protos.optionalInstant(f.hasFrom(), f.getFrom()),
                Protos.optionalInstant(f.hasTo(), f.getTo()),
                Ids.parseOptional(prefix + "actor_api_key_id", f.getActorApiKeyId()),
                nonEmpty(f.getResourceType()), nonEmpty(f.getResourceId()), nonEmpty(f.getAction()));
    }

    private static Optional<String> nonEmpty(String s) {
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    static io.switchboard.v1.AuditEntry toProto(AuditEntry e) {
        HexFormat hex = HexFormat.of();
        return io.switchboard.v1.AuditEntry.newBuilder().setSeq(e.seq()).setTime(Protos.timestamp(e.at()))
                .setActorApiKeyId(e.actorApiKey().map(Object::toString).orElse(""))
                .setActorUserId(e.actorUser().map(Object::toString).orElse(""))
                .setRemoteAddress(e.remoteAddress()).setAction(e.action()).setResourceType(e.resourceType())
                .setResourceId(e.resourceId()).putAllDetails(e.details()).setHash(hex.formatHex(e.hash()))
                .setPrevHash(hex.formatHex(e.prevHash())).build();
    }
}
