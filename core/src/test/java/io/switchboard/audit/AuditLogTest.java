package io.switchboard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestDatabase;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T09:00:00.123456789Z"));
    private Fixtures f;
    private DSLContext dsl;
    private AuditLog log;
    private AuditSigner signer;
    private Fixtures.Tenant acme;
    private Fixtures.Tenant globex;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        dsl = f.plane.database().dsl();
        signer = AuditSigner.generate();
        log = new AuditLog(dsl, clock, signer);
        acme = f.tenant("Acme", "growth");
        globex = f.tenant("Globex", "enterprise");
    }

    private AuditEntry event(Fixtures.Tenant t, String action, String resource, Map<String, String> details) {
        clock.advance(Duration.ofSeconds(1));
        return log.append(AuditEvent.of(t.owner(), action, "call", resource, details, clock.instant()));
    }

    private UUID org(Fixtures.Tenant t) {
        return t.owner().organizationId();
    }

    /** As a superuser with triggers off: what an attacker with database access can do. */
    private void asSuperuser(String sql) throws SQLException {
        TestDatabase db = TestDatabase.get();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
            s.execute(sql);
        }
    }

    @Test
    void entriesChainPerOrganisationAndVerify() {
        AuditEntry a1 = event(acme, "call.open", "c1", Map.of("agent_version", "3"));
        AuditEntry g1 = event(globex, "call.open", "c9", Map.of());
        AuditEntry a2 = event(acme, "recording.url", "c1", Map.of("ttl_seconds", "900"));
        assertEquals(1, a1.seq());
        assertEquals(1, g1.seq(), "each organisation has its own chain");
        assertEquals(2, a2.seq());
        assertEquals(AuditLog.GENESIS.length, a1.prevHash().length);
        assertTrue(java.util.Arrays.equals(a1.hash(), a2.prevHash()));
        ChainVerification v = log.verify(org(acme));
        assertTrue(v.intact(), v.reason());
        assertEquals(2, v.entriesChecked());
        assertEquals(new ChainVerification(1, 0, 1, 1, Optional.empty(), ""), log.verify(org(globex)));
    }

    @Test
    void theHashIsOverACanonicalEncodingThatIgnoresDetailOrderAndKeepsMicroseconds() {
        AuditEntry e = event(acme, "agent.update", "a1", Map.of("b", "2", "a", "1"));
        assertEquals(123456000, e.at().getNano(), "stored at microsecond precision");
        AuditEntry sameOtherOrder = new AuditEntry(e.organizationId(), e.seq(), e.at(), e.actorApiKey(), e.actorUser(),
                e.remoteAddress(), e.action(), e.resourceType(), e.resourceId(), new java.util.LinkedHashMap<>(
                Map.of("a", "1", "b", "2")), e.prevHash(), e.hash());
        assertTrue(java.util.Arrays.equals(e.hash(), AuditLog.hash(e.prevHash(), AuditLog.canonical(sameOtherOrder))));
        // length prefixes: moving a character between adjacent fields changes the encoding
        AuditEntry shifted = new AuditEntry(e.organizationId(), e.seq(), e.at(), e.actorApiKey(), e.actorUser(),
                e.remoteAddress(), e.action() + "c", e.resourceType().substring(1), e.resourceId(), e.details(),
                e.prevHash(), e.hash());
        assertFalse(java.util.Arrays.equals(AuditLog.canonical(e), AuditLog.canonical(shifted)));
    }

    @Test
    void theApplicationCannotUpdateDeleteOrTruncateAuditRows() {
        event(acme, "call.open", "c1", Map.of());
        log.checkpoint(org(acme));
        for (String sql : List.of("update audit_log set action = 'x'", "delete from audit_log",
                "truncate audit_log", "update audit_checkpoints set seq = 0")) {
            var e = assertThrows(org.jooq.exception.DataAccessException.class, () -> dsl.execute(sql), sql);
            assertTrue(e.getMessage().contains("append-only"), e.getMessage());
        }
        assertTrue(log.verify(org(acme)).intact());
    }

    @Test
    void aRoleWithTheDocumentedGrantsCanAppendButNotRewrite() throws Exception {
        TestDatabase db = TestDatabase.get();
        dsl.execute("do $$ begin if not exists (select from pg_roles where rolname = 'sb_app_test') then "
                + "create role sb_app_test login password 'pw'; end if; end $$");
        dsl.execute("grant select, insert on audit_log, audit_checkpoints to sb_app_test");
        dsl.execute("grant select, insert, update on audit_heads to sb_app_test");
        dsl.execute("grant execute on function audit_prune(uuid, bigint) to sb_app_test");
        event(acme, "call.open", "c1", Map.of());
        try (Connection c = DriverManager.getConnection(db.jdbcUrl().replaceAll("\\?.*", ""), "sb_app_test", "pw");
             Statement s = c.createStatement()) {
            // refused by the grants, before the trigger is reached (which a superuser could switch off)
            for (String sql : List.of("update audit_log set action = 'x'", "delete from audit_log",
                    "truncate audit_log", "update audit_checkpoints set seq = 0")) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
                assertTrue(e.getMessage().contains("permission denied"), sql + ": " + e.getMessage());
            }
            SQLException e = assertThrows(SQLException.class, () -> s.execute(
                    "select audit_prune('" + org(acme) + "', 2)"));
            assertTrue(e.getMessage().contains("no pruning checkpoint"), e.getMessage());
        }
        assertEquals(1, log.verify(org(acme)).entriesChecked());
    }

    @Test
    void anEntryEditedInTheDatabaseIsFoundByVerify() throws Exception {
        for (int i = 0; i < 5; i++) {
            event(acme, "call.read", "c" + i, Map.of("n", Integer.toString(i)));
        }
        asSuperuser("update audit_log set resource_id = 'someone-else' where organization_id = '" + org(acme)
                + "' and seq = 3");
        ChainVerification v = log.verify(org(acme));
        assertFalse(v.intact());
        assertEquals(Optional.of(3L), v.brokenSeq());
        assertTrue(v.reason().contains("altered"), v.reason());
        assertTrue(log.verify(org(globex)).intact(), "other chains are unaffected");
    }

    @Test
    void rewritingTheRestOfTheChainToMatchIsCaughtByASignedCheckpoint() throws Exception {
        for (int i = 0; i < 3; i++) {
            event(acme, "call.read", "c" + i, Map.of());
        }
        assertTrue(log.checkpoint(org(acme)).isPresent());
        assertTrue(log.checkpoint(org(acme)).isEmpty(), "nothing new to sign");
        event(acme, "call.read", "c3", Map.of());
        // the attacker edits entry 2 and recomputes every later hash and the head, as the code would
        asSuperuser("update audit_log set resource_id = 'forged' where organization_id = '" + org(acme) + "' and seq = 2");
        byte[] prev = dsl.select(io.switchboard.db.Tables.AUDIT_LOG.HASH).from(io.switchboard.db.Tables.AUDIT_LOG)
                .where(io.switchboard.db.Tables.AUDIT_LOG.ORGANIZATION_ID.eq(org(acme))
                        .and(io.switchboard.db.Tables.AUDIT_LOG.SEQ.eq(1L))).fetchSingle().value1();
        for (long seq = 2; seq <= 4; seq++) {
            var r = dsl.selectFrom(io.switchboard.db.Tables.AUDIT_LOG).where(io.switchboard.db.Tables.AUDIT_LOG
                    .ORGANIZATION_ID.eq(org(acme)).and(io.switchboard.db.Tables.AUDIT_LOG.SEQ.eq(seq))).fetchSingle();
            AuditEntry e = new AuditEntry(r.getOrganizationId(), seq, r.getAt(), Optional.ofNullable(r.getActorApiKey()),
                    Optional.empty(), r.getRemoteAddress(), r.getAction(), r.getResourceType(), r.getResourceId(),
                    Map.of(), prev, null);
            byte[] h = AuditLog.hash(prev, AuditLog.canonical(e));
            asSuperuser("update audit_log set prev_hash = '\\x" + java.util.HexFormat.of().formatHex(prev)
                    + "', hash = '\\x" + java.util.HexFormat.of().formatHex(h) + "' where organization_id = '"
                    + org(acme) + "' and seq = " + seq);
            prev = h;
        }
        asSuperuser("update audit_heads set hash = '\\x" + java.util.HexFormat.of().formatHex(prev)
                + "' where organization_id = '" + org(acme) + "'");
        ChainVerification v = log.verify(org(acme));
        assertFalse(v.intact());
        assertEquals(Optional.of(4L), v.brokenSeq(), v.reason());
        assertTrue(v.reason().contains("signed checkpoint"), v.reason());
    }

    @Test
    void entriesRemovedFromTheEndOrTheMiddleAreFound() throws Exception {
        for (int i = 0; i < 4; i++) {
            event(acme, "call.read", "c" + i, Map.of());
        }
        asSuperuser("delete from audit_log where organization_id = '" + org(acme) + "' and seq = 2");
        assertEquals(Optional.of(2L), log.verify(org(acme)).brokenSeq());
        asSuperuser("delete from audit_log where organization_id = '" + org(acme) + "' and seq >= 3");
        ChainVerification v = log.verify(org(acme));
        assertEquals(Optional.of(2L), v.brokenSeq(), v.reason());
        assertTrue(v.reason().contains("removed from the end"), v.reason());
    }

    @Test
    void pruningAtASignedCheckpointKeepsTheRestVerifiable() {
        for (int i = 0; i < 6; i++) {
            event(acme, "call.read", "c" + i, Map.of());
        }
        Instant cut = clock.instant().minusSeconds(2); // entries 5 and 6 are newer
        assertEquals(4, log.prune(org(acme), cut));
        ChainVerification v = log.verify(org(acme));
        assertTrue(v.intact(), v.reason());
        assertEquals(5, v.firstSeq());
        assertEquals(2, v.entriesChecked());
        assertEquals(0, log.prune(org(acme), cut), "nothing older is left");
        event(acme, "call.read", "c7", Map.of());
        assertTrue(log.verify(org(acme)).intact());
        // pruning everything leaves an empty, still verifiable chain
        clock.advance(Duration.ofSeconds(10));
        assertEquals(3, log.prune(org(acme), clock.instant()));
        ChainVerification empty = log.verify(org(acme));
        assertTrue(empty.intact(), empty.reason());
        assertEquals(7, empty.lastSeq());
    }

    @Test
    void aForgedCheckpointSignatureIsFound() throws Exception {
        event(acme, "call.read", "c1", Map.of());
        log.checkpoint(org(acme));
        asSuperuser("update audit_checkpoints set signature = '\\x00' where organization_id = '" + org(acme) + "'");
        ChainVerification v = log.verify(org(acme));
        assertFalse(v.intact());
        assertTrue(v.reason().contains("signature"), v.reason());
        // and a checker holding another key does not accept the real one either
        asSuperuser("delete from audit_checkpoints where organization_id = '" + org(acme) + "'");
        log.checkpoint(org(acme));
        assertFalse(new AuditLog(dsl, clock, AuditSigner.generate()).verify(org(acme)).intact());
    }

    @Test
    void listingFiltersPagesNewestFirstAndStaysInsideTheOrganisation() {
        List<AuditEntry> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            all.add(event(acme, i % 2 == 0 ? "call.read" : "recording.url", "c" + (i % 3), Map.of()));
        }
        event(globex, "call.read", "c0", Map.of());
        var page1 = log.list(acme.owner(), AuditLog.Filter.ALL, 3, "");
        assertEquals(List.of(7L, 6L, 5L), page1.items().stream().map(AuditEntry::seq).toList());
        var page2 = log.list(acme.owner(), AuditLog.Filter.ALL, 3, page1.nextPageToken().orElseThrow());
        assertEquals(List.of(4L, 3L, 2L), page2.items().stream().map(AuditEntry::seq).toList());
        var byResource = log.list(acme.owner(), new AuditLog.Filter(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("call"), Optional.of("c0"), Optional.of("call.")), 50, "");
        assertEquals(List.of(7L, 1L), byResource.items().stream().map(AuditEntry::seq).toList());
        var byTime = log.list(acme.owner(), new AuditLog.Filter(Optional.of(all.get(2).at()), Optional.of(all.get(4).at()),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()), 50, "");
        assertEquals(List.of(4L, 3L), byTime.items().stream().map(AuditEntry::seq).toList());
        List<AuditEntry> exported = new ArrayList<>();
        log.export(acme.owner(), AuditLog.Filter.ALL, exported::add);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), exported.stream().map(AuditEntry::seq).toList());
        assertTrue(exported.stream().allMatch(e -> e.organizationId().equals(org(acme))));
        var bad = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> log.list(acme.owner(), AuditLog.Filter.ALL, 3, "not-a-token"));
        assertEquals("page_token", bad.violations().getFirst().field());
    }

    @Test
    void onlyAdminsReadTheTrail() {
        var viewer = f.plane.apiKeys().authenticate(f.plane.apiKeys().create(acme.owner(), "ro",
                io.switchboard.tenancy.Role.VIEWER, "", Optional.empty()).secret(), "test");
        assertThrows(SwitchboardException.PermissionDenied.class, () -> log.list(viewer, AuditLog.Filter.ALL, 10, ""));
        assertThrows(SwitchboardException.PermissionDenied.class, () -> log.verify(viewer));
    }

    @Test
    void theSigningKeyIsCreatedOnceAndReadBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys/audit-signing.key");
        AuditSigner created = AuditSigner.fromFile(file);
        AuditSigner read = AuditSigner.fromFile(file);
        assertEquals(created.keyId(), read.keyId());
        byte[] sig = created.sign(new byte[] {1, 2, 3});
        assertTrue(read.verify(created.keyId(), new byte[] {1, 2, 3}, sig));
        assertFalse(read.verify(created.keyId(), new byte[] {1, 2, 4}, sig));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Files.writeString(file, "garbage\n");
        var e = assertThrows(IllegalStateException.class, () -> AuditSigner.fromFile(file));
        assertTrue(e.getMessage().contains("two lines"), e.getMessage());
    }

    @Test
    void aChangeAndItsAuditEntryCommitTogetherOrNotAtAll() {
        var agents = f.plane.agents();
        var spec = new io.switchboard.agents.AgentSpec("Audited", "en-US", "", "", "", "", List.of());
        long entries = dsl.fetchCount(io.switchboard.db.Tables.AUDIT_LOG);
        agents.create(acme.owner(), spec);
        assertEquals(entries + 1, dsl.fetchCount(io.switchboard.db.Tables.AUDIT_LOG), "entry written with the change");

        // the trail cannot be written (here: its retention lookup fails): the change does not happen either
        f.plane.auditLog().useRetention((org, at) -> {
            throw new IllegalStateException("audit storage unavailable");
        });
        try {
            assertThrows(IllegalStateException.class, () -> agents.create(acme.owner(), spec));
            assertEquals(1, agents.list(acme.owner(), 0, "").items().size(), "no agent without its audit entry");
            assertEquals(entries + 1, dsl.fetchCount(io.switchboard.db.Tables.AUDIT_LOG));
        } finally {
            f.plane.auditLog().useRetention((org, at) -> Optional.empty());
        }
        assertTrue(f.plane.auditLog().verify(acme.owner().organizationId()).intact());
    }
}
