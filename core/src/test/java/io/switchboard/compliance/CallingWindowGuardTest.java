package io.switchboard.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outbound campaign calls only inside the campaign's calling window in the callee's local time: the
 * contact's zone, else the number's, else the campaign's fallback; across a daylight-saving change.
 */
class CallingWindowGuardTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-07T12:30:00Z"));
    private Fixtures f;
    private CallService calls;
    private Fixtures.Tenant acme;
    private String agent;
    private String campaign;
    private String list;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        calls = f.calls(TestObjectStore.freshBucket());
        acme = f.tenant("Acme", "growth");
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        list = f.plane.contacts().createList(acme.owner(), "L", "").id().toString();
        campaign = f.plane.campaigns().create(acme.owner(), new CampaignSpec("Spring", agent, list, "+14155550100",
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of()))
                .id().toString(); // default window 08:00-21:00, every day
    }

    private String contact(String phone, String zone) {
        return f.plane.contacts().create(acme.owner(), new ContactSpec("", phone, "", "", "", "{}", List.of(), zone,
                List.of(list)), "US").id().toString();
    }

    private Call dial(String to, String contact) {
        return calls.open(acme.owner(), new CallSpec(agent, campaign, contact, Call.Direction.OUTBOUND, "+14155550100",
                to, AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
    }

    @Test
    void theCalleesLocalTimeDecidesAcrossADaylightSavingChange() {
        String newYork = contact("+12125550123", "America/New_York");
        // Saturday 7 March 2026, 12:30 UTC = 07:30 EST: too early
        var early = assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("", newYork));
        assertEquals("OUTSIDE_CALLING_WINDOW", early.type());
        assertTrue(early.getMessage().contains("2026-03-07T07:30 America/New_York"), early.getMessage());
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("call.refused")
                && e.details().get("reason").equals("outside_calling_window")));
        // Sunday 8 March, clocks went forward at 02:00: 12:30 UTC = 08:30 EDT, inside
        clock.set(Instant.parse("2026-03-08T12:30:00Z"));
        dial("", newYork);
        // 01:30 UTC on 9 March = 21:30 EDT on the 8th: past the end
        clock.set(Instant.parse("2026-03-09T01:30:00Z"));
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("", newYork));
    }

    @Test
    void withoutAContactZoneTheNumbersZoneIsUsedAndWithNoneTheCallIsRefused() {
        clock.set(Instant.parse("2026-03-10T15:30:00Z")); // 11:30 in New York, 08:30 in San Francisco
        dial("+14155550199", ""); // San Francisco number: 08:30 there
        clock.set(Instant.parse("2026-03-10T13:30:00Z")); // 09:30 in New York, 06:30 in San Francisco
        var sf = assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("+14155550199", ""));
        assertTrue(sf.getMessage().contains("America/Los_Angeles"), sf.getMessage());
        dial("+12125550199", "");
        String contactSf = contact("+14155550177", ""); // no zone on the contact: its number's zone applies
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("", contactSf));
        var unknown = assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("sip:alice@example.com", ""));
        assertTrue(unknown.getMessage().contains("unknown"), unknown.getMessage());
        calls.open(acme.owner(), new CallSpec(agent, campaign, "", Call.Direction.INBOUND, "+14155550199", "+14155550100",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW)); // inbound calls are not guarded
    }

    @Test
    void campaignStatsCountOutcomesMinutesAndDispositions() {
        clock.set(Instant.parse("2026-03-10T16:00:00Z")); // daytime on both coasts
        var org = acme.owner().organizationId();
        String ada = contact("+12125550123", "America/New_York");
        Call connected = dial("", ada);
        calls.storeSegment(org, connected.id(), 0, new byte[8000 * 61]); // 61 s of mu-law: two started minutes
        calls.end(org, connected.id(), Call.State.ENDED, "hangup");
        calls.saveSummary(org, connected.id(), new io.switchboard.calls.CallSummary(Optional.of("ok"), java.util.Map.of(),
                Optional.of("callback"), "in-process", java.util.Map.of()));
        Call failed = dial("+12125550124", "");
        calls.end(org, failed.id(), Call.State.FAILED, "no audio");
        dial("+12125550125", ""); // still live
        var stats = f.plane.campaignProgress().stats(acme.owner(), campaign);
        assertEquals(3, stats.attempted());
        assertEquals(1, stats.connected());
        assertEquals(1, stats.failed());
        assertEquals(1, stats.active());
        assertEquals(1, stats.contactsReached());
        assertEquals(61_000, stats.callMs());
        assertEquals(2, stats.billableMinutes());
        assertEquals(java.util.Map.of("callback", 1L), stats.dispositions());
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        assertThrows(SwitchboardException.NotFound.class, () -> f.plane.campaignProgress().stats(globex.owner(), campaign));
    }

    @Test
    void theDialersOwnCallsAreNotRefusedAgainWhenAnsweredAndAnAreaCodeSpanningZonesMustFitAll() {
        String newYork = contact("+12125550123", "America/New_York");
        // 07:30 in New York: an API key is refused, the dialer (which checked when it dialled) is not
        assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("", newYork));
        var dialer = io.switchboard.tenancy.Principal.system(acme.owner().organizationId(),
                io.switchboard.tenancy.Role.AGENT, "carrier:twilio");
        calls.open(dialer, new CallSpec(agent, campaign, newYork, Call.Direction.OUTBOUND, "+14155550100", "",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        // +1 800 numbers ring anywhere in North America: 16:30 UTC is 11:30 in New York but 06:30 in Hawaii
        clock.set(Instant.parse("2026-03-09T16:30:00Z"));
        var spanning = assertThrows(SwitchboardException.FailedPrecondition.class, () -> dial("+18005550199", null));
        assertTrue(spanning.getMessage().contains("Pacific/Honolulu"), spanning.getMessage());
    }
}
