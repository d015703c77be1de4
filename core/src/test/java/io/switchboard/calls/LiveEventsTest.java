package io.switchboard.calls;

import static io.switchboard.db.Tables.CALL_EVENTS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The live events of calls, as every API server reads them, over the real database. */
class LiveEventsTest {

    private Fixtures f;
    private CallService calls;
    private LiveEvents events;
    private DSLContext dsl;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        calls = f.calls(TestObjectStore.freshBucket());
        events = new LiveEvents(f.plane.database().dsl(), f.plane.contentSeal());
        dsl = f.plane.database().dsl();
    }

    private Call liveCall(Fixtures.Tenant t) {
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        return calls.open(t.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eventsAreReadInTheCallsOrderFromWhereAWatcherStartedAndOnlyByTheCallsOrganisation() {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        Call c = liveCall(acme);
        LiveEvents.Publisher p = events.publisher(c.organizationId(), c.id(), false);
        p.publish(bytes("one"));
        int start = events.last(c.organizationId(), c.id());
        assertEquals(1, start);
        p.publish(bytes("two"));
        p.publish(bytes("three"));

        List<LiveEvents.Event> after = events.after(c.organizationId(), c.id(), start, 10);
        assertEquals(List.of(2, 3), after.stream().map(LiveEvents.Event::seq).toList());
        assertArrayEquals(bytes("three"), after.get(1).payload());
        assertEquals(List.of(2), events.after(c.organizationId(), c.id(), start, 1).stream()
                .map(LiveEvents.Event::seq).toList(), "a batch is the oldest first");
        assertTrue(events.after(globex.owner().organizationId(), c.id(), 0, 10).isEmpty(), "tenancy");
        assertEquals(0, events.last(globex.owner().organizationId(), c.id()));
    }

    @Test
    void aHipaaOrganisationsEventsAreStoredSealed() {
        Fixtures.Tenant clinic = f.tenant("Clinic", "enterprise");
        f.plane.organizations().update(clinic.owner(), java.util.Optional.empty(), java.util.Optional.of(true));
        Call c = liveCall(clinic);
        events.publisher(c.organizationId(), c.id(), calls.hipaaMode(c.organizationId())).publish(bytes("patient name"));
        byte[] stored = dsl.select(CALL_EVENTS.PAYLOAD).from(CALL_EVENTS).where(CALL_EVENTS.CALL_ID.eq(c.id()))
                .fetchSingle().value1();
        assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains("patient"), "no plaintext at rest");
        assertArrayEquals(bytes("patient name"), events.after(c.organizationId(), c.id(), 0, 10).getFirst().payload());
    }

    @Test
    void eventsOlderThanFiveMinutesAreSweptAndAnErasureTakesACallsEventsAtOnce() {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        Call c = liveCall(acme);
        LiveEvents.Publisher p = events.publisher(c.organizationId(), c.id(), false);
        p.publish(bytes("old"));
        p.publish(bytes("new"));
        dsl.execute("UPDATE call_events SET created_at = now() - interval '301 seconds' WHERE seq = 1");
        assertEquals(1, events.sweep());
        assertEquals(List.of(2), events.after(c.organizationId(), c.id(), 0, 10).stream().map(LiveEvents.Event::seq)
                .toList());
        assertEquals(1, LiveEvents.delete(dsl, List.of(c.id())));
    }
}
