package io.switchboard.server.contacts;

import static io.switchboard.server.grpc.Replies.reply;

import java.io.ByteArrayInputStream;
import java.util.Optional;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.Contact;
import io.switchboard.contacts.ContactList;
import io.switchboard.contacts.ContactService;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.contacts.ContactTransfer;
import io.switchboard.server.grpc.ChunkedOutput;
import io.switchboard.server.grpc.ChunkedUpload;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.Principal;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.DeleteContactListRequest;
import io.switchboard.v1.DeleteContactRequest;
import io.switchboard.v1.ExportContactsChunk;
import io.switchboard.v1.ExportContactsRequest;
import io.switchboard.v1.GetContactListRequest;
import io.switchboard.v1.GetContactRequest;
import io.switchboard.v1.ImportContactRowsRequest;
import io.switchboard.v1.ImportContactsRequest;
import io.switchboard.v1.ImportContactsResponse;
import io.switchboard.v1.ImportOptions;
import io.switchboard.v1.ImportRowError;
import io.switchboard.v1.ListContactListsRequest;
import io.switchboard.v1.ListContactListsResponse;
import io.switchboard.v1.ListContactsRequest;
import io.switchboard.v1.ListContactsResponse;
import io.switchboard.v1.UpdateContactListRequest;
import io.switchboard.v1.UpdateContactRequest;

/**
 * Translates {@code switchboard.v1.ContactService} to {@link ContactService} and {@link ContactTransfer}.
 * An import is buffered (up to {@link #MAX_IMPORT_BYTES}) and parsed when the client half-closes; a
 * problem found earlier is reported only then, because closing a stream while the client is still sending
 * makes Helidon's HTTP/2 layer tear down the whole connection.
 */
public final class ContactGrpcService extends ContactServiceGrpc.ContactServiceImplBase {

    public static final int MAX_IMPORT_BYTES = 32 * 1024 * 1024;
    static final int EXPORT_CHUNK = 64 * 1024;

    private final ContactService contacts;
    private final ContactTransfer transfer;

    public ContactGrpcService(ContactService contacts, ContactTransfer transfer) {
        this.contacts = contacts;
        this.transfer = transfer;
    }

    @Override
    public void createContact(CreateContactRequest req, StreamObserver<io.switchboard.v1.Contact> out) {
        reply(out, toProto(contacts.create(Principals.current(), spec(req.getContact()), req.getDefaultRegion(),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()))));
    }

    @Override
    public void getContact(GetContactRequest req, StreamObserver<io.switchboard.v1.Contact> out) {
        reply(out, toProto(contacts.get(Principals.current(), req.getId())));
    }

    @Override
    public void listContacts(ListContactsRequest req, StreamObserver<ListContactsResponse> out) {
        Page<Contact> page = contacts.list(Principals.current(), req.getListId(), req.getTag(), req.getPageSize(),
                req.getPageToken());
        reply(out, ListContactsResponse.newBuilder()
                .addAllContacts(page.items().stream().map(ContactGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void updateContact(UpdateContactRequest req, StreamObserver<io.switchboard.v1.Contact> out) {
        reply(out, toProto(contacts.update(Principals.current(), req.getContact().getId(), spec(req.getContact()),
                req.getUpdateMask().getPathsList(), req.getDefaultRegion())));
    }

    @Override
    public void deleteContact(DeleteContactRequest req, StreamObserver<Empty> out) {
        contacts.delete(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public StreamObserver<ImportContactsRequest> importContacts(StreamObserver<ImportContactsResponse> out) {
        Principal actor = Principals.current();
        return new ChunkedUpload<ImportContactsRequest, ImportOptions, ImportContactsResponse>(
                r -> r.hasOptions() ? Optional.of(r.getOptions()) : Optional.empty(),
                r -> r.getPayloadCase() == ImportContactsRequest.PayloadCase.CHUNK ? Optional.of(r.getChunk()) : Optional.empty(),
                o -> transfer.checkImport(actor, o.getListId(), o.getDefaultRegion()),
                (options, file) -> {
                    ContactTransfer.ImportResult r = transfer.importCsv(actor, new ByteArrayInputStream(file),
                            options.getListId(), options.getDefaultRegion());
                    return toProto(r);
                }, MAX_IMPORT_BYTES, out);
    }

    @Override
    public void importContactRows(ImportContactRowsRequest req, StreamObserver<ImportContactsResponse> out) {
        reply(out, toProto(transfer.importRows(Principals.current(), req.getOptions().getListId(),
                req.getOptions().getDefaultRegion(), req.getHeaderList(), req.getRowsList().stream()
                        .map(r -> new ContactTransfer.RowCells(r.getLine(), r.getCellsList())).toList())));
    }

    private static ImportContactsResponse toProto(ContactTransfer.ImportResult r) {
        return ImportContactsResponse.newBuilder().setRowsRead(r.rowsRead()).setCreated(r.created())
                .setUpdated(r.updated()).setUnchanged(r.unchanged()).setFailed(r.failed())
                .addAllErrors(r.errors().stream().map(e -> ImportRowError.newBuilder().setLine(e.line())
                        .setField(e.field()).setReason(e.reason()).build()).toList())
                .build();
    }

    @Override
    public void exportContacts(ExportContactsRequest req, StreamObserver<ExportContactsChunk> out) {
        ContactTransfer.Format format = switch (req.getFormat()) {
            case FORMAT_UNSPECIFIED, FORMAT_CSV -> ContactTransfer.Format.CSV;
            case FORMAT_JSON_LINES -> ContactTransfer.Format.JSON_LINES;
            case UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument("format", "unknown value " + req.getFormatValue());
        };
        try (ChunkedOutput chunks = new ChunkedOutput(EXPORT_CHUNK,
                b -> out.onNext(ExportContactsChunk.newBuilder().setData(b).build()))) {
            transfer.export(Principals.current(), format, req.getListId(), chunks);
        }
        out.onCompleted();
    }

    @Override
    public void createContactList(CreateContactListRequest req, StreamObserver<io.switchboard.v1.ContactList> out) {
        reply(out, toProto(contacts.createList(Principals.current(), req.getContactList().getName(),
                req.getContactList().getDescription(),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()))));
    }

    @Override
    public void getContactList(GetContactListRequest req, StreamObserver<io.switchboard.v1.ContactList> out) {
        reply(out, toProto(contacts.getList(Principals.current(), req.getId())));
    }

    @Override
    public void listContactLists(ListContactListsRequest req, StreamObserver<ListContactListsResponse> out) {
        Page<ContactList> page = contacts.listLists(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListContactListsResponse.newBuilder()
                .addAllContactLists(page.items().stream().map(ContactGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void updateContactList(UpdateContactListRequest req, StreamObserver<io.switchboard.v1.ContactList> out) {
        io.switchboard.v1.ContactList l = req.getContactList();
        reply(out, toProto(contacts.updateList(Principals.current(), l.getId(), l.getName(), l.getDescription(),
                req.getUpdateMask().getPathsList())));
    }

    @Override
    public void deleteContactList(DeleteContactListRequest req, StreamObserver<Empty> out) {
        contacts.deleteList(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    static ContactSpec spec(io.switchboard.v1.Contact c) {
        String metadata;
        try {
            metadata = c.hasMetadata() ? JsonFormat.printer().omittingInsignificantWhitespace().print(c.getMetadata()) : "{}";
        } catch (InvalidProtocolBufferException e) {
            throw new SwitchboardException.InvalidArgument("contact.metadata", "cannot be written as JSON: " + e.getMessage());
        }
        return new ContactSpec(c.getExternalId(), c.getPhoneNumber(), c.getFirstName(), c.getLastName(), c.getEmail(),
                metadata, c.getTagsList(), c.getTimeZone(), c.getListIdsList());
    }

    public static io.switchboard.v1.Contact toProto(Contact c) {
        Struct.Builder metadata = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(c.metadataJson(), metadata);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored contact metadata is not a JSON object", e);
        }
        return io.switchboard.v1.Contact.newBuilder().setId(c.id().toString()).setExternalId(c.externalId())
                .setPhoneNumber(c.phoneNumber()).setFirstName(c.firstName()).setLastName(c.lastName())
                .setEmail(c.email()).setMetadata(metadata).addAllTags(c.tags()).setTimeZone(c.timeZone())
                .addAllListIds(c.listIds().stream().map(java.util.UUID::toString).toList())
                .setCreateTime(Protos.timestamp(c.createdAt())).setUpdateTime(Protos.timestamp(c.updatedAt()))
                .build();
    }

    static io.switchboard.v1.ContactList toProto(ContactList l) {
        return io.switchboard.v1.ContactList.newBuilder().setId(l.id().toString()).setName(l.name())
                .setDescription(l.description()).setContactCount(l.contactCount())
                .setCreateTime(Protos.timestamp(l.createdAt())).setUpdateTime(Protos.timestamp(l.updatedAt())).build();
    }
}
