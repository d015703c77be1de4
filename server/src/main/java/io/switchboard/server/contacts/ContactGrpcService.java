package io.switchboard.server.contacts;

import static io.switchboard.server.grpc.Replies.reply;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

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
        reply(out, toProto(contacts.create(Principals.current(), spec(req.getContact()), req.getDefaultRegion())));
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
        return new StreamObserver<>() {
            private ImportOptions options;
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            private RuntimeException failure;

            @Override
            public void onNext(ImportContactsRequest req) {
                if (failure != null) {
                    return;
                }
                try {
                    switch (req.getPayloadCase()) {
                        case OPTIONS -> {
                            if (options != null) {
                                throw new SwitchboardException.InvalidArgument("options", "sent twice; send it once, first");
                            }
                            if (buffer.size() > 0) {
                                throw new SwitchboardException.InvalidArgument("options", "must come before the first chunk");
                            }
                            options = req.getOptions();
                            transfer.checkImport(actor, options.getListId(), options.getDefaultRegion());
                        }
                        case CHUNK -> {
                            if (options == null) {
                                throw new SwitchboardException.InvalidArgument("options",
                                        "the first message must carry the import options");
                            }
                            if (buffer.size() + req.getChunk().size() > MAX_IMPORT_BYTES) {
                                throw new SwitchboardException.InvalidArgument("chunk", "the file exceeds "
                                        + MAX_IMPORT_BYTES / (1024 * 1024) + " MiB; split it into several imports");
                            }
                            req.getChunk().writeTo(buffer);
                        }
                        case PAYLOAD_NOT_SET -> throw new SwitchboardException.InvalidArgument("payload",
                                "each message carries either options or a chunk");
                    }
                } catch (RuntimeException e) {
                    failure = e;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                // the client went away; nothing was written yet
            }

            @Override
            public void onCompleted() {
                if (failure != null) {
                    throw failure;
                }
                if (options == null) {
                    throw new SwitchboardException.InvalidArgument("options", "the first message must carry the import options");
                }
                ContactTransfer.ImportResult r = transfer.importCsv(actor, new ByteArrayInputStream(buffer.toByteArray()),
                        options.getListId(), options.getDefaultRegion());
                reply(out, ImportContactsResponse.newBuilder().setRowsRead(r.rowsRead()).setCreated(r.created())
                        .setUpdated(r.updated()).setUnchanged(r.unchanged()).setFailed(r.failed())
                        .addAllErrors(r.errors().stream().map(e -> ImportRowError.newBuilder().setLine(e.line())
                                .setField(e.field()).setReason(e.reason()).build()).toList())
                        .build());
            }
        };
    }

    @Override
    public void exportContacts(ExportContactsRequest req, StreamObserver<ExportContactsChunk> out) {
        ContactTransfer.Format format = switch (req.getFormat()) {
            case FORMAT_UNSPECIFIED, FORMAT_CSV -> ContactTransfer.Format.CSV;
            case FORMAT_JSON_LINES -> ContactTransfer.Format.JSON_LINES;
            case UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument("format", "unknown value " + req.getFormatValue());
        };
        try (Chunker chunker = new Chunker(out)) {
            transfer.export(Principals.current(), format, req.getListId(), chunker);
        }
        out.onCompleted();
    }

    /** Cuts the export into messages of at most {@link #EXPORT_CHUNK} bytes. */
    private static final class Chunker extends OutputStream {
        private final StreamObserver<ExportContactsChunk> out;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream(EXPORT_CHUNK);

        Chunker(StreamObserver<ExportContactsChunk> out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            pending.write(b);
            if (pending.size() >= EXPORT_CHUNK) {
                send();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                int n = Math.min(len, EXPORT_CHUNK - pending.size());
                pending.write(b, off, n);
                off += n;
                len -= n;
                if (pending.size() >= EXPORT_CHUNK) {
                    send();
                }
            }
        }

        private void send() {
            if (pending.size() > 0) {
                out.onNext(ExportContactsChunk.newBuilder().setData(ByteString.copyFrom(pending.toByteArray())).build());
                pending.reset();
            }
        }

        @Override
        public void close() {
            send();
        }
    }

    @Override
    public void createContactList(CreateContactListRequest req, StreamObserver<io.switchboard.v1.ContactList> out) {
        reply(out, toProto(contacts.createList(Principals.current(), req.getContactList().getName(),
                req.getContactList().getDescription())));
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
