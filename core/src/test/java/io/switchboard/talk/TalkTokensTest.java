package io.switchboard.talk;

import static io.switchboard.db.Tables.TALK_TOKENS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import io.switchboard.agents.AgentSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Minting and redeeming browser talk tokens on real PostgreSQL, on a clock the test moves. */
class TalkTokensTest {

    private MutableClock clock;
    private Fixtures f;
    private TalkTokens tokens;
    private Fixtures.Tenant acme;
    private String agent;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(Instant.parse("2026-12-06T09:00:00Z"));
        f = Fixtures.fresh(clock);
        tokens = new TalkTokens(f.plane.database().dsl(), clock, f.plane.audit());
        acme = f.tenant("Acme", "growth");
        agent = agent(acme);
    }

    private String agent(Fixtures.Tenant t) {
        return f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
    }

    @Test
    void aTokenOpensOneCallOnBehalfOfTheKeyThatMintedItAndIsStoredOnlyHashed() {
        TalkTokens.Minted m = tokens.mint(acme.owner(), agent, "");
        assertEquals(clock.instant().plus(TalkTokens.TTL), m.expiresAt());
        byte[] stored = f.plane.database().dsl().select(TALK_TOKENS.TOKEN_SHA256).from(TALK_TOKENS).fetchSingle().value1();
        assertFalse(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1).contains(m.token().substring(5, 20)));
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("talk_token.create") && e.resourceId().equals(agent)));

        TalkTokens.Redeemed r = tokens.redeem(m.token(), "talk:127.0.0.1");
        assertEquals(agent, r.agentId().toString());
        assertEquals(Optional.empty(), r.contactId());
        Principal p = r.actor();
        assertEquals(acme.owner().organizationId(), p.organizationId());
        assertEquals(acme.owner().apiKeyId(), p.apiKeyId());
        assertEquals(Role.OWNER, p.role());
        assertEquals("talk:127.0.0.1", p.remoteAddress());

        var again = assertThrows(SwitchboardException.Unauthenticated.class, () -> tokens.redeem(m.token(), "x"));
        assertTrue(again.getMessage().startsWith("token: already used"), again.getMessage());
    }

    @Test
    void aTokenExpiresAfterItsMinute() {
        TalkTokens.Minted m = tokens.mint(acme.owner(), agent, "");
        clock.advance(TalkTokens.TTL);
        var e = assertThrows(SwitchboardException.Unauthenticated.class, () -> tokens.redeem(m.token(), "x"));
        assertTrue(e.getMessage().startsWith("token: expired"), e.getMessage());
    }

    @Test
    void aTokenOfARevokedKeyOpensNothing() {
        var key = f.plane.apiKeys().create(acme.owner(), "talker", Role.AGENT, "", Optional.empty());
        Principal talker = f.plane.apiKeys().authenticate(key.secret(), "test");
        TalkTokens.Minted m = tokens.mint(talker, agent, "");
        f.plane.apiKeys().revoke(acme.owner(), key.apiKey().id().toString());
        var e = assertThrows(SwitchboardException.Unauthenticated.class, () -> tokens.redeem(m.token(), "x"));
        assertTrue(e.getMessage().contains("revoked"), e.getMessage());
    }

    @Test
    void unknownAndMalformedTokensAreRefusedSayingSo() {
        String unknown = TalkTokens.PREFIX + "A".repeat(43);
        assertTrue(assertThrows(SwitchboardException.Unauthenticated.class, () -> tokens.redeem(unknown, "x"))
                .getMessage().startsWith("token: unknown"));
        assertTrue(assertThrows(SwitchboardException.Unauthenticated.class, () -> tokens.redeem("sb_abc", "x"))
                .getMessage().startsWith("token: not a talk token"));
        assertTrue(assertThrows(SwitchboardException.Unauthenticated.class, () -> tokens.redeem("", "x"))
                .getMessage().startsWith("token: the query parameter is required"));
    }

    @Test
    void onlyAKeyThatMayPlaceCallsMintsAndOnlyForItsOwnOrganisationsAgentAndContact() {
        var viewerKey = f.plane.apiKeys().create(acme.owner(), "viewer", Role.VIEWER, "", Optional.empty());
        Principal viewer = f.plane.apiKeys().authenticate(viewerKey.secret(), "test");
        assertThrows(SwitchboardException.PermissionDenied.class, () -> tokens.mint(viewer, agent, ""));

        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        var other = assertThrows(SwitchboardException.NotFound.class, () -> tokens.mint(globex.owner(), agent, ""));
        assertEquals("agent", other.resourceType());
        String globexContact = f.plane.contacts().create(globex.owner(), new ContactSpec("", "+14155550123", "Ann",
                "", "", "{}", List.of(), "", List.of()), "US").id().toString();
        var contact = assertThrows(SwitchboardException.NotFound.class,
                () -> tokens.mint(acme.owner(), agent, globexContact));
        assertEquals("contact", contact.resourceType());
    }

    @Test
    void badIdsAreRefusedNamingTheField() {
        var noAgent = assertThrows(SwitchboardException.InvalidArgument.class, () -> tokens.mint(acme.owner(), "", ""));
        assertEquals("agent_id", noAgent.violations().getFirst().field());
        var badContact = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> tokens.mint(acme.owner(), agent, "nope"));
        assertEquals("contact_id", badContact.violations().getFirst().field());
    }

    @Test
    void mintingClearsTheOrganisationsLongExpiredTokens() {
        tokens.mint(acme.owner(), agent, "");
        clock.advance(Duration.ofMinutes(5));
        tokens.mint(acme.owner(), agent, "");
        assertEquals(1, f.plane.database().dsl().fetchCount(TALK_TOKENS));
    }
}
