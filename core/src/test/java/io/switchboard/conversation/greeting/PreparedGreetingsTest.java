package io.switchboard.conversation.greeting;

import static io.switchboard.db.Tables.CALL_GREETINGS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.conversation.StoredConversations;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.dialer.DialGuards;
import io.switchboard.dialer.DialOutcome;
import io.switchboard.dialer.Dialer;
import io.switchboard.dialer.NationalDoNotCall;
import io.switchboard.dialer.Telephony;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A campaign call's greeting made while it rings, on real PostgreSQL with the real dialer and Flite: the dialer
 * leaves it beside the carrier's request, the call the attempt became takes it once, no other organisation can,
 * a HIPAA-mode organisation's is at rest only sealed, and what is never taken is swept. The carrier is the one
 * fake (it records the dial requests).
 */
class PreparedGreetingsTest {

    private static final Duration KEEP = Duration.ofMinutes(2);
    private static final String FIRST = "Hello {{first_name}}, this is the clinic. We are calling about tomorrow.";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-07T17:00:00Z"));
    private final List<Telephony.DialRequest> dials = new CopyOnWriteArrayList<>();
    private Fixtures f;
    private CallService calls;
    private PreparedGreetings greetings;
    private Voices voices;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        calls = f.calls(TestObjectStore.freshBucket());
        greetings = new PreparedGreetings(f.plane.database().dsl(), clock, f.plane.plans(), f.plane.contentSeal());
        voices = Voices.installed();
    }

    /** A tenant's campaign to Ada, dialled once; returns the attempt whose greeting is ready. */
    private Telephony.DialRequest dialAda(Fixtures.Tenant t) throws InterruptedException {
        var p = f.plane;
        String agent = p.agents().create(t.owner(), new AgentSpec("Clinic", "en-US", "", FIRST, "flite:slt", "",
                List.of())).id().toString();
        String list = p.contacts().createList(t.owner(), "L" + UUID.randomUUID(), "").id().toString();
        p.contacts().create(t.owner(), new ContactSpec("", "+1212555" + (1000 + dials.size()), "Ada", "", "", "{}", List.of(),
                "America/New_York", List.of(list)), "US");
        String campaign = p.campaigns().create(t.owner(), new CampaignSpec("C", agent, list, "+14155550100",
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 1, CampaignSpec.Retry.UNSET,
                List.of(), CampaignSpec.Dialing.UNSET)).id().toString();
        p.campaigns().start(t.owner(), campaign);
        Telephony carrier = new Telephony() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public String dial(DialRequest r) {
                dials.add(r);
                return "CA" + r.attemptId().toString().replace("-", "");
            }

            @Override
            public void hangUp(String carrierCallId) {
            }
        };
        RingingGreeter greeter = new RingingGreeter(new StoredConversations(calls, p.agents(), p.contacts(),
                p.campaigns(), p.doNotCall(), p.usage()), voices, greetings, 8000, KEEP, clock);
        int before = dials.size();
        try (Dialer d = new Dialer(p.database().dsl(), clock, p.plans(), p.campaigns(), p.dialAttempts(),
                new DialGuards(NationalDoNotCall.none()), carrier, new Dialer.Settings("w1", Duration.ZERO,
                Duration.ofMinutes(2), Duration.ofSeconds(60), 200), greeter)) {
            assertEquals(1, d.tick().placed());
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ((dials.size() == before || !f.plane.database().dsl().fetchExists(CALL_GREETINGS,
                    CALL_GREETINGS.ATTEMPT_ID.eq(dials.getLast().attemptId()))) && System.nanoTime() < until) {
                Thread.sleep(20); // the dial and the greeting beside it run on the dialer's threads
            }
        }
        assertEquals(before + 1, dials.size());
        Telephony.DialRequest r = dials.getLast();
        assertTrue(f.plane.database().dsl().fetchExists(CALL_GREETINGS, CALL_GREETINGS.ATTEMPT_ID.eq(r.attemptId())),
                "the greeting is ready before the call is answered");
        return r;
    }

    /** The carrier's media stream opened the attempt's call (as the server's bridge does). */
    private Call answer(Fixtures.Tenant t, Telephony.DialRequest r) {
        String agent = f.plane.campaigns().get(t.owner(), r.campaignId().toString()).agentId().toString();
        Call c = calls.open(t.owner(), new CallSpec(agent, r.campaignId().toString(), r.contactId().toString(),
                Call.Direction.OUTBOUND, r.from(), r.to(), AudioFormat.Encoding.MULAW, 8000, 1,
                AudioFormat.Container.RAW));
        f.plane.dialAttempts().answered(r.attemptId());
        f.plane.dialAttempts().linkCall(r.attemptId(), c.id());
        return c;
    }

    private short[] flite(String sentence) {
        try (SpeechStream s = voices.resolve("flite:slt").synthesize(sentence, 8000)) {
            return s.readAll();
        }
    }

    @Test
    void theGreetingSynthesisedWhileItRangIsTakenOnceByTheCallItsAttemptBecame() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        Telephony.DialRequest r = dialAda(acme);
        Call call = answer(acme, r);

        PreparedGreeting g = greetings.take(acme.owner().organizationId(), call.id()).orElseThrow();
        assertEquals("flite:slt", g.voice());
        assertEquals(8000, g.sampleRate());
        assertEquals(List.of("Hello Ada, this is the clinic.", "We are calling about tomorrow."),
                g.sentences().stream().map(PreparedGreeting.Sentence::text).toList(), "rendered for the contact");
        short[] said = g.sentences().getFirst().pcm16();
        int flite = flite("Hello Ada, this is the clinic.").length; // Flite varies by a sample value or two
        assertTrue(Math.abs(said.length - flite) <= flite / 20, "the agent's voice saying it at the carrier's rate: "
                + said.length + " samples, Flite says it in " + flite);
        assertTrue(g.audio(0, "Hello Ada, this is the clinic.", "flite:slt", 8000).isPresent());
        assertTrue(g.audio(0, "Hello Ada, this is the clinic.", "flite:rms", 8000).isEmpty(), "another voice");
        assertTrue(g.audio(0, "Hello Bob, this is the clinic.", "flite:slt", 8000).isEmpty(), "another text");

        assertEquals(Optional.empty(), greetings.take(acme.owner().organizationId(), call.id()), "spoken once");
        assertFalse(f.plane.database().dsl().fetchExists(CALL_GREETINGS), "deleted as it was taken");
    }

    @Test
    void anotherOrganisationCannotTakeTheGreetingOfACallNotItsOwn() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        Fixtures.Tenant other = f.tenant("Other", "growth");
        Telephony.DialRequest r = dialAda(acme);
        Call call = answer(acme, r);

        assertEquals(Optional.empty(), greetings.take(other.owner().organizationId(), call.id()));
        assertTrue(f.plane.database().dsl().fetchExists(CALL_GREETINGS), "and it is still there for its own call");
        assertTrue(greetings.take(acme.owner().organizationId(), call.id()).isPresent());
    }

    @Test
    void aCallWithoutAPreparedGreetingFindsNone() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        String agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", FIRST, "flite:slt", "",
                List.of())).id().toString();
        Call inbound = calls.open(acme.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "+12125550101",
                "+14155550100", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        assertEquals(Optional.empty(), greetings.take(acme.owner().organizationId(), inbound.id()));
    }

    @Test
    void inHipaaModeTheGreetingIsAtRestOnlySealedAndStillSpoken() throws Exception {
        Fixtures.Tenant clinic = f.tenant("Clinic", "enterprise");
        f.plane.organizations().update(clinic.owner(), Optional.empty(), Optional.of(true));
        Telephony.DialRequest r = dialAda(clinic);
        var row = f.plane.database().dsl().selectFrom(CALL_GREETINGS).fetchSingle();
        assertTrue(row.getSealed());
        assertFalse(new String(row.getContent(), StandardCharsets.UTF_8).contains("Ada"), "the name is not readable");

        Call call = answer(clinic, r);
        PreparedGreeting g = greetings.take(clinic.owner().organizationId(), call.id()).orElseThrow();
        assertEquals("Hello Ada, this is the clinic.", g.sentences().getFirst().text());
    }

    @Test
    void anExpiredGreetingIsNotSpokenAndUnansweredOnesAreSwept() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        Telephony.DialRequest late = dialAda(acme);
        Telephony.DialRequest unanswered = dialAda(acme);
        Telephony.DialRequest ringing = dialAda(acme);
        var dsl = f.plane.database().dsl();
        assertEquals(3, dsl.fetchCount(CALL_GREETINGS));

        f.plane.dialAttempts().finish(unanswered.attemptId(), DialOutcome.NO_ANSWER, "no answer", Optional.empty());
        assertEquals(1, greetings.sweep(), "its attempt finished: nobody will take it");
        assertEquals(2, dsl.fetchCount(CALL_GREETINGS), "the others still ring");

        clock.advance(KEEP.plusSeconds(1));
        Call call = answer(acme, late);
        assertEquals(Optional.empty(), greetings.take(acme.owner().organizationId(), call.id()),
                "expired: the call synthesises its own");
        assertEquals(1, greetings.sweep(), "the one still ringing past its expiry");
        assertFalse(dsl.fetchExists(CALL_GREETINGS));
        assertFalse(dsl.fetchExists(CALL_GREETINGS, CALL_GREETINGS.ATTEMPT_ID.eq(ringing.attemptId())));
    }
}
