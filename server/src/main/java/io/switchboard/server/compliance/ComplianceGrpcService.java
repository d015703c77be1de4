package io.switchboard.server.compliance;

import static io.switchboard.server.grpc.Replies.reply;

import java.io.ByteArrayInputStream;
import java.util.Optional;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.SwitchboardException;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.server.grpc.ChunkedOutput;
import io.switchboard.server.grpc.ChunkedUpload;
import io.switchboard.server.grpc.Principals;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.v1.DoNotCallImportOptions;
import io.switchboard.v1.ExportDoNotCallListChunk;
import io.switchboard.v1.ExportDoNotCallListRequest;
import io.switchboard.v1.ImportDoNotCallListRequest;
import io.switchboard.v1.ImportDoNotCallListResponse;
import io.switchboard.v1.ImportRowError;
import io.switchboard.server.grpc.Protos;
import io.switchboard.v1.AddDoNotCallNumbersRequest;
import io.switchboard.v1.AddDoNotCallNumbersResponse;
import io.switchboard.v1.ComplianceServiceGrpc;
import io.switchboard.v1.DoNotCallEntry;
import io.switchboard.v1.GetDoNotCallNumberRequest;
import io.switchboard.v1.ListDoNotCallNumbersRequest;
import io.switchboard.v1.ListDoNotCallNumbersResponse;
import io.switchboard.v1.RejectedNumber;
import io.switchboard.v1.RemoveDoNotCallNumberRequest;

/** Translates {@code switchboard.v1.ComplianceService} to {@link DoNotCall}. */
public final class ComplianceGrpcService extends ComplianceServiceGrpc.ComplianceServiceImplBase {

    static final int MAX_IMPORT_BYTES = 32 * 1024 * 1024;
    private final DoNotCall dnc;

    public ComplianceGrpcService(DoNotCall dnc) {
        this.dnc = dnc;
    }

    @Override
    public void addDoNotCallNumbers(AddDoNotCallNumbersRequest req, StreamObserver<AddDoNotCallNumbersResponse> out) {
        DoNotCall.Added a = dnc.add(Principals.current(), req.getPhoneNumbersList(), req.getDefaultRegion(),
                req.getReason(), req.getSource().isEmpty() ? "api" : req.getSource());
        AddDoNotCallNumbersResponse.Builder b = AddDoNotCallNumbersResponse.newBuilder().setAdded(a.added())
                .setAlreadyListed(a.alreadyListed());
        for (SwitchboardException.Violation v : a.rejected()) {
            b.addRejected(RejectedNumber.newBuilder().setField(v.field()).setReason(v.reason()));
        }
        reply(out, b.build());
    }

    @Override
    public StreamObserver<ImportDoNotCallListRequest> importDoNotCallList(StreamObserver<ImportDoNotCallListResponse> out) {
        Principal actor = Principals.current();
        return new ChunkedUpload<ImportDoNotCallListRequest, DoNotCallImportOptions, ImportDoNotCallListResponse>(
                r -> r.hasOptions() ? Optional.of(r.getOptions()) : Optional.empty(),
                r -> r.getPayloadCase() == ImportDoNotCallListRequest.PayloadCase.CHUNK ? Optional.of(r.getChunk())
                        : Optional.empty(),
                o -> actor.require(Role.AGENT, "adding to the do-not-call list"),
                (o, file) -> {
                    DoNotCall.Imported r = dnc.importCsv(actor, new ByteArrayInputStream(file), o.getDefaultRegion(),
                            o.getReason(), o.getSource());
                    return ImportDoNotCallListResponse.newBuilder().setRowsRead(r.rowsRead()).setAdded(r.added())
                            .setAlreadyListed(r.alreadyListed()).setFailed(r.errors().size())
                            .addAllErrors(r.errors().stream().map(e -> ImportRowError.newBuilder().setLine(e.line())
                                    .setField(e.field()).setReason(e.reason()).build()).toList()).build();
                }, MAX_IMPORT_BYTES, out);
    }

    @Override
    public void exportDoNotCallList(ExportDoNotCallListRequest req, StreamObserver<ExportDoNotCallListChunk> out) {
        try (ChunkedOutput chunks = new ChunkedOutput(64 * 1024,
                b -> out.onNext(ExportDoNotCallListChunk.newBuilder().setData(b).build()))) {
            dnc.exportCsv(Principals.current(), chunks);
        }
        out.onCompleted();
    }

    @Override
    public void removeDoNotCallNumber(RemoveDoNotCallNumberRequest req, StreamObserver<Empty> out) {
        dnc.remove(Principals.current(), req.getPhoneNumber(), req.getDefaultRegion());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public void getDoNotCallNumber(GetDoNotCallNumberRequest req, StreamObserver<DoNotCallEntry> out) {
        reply(out, toProto(dnc.find(Principals.current(), req.getPhoneNumber(), req.getDefaultRegion())
                .orElseThrow(() -> new SwitchboardException.NotFound("do_not_call", req.getPhoneNumber()))));
    }

    @Override
    public void listDoNotCallNumbers(ListDoNotCallNumbersRequest req, StreamObserver<ListDoNotCallNumbersResponse> out) {
        ListDoNotCallNumbersResponse.Builder b = ListDoNotCallNumbersResponse.newBuilder();
        dnc.list(Principals.current(), req.getAfterPhoneNumber(), req.getPageSize()).forEach(e -> b.addEntries(toProto(e)));
        reply(out, b.build());
    }

    static DoNotCallEntry toProto(DoNotCall.Entry e) {
        return DoNotCallEntry.newBuilder().setPhoneNumber(e.phoneNumber()).setReason(e.reason()).setSource(e.source())
                .setAddedByApiKeyId(e.addedBy().map(Object::toString).orElse(""))
                .setAddTime(Protos.timestamp(e.addedAt())).build();
    }
}
