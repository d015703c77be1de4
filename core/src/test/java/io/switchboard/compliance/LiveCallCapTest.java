package io.switchboard.compliance;

import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which calls and dial attempts hold one of the plan's live-call slots, on real PostgreSQL. */
class LiveCallCapTest {

    private Fixtures f;
    private DSLContext dsl;
    private CallService calls;
    private Fixtures.Tenant acme;
    private String agent;
    private UUID campaign;
    private UUID contact;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        dsl = f.plane.database().dsl();
        calls = f.calls(TestObjectStore.freshBucket());
        acme = f.tenant("Acme", "starter"); // 5 live calls
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        String list = f.plane.contacts().createList(acme.owner(), "L", "").id().toString();
        contact = f.plane.contacts().create(acme.owner(), new ContactSpec("", "+12125552000", "", "", "", "{}", List.of(),
                "America/New_York", List.of(list)), "US").id();
        campaign = f.plane.campaigns().create(acme.owner(), new CampaignSpec("C", agent, list, "+14155550100",
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 10, CampaignSpec.Retry.UNSET, List.of())).id();
    }

    private int inUse(UUID org) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            LiveCallCap.lock(tx, org);
            return LiveCallCap.inUse(tx, org);
        });
    }

    private Call apiCall() {
        return calls.open(acme.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
    }

    private UUID attempt(String state, Call call) {
        UUID id = Ids.newId();
        dsl.insertInto(DIAL_ATTEMPTS).set(DIAL_ATTEMPTS.ID, id).set(DIAL_ATTEMPTS.ORGANIZATION_ID, acme.created().organization().id())
                .set(DIAL_ATTEMPTS.CAMPAIGN_ID, campaign).set(DIAL_ATTEMPTS.CONTACT_ID, contact).set(DIAL_ATTEMPTS.ATTEMPT, 1)
                .set(DIAL_ATTEMPTS.FROM_NUMBER, "+14155550100").set(DIAL_ATTEMPTS.TO_NUMBER, "+12125552000")
                .set(DIAL_ATTEMPTS.STATE, state).set(DIAL_ATTEMPTS.OUTCOME, state.equals("finished") ? "completed" : "")
                .set(DIAL_ATTEMPTS.CARRIER, "test").set(DIAL_ATTEMPTS.CALL_ID, call == null ? null : call.id())
                .set(DIAL_ATTEMPTS.PLACED_AT, Instant.now()).set(DIAL_ATTEMPTS.UPDATED_AT, Instant.now()).execute();
        return id;
    }

    @Test
    void aRingingAttemptAndAnApiCallEachHoldASlot() {
        UUID org = acme.created().organization().id();
        assertEquals(0, inUse(org));
        attempt("ringing", null);
        assertEquals(1, inUse(org));
        apiCall();
        assertEquals(2, inUse(org));
    }

    @Test
    void anAnsweredAttemptAndItsCallShareOneSlot() {
        UUID org = acme.created().organization().id();
        attempt("in_progress", apiCall());
        assertEquals(1, inUse(org));
    }

    @Test
    void anAttemptWhoseStreamEndedHoldsItsSlotUntilTheCarrierFinishesIt() {
        UUID org = acme.created().organization().id();
        Call call = apiCall();
        UUID a = attempt("in_progress", call);
        calls.end(org, call.id(), Call.State.ENDED, "hung up");
        assertEquals(1, inUse(org), "the carrier's leg is still up");
        dsl.update(DIAL_ATTEMPTS).set(DIAL_ATTEMPTS.STATE, "finished").set(DIAL_ATTEMPTS.OUTCOME, "completed")
                .where(DIAL_ATTEMPTS.ID.eq(a)).execute();
        assertEquals(0, inUse(org));
    }

    @Test
    void anActiveCallWhoseAttemptIsSettledStillHoldsASlot() {
        UUID org = acme.created().organization().id();
        attempt("finished", apiCall());
        assertEquals(1, inUse(org));
    }

    @Test
    void anotherOrganisationsCallsTakeNoneOfThisOnesSlots() {
        attempt("ringing", null);
        apiCall();
        UUID other = f.tenant("Globex", "starter").created().organization().id();
        assertEquals(0, inUse(other));
    }

    @Test
    void claimRefusesTheCallOverTheLimitAndZeroMeansUnlimited() {
        UUID org = acme.created().organization().id();
        attempt("ringing", null);
        apiCall();
        var e = assertThrows(SwitchboardException.ResourceExhausted.class,
                () -> dsl.transaction(cfg -> LiveCallCap.claim(DSL.using(cfg), org, 2)));
        assertTrue(e.getMessage().contains("2 live calls and 2 are in progress or ringing"), e.getMessage());
        dsl.transaction(cfg -> LiveCallCap.claim(DSL.using(cfg), org, 3));
        dsl.transaction(cfg -> LiveCallCap.claim(DSL.using(cfg), org, 0));
        assertEquals(Integer.MAX_VALUE, (int) dsl.transactionResult(cfg -> LiveCallCap.free(DSL.using(cfg), org, 0)));
        assertEquals(1, (int) dsl.transactionResult(cfg -> LiveCallCap.free(DSL.using(cfg), org, 3)));
    }
}
