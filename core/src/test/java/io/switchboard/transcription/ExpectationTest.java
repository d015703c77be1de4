package io.switchboard.transcription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ExpectationTest {

    @Test
    void aWholePhraseAnswersAOneOfExpectation() {
        Expectation yesNo = Expectation.oneOf(List.of("yes", "no", "yes please", "no thanks"));
        assertTrue(yesNo.answeredBy("yes please"));
        assertTrue(yesNo.answeredBy("no"));
        assertFalse(yesNo.answeredBy("yes yes"), "one phrase only");
        assertFalse(yesNo.answeredBy("what did you say"));
        assertFalse(yesNo.answeredBy("yes what"), "every word must belong to a phrase");
        assertFalse(yesNo.answeredBy(""));
        assertFalse(Expectation.NONE.answeredBy("yes"));
    }

    @Test
    void aSequenceIsAnsweredByUpToItsLengthOfPhrases() {
        Expectation number = Expectation.sequence(List.of("twenty", "one", "five", "a hundred", "and"), 3);
        assertTrue(number.answeredBy("twenty five"));
        assertTrue(number.answeredBy("a hundred and five"), "a phrase of two words counts once");
        assertFalse(number.answeredBy("twenty one and five"), "four phrases, three allowed");
        assertFalse(number.answeredBy("a twenty"), "'a' alone is no phrase");
    }

    @Test
    void phrasesAreCleanedAndNonWordsRefusedNamingThePhrase() {
        assertEquals(List.of("yes please", "no"), Expectation.oneOf(List.of(" Yes   Please ", "no", "NO", "")).phrases());
        var e = assertThrows(IllegalArgumentException.class, () -> Expectation.oneOf(List.of("3 people")));
        assertTrue(e.getMessage().contains("3 people"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Expectation.sequence(List.of("one"), 0));
    }
}
