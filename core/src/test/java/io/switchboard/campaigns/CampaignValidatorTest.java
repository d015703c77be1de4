package io.switchboard.campaigns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import org.junit.jupiter.api.Test;

/** The campaign rules alone, without a database: each bad input names its field and says why. */
class CampaignValidatorTest {

    private static List<String> fields(Violations v) {
        return v.list().stream().map(SwitchboardException.Violation::field).toList();
    }

    @Test
    void callerIdIsKeptStrippedWhenItIsAValidE164Number() {
        Violations v = new Violations();
        assertEquals("+14155550100", CampaignValidator.callerId("  +14155550100 ", v));
        assertTrue(v.isEmpty(), v.list().toString());
    }

    @Test
    void callerIdInAnyFormatButE164IsRefusedEvenWhenTheNumberExists() {
        for (String notE164 : List.of("(415) 555-0100", "+1 415 555 0100", "14155550100", "555-0100", "+1-415-555-0100")) {
            Violations v = new Violations();
            CampaignValidator.callerId(notE164, v);
            assertEquals(List.of("campaign.caller_id"), fields(v), notE164);
            assertTrue(v.list().getFirst().reason().contains("E.164"), v.list().toString());
        }
    }

    @Test
    void callerIdMissingOrNotInTheNumberingPlanSaysWhich() {
        Violations blank = new Violations();
        CampaignValidator.callerId(" ", blank);
        assertTrue(blank.list().getFirst().reason().startsWith("is required"), blank.list().toString());
        Violations unreal = new Violations();
        CampaignValidator.callerId("+10000000000", unreal);
        assertEquals(List.of("campaign.caller_id"), fields(unreal));
        assertTrue(unreal.list().getFirst().reason().contains("not a valid phone number"), unreal.list().toString());
    }

    @Test
    void badWindowReportsEachPartAndYieldsNoWindow() {
        Violations v = new Violations();
        assertNull(CampaignValidator.window(new CampaignSpec.Window("21:00", "9am", List.of(0, 3, 3), "Mars/Olympus"), v));
        assertEquals(List.of("campaign.calling_window.end_local_time", "campaign.calling_window.days_of_week[0]",
                "campaign.calling_window.days_of_week[2]", "campaign.calling_window.fallback_time_zone"), fields(v));
    }

    @Test
    void windowThatSpansMidnightIsRefused() {
        Violations v = new Violations();
        assertNull(CampaignValidator.window(new CampaignSpec.Window("22:00", "06:00", List.of(), ""), v));
        assertEquals(List.of("campaign.calling_window.end_local_time"), fields(v));
    }

    @Test
    void unsetWindowGetsTheDefaults() {
        Violations v = new Violations();
        CallingWindow w = CampaignValidator.window(CampaignSpec.Window.UNSET, v);
        assertTrue(v.isEmpty());
        assertEquals(CallingWindow.DEFAULT_START, w.start());
        assertEquals(CallingWindow.DEFAULT_END, w.end());
    }

    @Test
    void dispositionCodesKeepTheGoodOnesAndNameTheBadAndRepeatedOnes() {
        Violations v = new Violations();
        assertEquals(List.of("callback", "sold"), CampaignValidator.codes(List.of("callback", "Sold!", "callback", "sold"), v));
        assertEquals(List.of("campaign.disposition_codes[1]", "campaign.disposition_codes[2]"), fields(v));
    }

    @Test
    void concurrencyZeroMeansOneAndOutOfRangeIsRefused() {
        Violations v = new Violations();
        assertEquals(1, CampaignValidator.concurrency(0, v));
        CampaignValidator.concurrency(CampaignValidator.MAX_CONCURRENCY + 1, v);
        CampaignValidator.concurrency(-1, v);
        assertEquals(List.of("campaign.max_concurrency", "campaign.max_concurrency"), fields(v));
    }

    @Test
    void holidaysMustBeDatesListedOnce() {
        Violations v = new Violations();
        DialingRules r = CampaignValidator.dialing(new CampaignSpec.Dialing(false, 0,
                List.of("2026-12-25", "25/12/2026", "2026-12-25")), v);
        assertEquals(List.of("campaign.dialing_rules.holidays[1]", "campaign.dialing_rules.holidays[2]"), fields(v));
        assertEquals(DialingRules.DEFAULT_ATTEMPTS_PER_DAY, r.maxAttemptsPerDay());
    }
}
