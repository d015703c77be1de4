package io.switchboard.server.contacts;

import static io.switchboard.server.ApiHarness.badFields;
import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.ImportContactRowsRequest;
import io.switchboard.v1.ImportContactsResponse;
import io.switchboard.v1.ImportOptions;
import io.switchboard.v1.ImportRow;
import io.switchboard.v1.ImportRowError;
import io.switchboard.v1.ListContactsRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The unary, chunked CSV import the console uses (grpc-web cannot stream a client's upload). */
class ImportContactRowsGrpcTest {

    private static final List<String> HEADER = List.of("external_id", "phone_number", "first_name", "plan");

    private ApiHarness api;
    private ContactServiceGrpc.ContactServiceBlockingStub acme;
    private ContactServiceGrpc.ContactServiceBlockingStub globex;
    private String acmeList;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        Fixtures.Tenant a = api.fixtures.tenant("Acme", "growth");
        Fixtures.Tenant g = api.fixtures.tenant("Globex", "growth");
        acme = ContactServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(a.ownerKey()));
        globex = ContactServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(g.ownerKey()));
        acmeList = acme.createContactList(CreateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setName("Leads")).build()).getId();
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private static ImportRow row(long line, String... cells) {
        return ImportRow.newBuilder().setLine(line).addAllCells(List.of(cells)).build();
    }

    private static ImportContactRowsRequest chunk(String listId, List<ImportRow> rows) {
        return ImportContactRowsRequest.newBuilder()
                .setOptions(ImportOptions.newBuilder().setListId(listId).setDefaultRegion("US"))
                .addAllHeader(HEADER).addAllRows(rows).build();
    }

    @Test
    void goodRowsAreKeptAndBadRowsComeBackWithTheirLineAndField() {
        ImportContactsResponse r = acme.importContactRows(chunk(acmeList, List.of(
                row(2, "c-1", "(415) 555-0123", "Ada", "gold"),
                row(3, "c-2", "not a number", "Bob", ""),
                row(4, "c-3", "+14155550124"),
                row(5, "c-1", "+14155550125", "Ada again", ""),
                row(6, "", "", "", ""))));
        assertEquals(4, r.getRowsRead(), "the blank line is skipped as in a file");
        assertEquals(1, r.getCreated());
        assertEquals(3, r.getFailed());
        assertEquals(List.of(3L, 4L, 5L), r.getErrorsList().stream().map(ImportRowError::getLine).toList());
        assertEquals("phone_number", r.getErrors(0).getField());
        assertEquals("", r.getErrors(1).getField(), "a row with too few cells names no field");
        assertEquals("external_id", r.getErrors(2).getField());

        List<Contact> stored = acme.listContacts(ListContactsRequest.newBuilder().setListId(acmeList).build())
                .getContactsList();
        assertEquals(1, stored.size());
        assertEquals("+14155550123", stored.getFirst().getPhoneNumber());
        assertEquals("gold", stored.getFirst().getMetadata().getFieldsOrThrow("plan").getStringValue(),
                "other columns go into metadata");
    }

    @Test
    void theSameChunkSentAgainChangesNothingAndAnEditedRowUpdates() {
        List<ImportRow> rows = List.of(row(2, "c-1", "+14155550123", "Ada", ""), row(3, "", "+14155550124", "Nobody", ""));
        ImportContactsResponse first = acme.importContactRows(chunk(acmeList, rows));
        assertEquals(2, first.getCreated());
        ImportContactsResponse again = acme.importContactRows(chunk(acmeList, rows));
        assertEquals(0, again.getCreated());
        assertEquals(2, again.getUnchanged(), "a retried chunk upserts the same rows: by external_id, else by number");
        ImportContactsResponse edited = acme.importContactRows(chunk(acmeList, List.of(row(2, "c-1", "+14155550123", "Ada L.", ""))));
        assertEquals(1, edited.getUpdated());
        assertEquals(2, acme.listContacts(ListContactsRequest.getDefaultInstance()).getContactsCount());
    }

    @Test
    void aChunkOfMoreThanAThousandRowsIsRefusedWhole() {
        List<ImportRow> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            rows.add(row(i + 2, "c-" + i, "+1415555" + String.format("%04d", i), "", ""));
        }
        var e = assertThrows(StatusRuntimeException.class, () -> acme.importContactRows(chunk(acmeList, rows)));
        assertEquals(List.of("rows"), badFields(e));
        assertEquals(0, acme.listContacts(ListContactsRequest.getDefaultInstance()).getContactsCount());
    }

    @Test
    void aHeaderWithoutPhoneNumberAndRowsWithoutLinesAreRefusedNamingTheField() {
        var noPhone = assertThrows(StatusRuntimeException.class, () -> acme.importContactRows(ImportContactRowsRequest
                .newBuilder().addHeader("first_name").addRows(row(2, "Ada")).build()));
        assertEquals(List.of("header"), badFields(noPhone));
        var noLine = assertThrows(StatusRuntimeException.class, () -> acme.importContactRows(ImportContactRowsRequest
                .newBuilder().addHeader("phone_number").addRows(row(0, "+14155550123")).build()));
        assertEquals(List.of("rows[0].line"), badFields(noLine));
        var badList = assertThrows(StatusRuntimeException.class, () -> acme.importContactRows(chunk("not-a-uuid",
                List.of(row(2, "c-1", "+14155550123", "", "")))));
        assertEquals(List.of("options.list_id"), badFields(badList));
    }

    @Test
    void anotherOrganisationsListIsNotFoundAndNothingIsImported() {
        var e = assertThrows(StatusRuntimeException.class, () -> globex.importContactRows(chunk(acmeList,
                List.of(row(2, "c-1", "+14155550123", "Ada", "")))));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals(0, globex.listContacts(ListContactsRequest.getDefaultInstance()).getContactsCount());
        assertEquals(0, acme.listContacts(ListContactsRequest.getDefaultInstance()).getContactsCount());
    }
}
