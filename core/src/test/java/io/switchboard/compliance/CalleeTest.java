package io.switchboard.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** Where a callee may be, and which numbers are checked, as both the dialer and the calls API see it. */
class CalleeTest {

    private static final Optional<ZoneId> FALLBACK = Optional.of(ZoneId.of("Europe/Lisbon"));

    @Test
    void theContactsOwnZoneWins() {
        Callee c = Callee.contact(UUID.randomUUID(), "+12125550100", "America/Chicago");
        assertEquals(List.of(ZoneId.of("America/Chicago")), c.zones(FALLBACK));
    }

    @Test
    void aContactZoneTheJdkDoesNotKnowFallsThroughToTheNumbersZoneInsteadOfFailing() {
        Callee c = Callee.contact(UUID.randomUUID(), "+12125550100", "Mars/Olympus");
        assertEquals(List.of(ZoneId.of("America/New_York")), c.zones(FALLBACK));
        Callee dialled = new Callee(Optional.empty(), "+12125550100", Optional.of("+12125550100"), Optional.empty(),
                "Not/AZone");
        assertEquals(List.of(ZoneId.of("America/New_York")), dialled.zones(Optional.empty()));
    }

    @Test
    void aBadZoneAndANumberWithoutOneLeaveTheFallbackOrNothing() {
        Callee noZone = new Callee(Optional.empty(), "12345", Optional.empty(), Optional.empty(), "Mars/Olympus");
        assertEquals(List.of(ZoneId.of("Europe/Lisbon")), noZone.zones(FALLBACK));
        assertTrue(noZone.zones(Optional.empty()).isEmpty(), "no zone is guessed");
    }

    @Test
    void theContactsNumberDecidesTheZonesBeforeTheNumberDialled() {
        Callee c = new Callee(Optional.of(UUID.randomUUID()), "+442079460000", Optional.of("+442079460000"),
                Optional.of("+12125550100"), "");
        assertEquals(List.of(ZoneId.of("America/New_York")), c.zones(FALLBACK));
    }

    @Test
    void numbersAreCheckedDialledFirstOnceEach() {
        Callee c = new Callee(Optional.of(UUID.randomUUID()), "+1 (415) 555-0123", Optional.of("+14155550123"),
                Optional.of("+14155550123"), "");
        assertEquals(Map.of("+14155550123", "to_number", "+1 (415) 555-0123", "to_number"), c.numbers("to_number"));
        assertEquals("+14155550123", c.numbers("to_number").keySet().iterator().next());
        Callee contact = Callee.contact(UUID.randomUUID(), "+14155550124", "");
        assertEquals(Map.of("+14155550124", "to_number"), contact.numbers("to_number"));
    }
}
