package io.switchboard.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.switchboard.common.SwitchboardException;
import io.switchboard.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AgentServiceTest {

    private Fixtures f;
    private Fixtures.Tenant acme;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        acme = f.tenant("Acme", "starter");
    }

    static AgentSpec spec(String name) {
        return new AgentSpec(name, "en-US", "You are polite.", "Hello!", "flite:slt", "Summarise briefly.",
                List.of(new CaptureVariable("callback_date", CaptureVariable.Type.DATE, "when to call back", List.of(), false),
                        new CaptureVariable("interest", CaptureVariable.Type.ENUM, "", List.of("high", "low"), true)));
    }

    @Test
    void updateMakesANewVersionAndKeepsTheOldOne() {
        Agent a = f.plane.agents().create(acme.owner(), spec("Sales"));
        assertEquals(1, a.version());
        Agent b = f.plane.agents().update(acme.owner(), a.id().toString(),
                new AgentSpec("Sales v2", null, null, null, null, null, List.of()), List.of("name"), 1);
        assertEquals(2, b.version());
        assertEquals("Sales v2", b.spec().name());
        assertEquals("Hello!", b.spec().firstMessage(), "fields outside the mask are kept");
        assertEquals("Sales", f.plane.agents().get(acme.owner(), a.id().toString(), 1).spec().name());
        assertEquals(2, f.plane.agents().listVersions(acme.owner(), a.id().toString(), 0, "").items().size());
    }

    @Test
    void staleExpectedVersionIsAborted() {
        Agent a = f.plane.agents().create(acme.owner(), spec("Sales"));
        f.plane.agents().update(acme.owner(), a.id().toString(), spec("x"), List.of("name"), 1);
        assertThrows(SwitchboardException.Aborted.class, () ->
                f.plane.agents().update(acme.owner(), a.id().toString(), spec("y"), List.of("name"), 1));
    }

    @Test
    void invalidSpecReportsEveryBadField() {
        AgentSpec bad = new AgentSpec(" ", "not a tag!", "", "", "", "",
                List.of(new CaptureVariable("Bad Name", CaptureVariable.Type.ENUM, "", List.of(), false),
                        new CaptureVariable("ok", CaptureVariable.Type.STRING, "", List.of("x"), false)));
        var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> f.plane.agents().create(acme.owner(), bad));
        List<String> fields = e.violations().stream().map(SwitchboardException.Violation::field).toList();
        assertTrue(fields.containsAll(List.of("agent.name", "agent.language", "agent.variables[0].name",
                "agent.variables[0].enum_values", "agent.variables[1].enum_values")), fields.toString());
    }

    @Test
    void aVoiceThisDeploymentLacksIsRefusedNamingTheFieldAndWhatExists() {
        for (String voice : List.of("flite:nobody", "polly:joanna", "alloy")) {
            AgentSpec s = new AgentSpec("Sales", "en-US", "", "", voice, "", List.of());
            var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> f.plane.agents().create(acme.owner(), s));
            assertEquals("agent.voice", e.violations().getFirst().field(), e.getMessage());
            assertTrue(e.getMessage().contains(voice) && e.getMessage().contains("slt"), e.getMessage());
        }
        Agent a = f.plane.agents().create(acme.owner(), spec("Sales"));
        var e = assertThrows(SwitchboardException.InvalidArgument.class, () -> f.plane.agents().update(acme.owner(),
                a.id().toString(), new AgentSpec("", "", "", "", "espeak:klingon", "", List.of()), List.of("voice"), 0));
        assertEquals("agent.voice", e.violations().getFirst().field());
        assertEquals("flite:slt", f.plane.agents().get(acme.owner(), a.id().toString(), 0).spec().voice());
        // empty is the deployment's default; every listed voice is accepted
        for (String voice : List.of("", "espeak:en-us", "flite:kal16")) {
            f.plane.agents().update(acme.owner(), a.id().toString(), new AgentSpec("", "", "", "", voice, "", List.of()),
                    List.of("voice"), 0);
        }
    }

    @Test
    void theDeploymentsVoicesAreListedWithItsDefault() {
        var listing = f.plane.agents().voices(acme.owner());
        assertEquals("flite:slt", listing.defaultVoice());
        assertTrue(listing.voices().stream().anyMatch(v -> v.id().equals("espeak:en-us")), listing.toString());
    }

    @Test
    void starterPlanCapsAgentCount() {
        for (int i = 0; i < 3; i++) {
            f.plane.agents().create(acme.owner(), spec("a" + i));
        }
        assertThrows(SwitchboardException.ResourceExhausted.class, () -> f.plane.agents().create(acme.owner(), spec("a4")));
    }

    @Test
    void listPagesInCreationOrderWithoutGapsOrRepeats() {
        f.tenant("Other", "enterprise");
        Fixtures.Tenant big = f.tenant("Big", "enterprise");
        for (int i = 0; i < 7; i++) {
            f.plane.agents().create(big.owner(), spec("a" + i));
        }
        List<String> names = new java.util.ArrayList<>();
        String token = "";
        do {
            var page = f.plane.agents().list(big.owner(), 3, token);
            page.items().forEach(a -> names.add(a.spec().name()));
            token = page.nextPageToken().orElse("");
        } while (!token.isEmpty());
        assertEquals(List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6"), names);
    }

    @Test
    void anotherTenantCannotSeeOrTouchTheAgent() {
        Agent a = f.plane.agents().create(acme.owner(), spec("Sales"));
        Fixtures.Tenant other = f.tenant("Other", "starter");
        String id = a.id().toString();
        assertThrows(SwitchboardException.NotFound.class, () -> f.plane.agents().get(other.owner(), id, 0));
        assertThrows(SwitchboardException.NotFound.class, () ->
                f.plane.agents().update(other.owner(), id, spec("x"), List.of("name"), 0));
        assertThrows(SwitchboardException.NotFound.class, () -> f.plane.agents().delete(other.owner(), id));
        assertTrue(f.plane.agents().list(other.owner(), 0, "").items().isEmpty());
        assertEquals("Sales", f.plane.agents().get(acme.owner(), id, 0).spec().name());
    }
}
