package io.switchboard.tenancy;

import static io.switchboard.db.Tables.API_KEYS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.switchboard.common.SwitchboardException;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rules of users and API keys that hold across both services, over the real database. */
class TenancyServicesTest {

    private MutableClock clock;
    private Fixtures f;
    private Fixtures.Tenant acme;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(Instant.parse("2026-05-01T08:00:00.123456789Z"));
        f = Fixtures.fresh(clock);
        acme = f.tenant("Acme", "growth");
    }

    @Test
    void keyRoleCannotExceedTheCallersRole() {
        User admin = f.plane.users().create(acme.owner(), "a@acme.example", "A", Role.ADMIN);
        Principal asAdmin = f.plane.apiKeys().authenticate(f.plane.apiKeys().create(acme.owner(), "admin", Role.ADMIN,
                admin.id().toString(), Optional.empty()).secret(), "test");
        assertThrows(SwitchboardException.PermissionDenied.class, () ->
                f.plane.apiKeys().create(asAdmin, "x", Role.OWNER, "", Optional.empty()));
        assertEquals(Role.ADMIN, f.plane.apiKeys().create(asAdmin, "x", Role.ADMIN, "", Optional.empty()).apiKey().role());
    }

    @Test
    void keyActingForAUserCannotExceedThatUsersRole() {
        User viewer = f.plane.users().create(acme.owner(), "v@acme.example", "V", Role.VIEWER);
        var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> f.plane.apiKeys().create(acme.owner(),
                "x", Role.ADMIN, viewer.id().toString(), Optional.empty()));
        assertEquals("role", e.violations().getFirst().field());
    }

    @Test
    void demotedUsersKeysLoseTheOldRoleImmediately() {
        User ann = f.plane.users().create(acme.owner(), "ann@acme.example", "Ann", Role.ADMIN);
        String secret = f.plane.apiKeys().create(acme.owner(), "ann", Role.ADMIN, ann.id().toString(), Optional.empty())
                .secret();
        f.plane.users().update(acme.owner(), ann.id().toString(), Optional.empty(), Optional.of(Role.AGENT));
        assertEquals(Role.AGENT, f.plane.apiKeys().authenticate(secret, "test").role());
    }

    @Test
    void demotionLeavesOtherOrganisationsAndLowerKeysAlone() {
        User ann = f.plane.users().create(acme.owner(), "ann@acme.example", "Ann", Role.ADMIN);
        String viewerKey = f.plane.apiKeys().create(acme.owner(), "ann-ro", Role.VIEWER, ann.id().toString(),
                Optional.empty()).secret();
        f.plane.users().update(acme.owner(), ann.id().toString(), Optional.empty(), Optional.of(Role.AGENT));
        assertEquals(Role.VIEWER, f.plane.apiKeys().authenticate(viewerKey, "test").role());
        assertEquals(Role.OWNER, f.plane.apiKeys().authenticate(acme.ownerKey(), "test").role());
    }

    @Test
    void authenticationStampsLastUsedAtMostOncePerMinuteInMicroseconds() {
        var dsl = f.plane.database().dsl();
        var id = acme.key().apiKey().id();
        f.plane.apiKeys().authenticate(acme.ownerKey(), "test");
        Instant first = dsl.select(API_KEYS.LAST_USED_AT).from(API_KEYS).where(API_KEYS.ID.eq(id)).fetchSingle().value1();
        assertEquals(Instant.parse("2026-05-01T08:00:00.123456Z"), first);
        clock.advance(Duration.ofSeconds(30));
        f.plane.apiKeys().authenticate(acme.ownerKey(), "test");
        assertEquals(first, dsl.select(API_KEYS.LAST_USED_AT).from(API_KEYS).where(API_KEYS.ID.eq(id)).fetchSingle().value1());
        clock.advance(Duration.ofSeconds(31));
        f.plane.apiKeys().authenticate(acme.ownerKey(), "test");
        assertEquals(first.plusSeconds(61),
                dsl.select(API_KEYS.LAST_USED_AT).from(API_KEYS).where(API_KEYS.ID.eq(id)).fetchSingle().value1());
    }

    @Test
    void expiredAndRevokedKeysAreRefusedWithOneKindOfError() {
        ApiKey.Created temp = f.plane.apiKeys().create(acme.owner(), "temp", Role.VIEWER, "",
                Optional.of(clock.instant().plus(Duration.ofHours(1))));
        f.plane.apiKeys().authenticate(temp.secret(), "test");
        clock.advance(Duration.ofHours(1));
        assertThrows(SwitchboardException.Unauthenticated.class, () -> f.plane.apiKeys().authenticate(temp.secret(), "t"));
        f.plane.apiKeys().revoke(acme.owner(), acme.key().apiKey().id().toString());
        assertThrows(SwitchboardException.Unauthenticated.class, () -> f.plane.apiKeys().authenticate(acme.ownerKey(), "t"));
    }
}
