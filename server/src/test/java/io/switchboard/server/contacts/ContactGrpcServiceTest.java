package io.switchboard.server.contacts;

import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.ExportContactsRequest;
import io.switchboard.v1.ImportContactsRequest;
import io.switchboard.v1.ImportContactsResponse;
import io.switchboard.v1.ImportOptions;
import io.switchboard.sdk.SingleResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ContactGrpcServiceTest {

    private ApiHarness api;
    private ContactServiceGrpc.ContactServiceBlockingStub contacts;
    private ContactServiceGrpc.ContactServiceStub async;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        Fixtures.Tenant acme = api.fixtures.tenant("Acme", "growth");
        contacts = ContactServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
        async = ContactServiceGrpc.newStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private CompletableFuture<ImportContactsResponse> upload(List<ImportContactsRequest> messages) {
        SingleResponse<ImportContactsResponse> result = new SingleResponse<>();
        StreamObserver<ImportContactsRequest> in = async.importContacts(result);
        messages.forEach(in::onNext);
        in.onCompleted();
        return result.future();
    }

    private static ImportContactsRequest chunk(String s) {
        return ImportContactsRequest.newBuilder().setChunk(ByteString.copyFromUtf8(s)).build();
    }

    @Test
    void aCsvSplitAcrossChunksAnywhereImportsWhole() throws Exception {
        ImportContactsResponse r = upload(List.of(
                ImportContactsRequest.newBuilder().setOptions(ImportOptions.newBuilder().setDefaultRegion("US")).build(),
                chunk("external_id,phone_number,first_na"), chunk("me\nc-1,(415) 555-01"), chunk("23,Ada\nc-2,bogus,Bob\n")))
                .get(20, TimeUnit.SECONDS);
        assertEquals(2, r.getRowsRead());
        assertEquals(1, r.getCreated());
        assertEquals(1, r.getFailed());
        assertEquals(3, r.getErrors(0).getLine());
        assertEquals("phone_number", r.getErrors(0).getField());
    }

    @Test
    void chunksBeforeOptionsAreRefusedNamingTheField() {
        var e = assertThrows(() -> upload(List.of(chunk("phone_number\n+14155550123\n"))).get(20, TimeUnit.SECONDS));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getCode());
        assertTrue(e.getDescription().contains("options"), e.getDescription());
    }

    private static Status assertThrows(org.junit.jupiter.api.function.Executable call) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, call);
        return Status.fromThrowable(e.getCause());
    }

    @Test
    void metadataRoundTripsAsAStructAndExportStreamsIt() {
        Contact c = contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder()
                .setPhoneNumber("+14155550123").setMetadata(Struct.newBuilder()
                        .putFields("tier", Value.newBuilder().setStringValue("gold").build())
                        .putFields("score", Value.newBuilder().setNumberValue(7).build()))).build());
        assertEquals("gold", c.getMetadata().getFieldsOrThrow("tier").getStringValue());
        assertEquals(7, c.getMetadata().getFieldsOrThrow("score").getNumberValue());
        StringBuilder all = new StringBuilder();
        contacts.exportContacts(ExportContactsRequest.newBuilder().setFormat(ExportContactsRequest.Format.FORMAT_CSV).build())
                .forEachRemaining(chunk -> all.append(chunk.getData().toStringUtf8()));
        assertTrue(all.toString().startsWith("id,external_id,phone_number,first_name,last_name,email,tags,time_zone,score,tier"),
                all.toString());
        assertTrue(all.toString().contains(c.getId()));
    }
}
