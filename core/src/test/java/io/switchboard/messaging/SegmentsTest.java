package io.switchboard.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Segment counts as carriers bill them, at the edges of each encoding. */
class SegmentsTest {

    private static Segments s(String text) {
        return Segments.of(text);
    }

    @Test
    void gsm7FitsOneHundredSixtyInOnePartAndOneHundredFiftyThreePerPartWhenSplit() {
        assertEquals(new Segments(Segments.Encoding.GSM7, 160, 1), s("a".repeat(160)));
        assertEquals(2, s("a".repeat(161)).count());
        assertEquals(2, s("a".repeat(306)).count());
        assertEquals(3, s("a".repeat(307)).count());
        assertEquals(1, s("").count(), "an empty text is still one part");
    }

    @Test
    void extensionCharactersCountTwo() {
        assertEquals(new Segments(Segments.Encoding.GSM7, 160, 1), s("a".repeat(158) + "€"));
        assertEquals(new Segments(Segments.Encoding.GSM7, 161, 2), s("a".repeat(159) + "€"));
        assertEquals(20, s("[]{}\\^~|€\f").units(), "every extension character takes two septets");
        assertEquals(Segments.Encoding.GSM7, s("Café à 5€ @ Ørsted: ÄÖÑÜ§¿").encoding(), "accented letters of the basic set stay GSM-7");
    }

    @Test
    void oneCharacterOutsideGsm7MakesTheWholeTextUcs2() {
        assertEquals(new Segments(Segments.Encoding.UCS2, 70, 1), s("ł".repeat(70)));
        assertEquals(2, s("ł".repeat(71)).count());
        assertEquals(2, s("ł".repeat(134)).count());
        assertEquals(3, s("ł".repeat(135)).count());
        // Twilio's example: 152 GSM-7 characters and one Unicode character are three billed messages
        assertEquals(new Segments(Segments.Encoding.UCS2, 153, 3), s("a".repeat(152) + "ł"));
        assertEquals(Segments.Encoding.UCS2, s("ç").encoding(), "lower-case ç is not in GSM-7 (only Ç is)");
    }

    @Test
    void anEmojiTakesTwoUcs2Units() {
        assertEquals(new Segments(Segments.Encoding.UCS2, 70, 1), s("😀".repeat(35)));
        assertEquals(2, s("a".repeat(69) + "😀").count());
    }

    @Test
    void textsAreAtMostSixteenHundredCharacters() {
        assertEquals(Optional.empty(), Segments.refusal("a".repeat(1600)));
        assertTrue(Segments.refusal("a".repeat(1601)).orElseThrow().contains("1601 characters"));
        assertEquals(Optional.empty(), Segments.refusal("😀".repeat(1600)), "characters, not UTF-16 units");
        assertEquals(Optional.of("is empty"), Segments.refusal(""));
        assertEquals(11, s("a".repeat(1600)).count());
    }
}
