package io.switchboard.server.privacy;

import static io.switchboard.server.grpc.Replies.reply;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.SwitchboardException;
import io.switchboard.privacy.Consent;
import io.switchboard.privacy.Consents;
import io.switchboard.privacy.SubjectRights;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.Principal;
import io.switchboard.v1.ConsentPurpose;
import io.switchboard.v1.EraseContactRequest;
import io.switchboard.v1.Erasure;
import io.switchboard.v1.ExportChunk;
import io.switchboard.v1.ExportPersonalDataRequest;
import io.switchboard.v1.ListConsentsRequest;
import io.switchboard.v1.ListConsentsResponse;
import io.switchboard.v1.PrivacyServiceGrpc;
import io.switchboard.v1.RecordConsentRequest;

/** Translates {@code switchboard.v1.PrivacyService} to {@link Consents} and {@link SubjectRights}. */
public final class PrivacyGrpcService extends PrivacyServiceGrpc.PrivacyServiceImplBase {

    private final Consents consents;
    private final SubjectRights rights;

    public PrivacyGrpcService(Consents consents, SubjectRights rights) {
        this.consents = consents;
        this.rights = rights;
    }

    @Override
    public void recordConsent(RecordConsentRequest req, StreamObserver<io.switchboard.v1.Consent> out) {
        Optional<Consent.Purpose> purpose = Protos.fromProto(req.getPurpose(), "CONSENT_PURPOSE_", Consent.Purpose.class);
        reply(out, toProto(consents.record(Principals.current(), new Consents.Input(req.getContactId(), purpose,
                req.getGranted(), req.getSource(), req.getIpAddress(),
                Protos.optionalInstant(req.hasGivenTime(), req.getGivenTime())))));
    }

    @Override
    public void listConsents(ListConsentsRequest req, StreamObserver<ListConsentsResponse> out) {
        ListConsentsResponse.Builder b = ListConsentsResponse.newBuilder();
        consents.list(Principals.current(), req.getContactId()).forEach(c -> b.addConsents(toProto(c)));
        reply(out, b.build());
    }

    @Override
    public void exportPersonalData(ExportPersonalDataRequest req, StreamObserver<ExportChunk> out) {
        Principal actor = Principals.current();
        SubjectRights.Format format = switch (req.getFormat()) {
            case FORMAT_JSON -> SubjectRights.Format.JSON;
            case FORMAT_CSV -> SubjectRights.Format.CSV;
            default -> throw new SwitchboardException.InvalidArgument("format", "is required: FORMAT_JSON or FORMAT_CSV");
        };
        ServerCallStreamObserver<ExportChunk> call = (ServerCallStreamObserver<ExportChunk>) out;
        rights.export(actor, req.getContactId(), format, chunk -> {
            if (call.isCancelled()) {
                throw new SwitchboardException.FailedPrecondition("CANCELLED", "the client cancelled the export");
            }
            out.onNext(ExportChunk.newBuilder().setData(ByteString.copyFrom(chunk, StandardCharsets.UTF_8)).build());
        });
        out.onCompleted();
    }

    @Override
    public void eraseContact(EraseContactRequest req, StreamObserver<Erasure> out) {
        SubjectRights.Erasure e = rights.erase(Principals.current(), req.getContactId());
        reply(out, Erasure.newBuilder().setContactId(e.contactId().toString()).setCallsAnonymised(e.callsAnonymised())
                .setRecordingObjectsDeleted(e.recordingObjectsDeleted())
                .setTranscriptSegmentsDeleted(e.transcriptSegmentsDeleted()).setSummariesDeleted(e.summariesDeleted())
                .setConsentsAnonymised(e.consentsAnonymised()).setMessagesAnonymised(e.messagesAnonymised()).build());
    }

    static io.switchboard.v1.Consent toProto(Consent c) {
        return io.switchboard.v1.Consent.newBuilder().setId(c.id().toString())
                .setContactId(c.contactId().map(Object::toString).orElse("")).setPhoneNumber(c.phoneNumber())
                .setPurpose(ConsentPurpose.valueOf("CONSENT_PURPOSE_" + c.purpose().name())).setGranted(c.granted())
                .setSource(c.source()).setIpAddress(c.ipAddress())
                .setRecordedByApiKeyId(c.recordedBy().map(Object::toString).orElse(""))
                .setGivenTime(Protos.timestamp(c.givenAt())).setRecordTime(Protos.timestamp(c.recordedAt()))
                .setAnonymized(c.anonymizedAt().isPresent()).build();
    }
}
