package io.switchboard.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The do-not-call list and its guard on outbound calls, on real PostgreSQL. */
class DoNotCallTest {

    private Fixtures f;
    private DoNotCall dnc;
    private CallService calls;
    private Fixtures.Tenant acme;
    private String agent;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        dnc = f.plane.doNotCall();
        calls = f.calls(TestObjectStore.freshBucket());
        acme = f.tenant("Acme", "growth");
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
    }

    private Principal withRole(Fixtures.Tenant t, Role role) {
        return f.plane.apiKeys().authenticate(f.plane.apiKeys().create(t.owner(), role.dbName(), role, "",
                Optional.empty()).secret(), "test");
    }

    private Call call(Fixtures.Tenant t, Call.Direction direction, String to, String contact) {
        return calls.open(t.owner(), new CallSpec(agent(t), "", contact, direction, "+14155550100", to,
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
    }

    private String agent(Fixtures.Tenant t) {
        return t == acme ? agent : f.plane.agents().create(t.owner(), new AgentSpec("B", "en-US", "", "", "", "",
                List.of())).id().toString();
    }

    @Test
    void numbersAreNormalisedValidatedAndListedOnce() {
        DoNotCall.Added a = dnc.add(acme.owner(), List.of("+1 415 555 0123", "(415) 555-0124", "not a number",
                "+14155550123"), "US", "asked on the call", "opt-out");
        assertEquals(2, a.added());
        assertEquals(0, a.alreadyListed(), "the duplicate in the same request counts once");
        assertEquals(List.of("phone_numbers[2]"), a.rejected().stream().map(SwitchboardException.Violation::field).toList());
        assertEquals(1, dnc.add(acme.owner(), List.of("+14155550124"), "", "", "import").alreadyListed());
        assertEquals(List.of("+14155550123", "+14155550124"), dnc.list(acme.owner(), "", 0).stream()
                .map(DoNotCall.Entry::phoneNumber).toList());
        assertEquals(List.of("+14155550124"), dnc.list(acme.owner(), "+14155550123", 10).stream()
                .map(DoNotCall.Entry::phoneNumber).toList(), "paged after a number (export)");
        assertEquals("opt-out", dnc.find(acme.owner(), "415-555-0123", "US").orElseThrow().source());

        var bad = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> dnc.add(acme.owner(), List.of(), "XX", "", "fax"));
        assertEquals(Set.of("phone_numbers", "default_region", "source"), bad.violations().stream()
                .map(SwitchboardException.Violation::field).collect(Collectors.toSet()));
        assertThrows(SwitchboardException.PermissionDenied.class,
                () -> dnc.add(withRole(acme, Role.VIEWER), List.of("+14155550125"), "", "", "api"));
        dnc.add(withRole(acme, Role.AGENT), List.of("+14155550125"), "", "", "api");
        assertThrows(SwitchboardException.PermissionDenied.class,
                () -> dnc.remove(withRole(acme, Role.AGENT), "+14155550125", ""));
        dnc.remove(acme.owner(), "+14155550125", "");
        assertThrows(SwitchboardException.NotFound.class, () -> dnc.remove(acme.owner(), "+14155550125", ""));
    }

    @Test
    void anOutboundCallToAListedNumberIsRefusedAndRecorded() {
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        dnc.add(acme.owner(), List.of("+14155550123"), "", "stop calling", "opt-out");
        var refused = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> call(acme, Call.Direction.OUTBOUND, "+1 (415) 555-0123", ""));
        assertEquals("DO_NOT_CALL", refused.type());
        assertTrue(refused.getMessage().startsWith(CallService.DIALLED_NUMBER + " is on"), refused.getMessage());
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("call.refused")
                && e.details().get("reason").equals("do_not_call")), "the refusal is recorded");
        assertEquals(0, calls.list(acme.owner(), "", "", Optional.empty(), 0, "").items().size(), "no call exists");

        String list = f.plane.contacts().createList(acme.owner(), "L", "").id().toString();
        String contact = f.plane.contacts().create(acme.owner(), new ContactSpec("", "+14155550123", "Ada", "", "", "{}",
                List.of(), "", List.of(list)), "US").id().toString();
        var viaContact = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> call(acme, Call.Direction.OUTBOUND, "", contact));
        assertTrue(viaContact.getMessage().contains("the contact's number"), viaContact.getMessage());

        call(acme, Call.Direction.INBOUND, "+14155550123", ""); // they may still call in
        call(globex, Call.Direction.OUTBOUND, "+14155550123", ""); // another organisation's list is its own
        dnc.remove(acme.owner(), "+14155550123", "");
        call(acme, Call.Direction.OUTBOUND, "+14155550123", "");
    }

    @Test
    void aFileIsImportedWithErrorsByLineAndExportedBackAsCsv() {
        String file = """
                phone_number,reason,customer
                +14155550101,moved away,1
                (415) 555-0102,,2

                not a number,,3
                +14155550101,again,4
                """;
        DoNotCall.Imported r = dnc.importCsv(acme.owner(), in(file), "US", "complaint", "import");
        assertEquals(4, r.rowsRead());
        assertEquals(2, r.added());
        assertEquals(1, r.alreadyListed()); // the repeated number, within the file
        assertEquals(1, r.errors().size());
        assertEquals(5, r.errors().getFirst().line(), r.errors().toString());
        assertEquals("phone_number", r.errors().getFirst().field());
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("dnc.import") && e.details().get("added").equals("2")));

        // a bare list, as registries and other dialers export them
        DoNotCall.Imported bare = dnc.importCsv(acme.owner(), in("+14155550103\n+14155550102\n"), "US", "", "opt-out");
        assertEquals(1, bare.added());
        assertEquals(1, bare.alreadyListed());

        var out = new java.io.ByteArrayOutputStream();
        dnc.exportCsv(acme.owner(), out);
        List<String> lines = out.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals("phone_number,reason,source,added_at", lines.getFirst());
        assertEquals(List.of("+14155550101,moved away,import", "+14155550102,complaint,import", "+14155550103,,opt-out"),
                lines.subList(1, 4).stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList());
        assertEquals(4, lines.size());

        // another organisation's export is its own
        var theirs = new java.io.ByteArrayOutputStream();
        dnc.exportCsv(f.tenant("Globex", "growth").owner(), theirs);
        assertEquals(List.of("phone_number,reason,source,added_at"),
                theirs.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void badImportsAreRefusedNamingTheFieldAndChangeNothing() {
        var header = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> dnc.importCsv(acme.owner(), in("name,email\nAda,ada@example.com\n"), "US", "", "import"));
        assertTrue(header.getMessage().contains("phone_number"), header.getMessage());
        var source = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> dnc.importCsv(acme.owner(), in("+14155550101\n"), "US", "", "api"));
        assertTrue(source.getMessage().contains("options.source"), source.getMessage());
        var region = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> dnc.importCsv(acme.owner(), in("4155550101\n"), "XX", "", "import"));
        assertTrue(region.getMessage().contains("options.default_region"), region.getMessage());
        var binary = assertThrows(SwitchboardException.InvalidArgument.class, () -> dnc.importCsv(acme.owner(),
                new java.io.ByteArrayInputStream(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}), "US", "", "import"));
        assertTrue(binary.getMessage().contains("UTF-8"), binary.getMessage());
        Principal viewer = f.plane.apiKeys().authenticate(f.plane.apiKeys().create(acme.owner(), "v", Role.VIEWER, "",
                Optional.empty()).secret(), "test");
        assertThrows(SwitchboardException.PermissionDenied.class,
                () -> dnc.importCsv(viewer, in("+14155550101\n"), "US", "", "import"));
        assertEquals(List.of(), dnc.list(acme.owner(), "", 100));
    }

    private static java.io.InputStream in(String s) {
        return new java.io.ByteArrayInputStream(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
