package io.switchboard.tenancy;

import static io.switchboard.db.Tables.API_KEYS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.switchboard.common.Notifications;
import io.switchboard.common.SwitchboardException;
import io.switchboard.testing.Fixtures;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cache of verified keys over the real database and its LISTEN/NOTIFY. */
class VerifiedKeysTest {

    private Fixtures f;
    private Fixtures.Tenant acme;
    private DSLContext dsl;
    private Notifications notifications;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        acme = f.tenant("Acme", "growth");
        dsl = f.plane.database().dsl();
        notifications = Notifications.start(f.plane.database().dataSource());
    }

    @AfterEach
    void tearDown() {
        notifications.close();
    }

    /** Revokes the owner's key the way only a schema without the V15 trigger would: silently. */
    private void revokeUnannounced() {
        dsl.execute("ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed");
        try {
            dsl.update(API_KEYS).set(API_KEYS.REVOKED_AT, Instant.now()).where(API_KEYS.ID.eq(acme.key().apiKey().id()))
                    .execute();
        } finally {
            dsl.execute("ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed");
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 1000 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    @Test
    void aCachedKeyIsNotReadAgainButAnyAnnouncedChangeEvenByHandDropsIt() throws Exception {
        VerifiedKeys keys = new VerifiedKeys(f.plane.apiKeys(), notifications);
        await(() -> notifications.live(VerifiedKeys.CHANNEL), "listening");
        keys.authenticate(acme.ownerKey(), "test");
        assertEquals(1, keys.size());

        revokeUnannounced();
        assertEquals(acme.owner().apiKeyId(), keys.authenticate(acme.ownerKey(), "test").apiKeyId(),
                "served from the cache: the row was not read again");

        // an operator's SQL is announced by the schema (V15), and heard
        dsl.update(API_KEYS).set(API_KEYS.EXPIRES_AT, Instant.now().plusSeconds(3600))
                .where(API_KEYS.ID.eq(acme.key().apiKey().id())).execute();
        await(() -> keys.size() == 0, "the announcement dropped the key");
        var e = assertThrows(SwitchboardException.Unauthenticated.class, () -> keys.authenticate(acme.ownerKey(), "t"));
        assertTrue(e.getMessage().contains("revoked"), e.getMessage());
    }

    @Test
    void aKeyRevokedInThisProcessIsDroppedBeforeTheRevocationReturns() throws Exception {
        VerifiedKeys keys = new VerifiedKeys(f.plane.apiKeys(), notifications);
        await(() -> notifications.live(VerifiedKeys.CHANNEL), "listening");
        String viewer = f.plane.apiKeys().create(acme.owner(), "viewer", Role.VIEWER, "", java.util.Optional.empty())
                .secret();
        Principal p = keys.authenticate(viewer, "test");
        f.plane.apiKeys().revoke(acme.owner(), p.apiKeyId().toString());
        assertThrows(SwitchboardException.Unauthenticated.class, () -> keys.authenticate(viewer, "test"));
    }

    @Test
    void whileAnnouncementsCannotBeHeardACachedKeyLivesUnderASecond() {
        notifications.close(); // nothing is heard from here on
        AtomicLong now = new AtomicLong();
        VerifiedKeys keys = new VerifiedKeys(f.plane.apiKeys(), notifications, now::get);
        keys.authenticate(acme.ownerKey(), "test");
        revokeUnannounced();
        now.addAndGet(VerifiedKeys.UNHEARD_TTL.toNanos() - 1);
        keys.authenticate(acme.ownerKey(), "test");
        now.addAndGet(1);
        assertThrows(SwitchboardException.Unauthenticated.class, () -> keys.authenticate(acme.ownerKey(), "test"));
    }

    @Test
    void whenTheListenConnectionDropsTheCacheIsEmptiedAndListeningResumes() throws Exception {
        VerifiedKeys keys = new VerifiedKeys(f.plane.apiKeys(), notifications);
        await(() -> notifications.live(VerifiedKeys.CHANNEL), "listening");
        keys.authenticate(acme.ownerKey(), "test");
        assertEquals(1, keys.size());

        // the listening connection is the one whose heartbeat is its last statement
        dsl.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT 1'"
                + " AND pid <> pg_backend_pid()");
        await(() -> keys.size() == 0, "the drop emptied the cache");
        await(() -> notifications.live(VerifiedKeys.CHANNEL), "listening again");
        // the reconnection's own resets reach the cache on the listener's thread, maybe after live() turned true:
        // a key read once they are through stays cached
        await(() -> {
            keys.authenticate(acme.ownerKey(), "test");
            return keys.size() == 1;
        }, "a key read after listening resumed is cached");
        f.plane.apiKeys().revoke(acme.owner(), acme.key().apiKey().id().toString());
        assertThrows(SwitchboardException.Unauthenticated.class, () -> keys.authenticate(acme.ownerKey(), "test"));
    }
}
