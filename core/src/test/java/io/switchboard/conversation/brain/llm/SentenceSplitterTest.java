package io.switchboard.conversation.brain.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Cutting streamed model tokens into speakable sentences. */
class SentenceSplitterTest {

    /** Feeds {@code tokens} one by one and returns every sentence, the flushed rest last. */
    private static List<String> split(SentenceSplitter splitter, String... tokens) {
        var out = new ArrayList<String>();
        for (String t : tokens) {
            out.addAll(splitter.add(t));
        }
        splitter.flush().ifPresent(out::add);
        return out;
    }

    private static List<String> split(String... tokens) {
        return split(new SentenceSplitter(), tokens);
    }

    @Test
    void sentencesEndAtTerminalPunctuationFollowedBySpace() {
        assertEquals(List.of("Hello there!", "How are you?", "I am fine."),
                split("Hel", "lo there! How", " are you? I am", " fine."));
    }

    @Test
    void aSentenceIsReleasedOnlyOnceTheNextTokenShowsItEnded() {
        var splitter = new SentenceSplitter();
        assertEquals(List.of(), splitter.add("It costs 3."));
        assertEquals(List.of(), splitter.add("5 dollars"));
        assertEquals(List.of("It costs 3.5 dollars."), splitter.add(". Anything else"));
        assertEquals(Optional.of("Anything else"), splitter.flush());
    }

    @Test
    void abbreviationsAndInitialsDoNotEndASentence() {
        assertEquals(List.of("Dr. Smith and Mrs. Jones will see you at 4 p.m. on Friday.",
                        "Bring your ID, e.g. a passport.", "J. R. Tolkien wrote it."),
                split("Dr. Smith and Mrs. Jones will see you at 4 p.m. on Friday. Bring your ID, e.g. a passport. ",
                        "J. R. Tolkien wrote it."));
    }

    @Test
    void anAnswerLikeNoIsASentence() {
        assertEquals(List.of("No.", "I don't think so."), split("No. I don't", " think so."));
    }

    @Test
    void numbersWithDecimalPointsAndThousandsStayWhole() {
        assertEquals(List.of("The rate is 3.5 percent on 1,200.50 dollars.", "OK?"),
                split("The rate is 3", ".5 percent on 1,", "200.50 dollars. OK?"));
    }

    @Test
    void closingQuotesAndBracketsStayWithTheirSentence() {
        assertEquals(List.of("He said \"yes.\"", "(That was easy.)", "Right?!", "Next."),
                split("He said \"yes.\" (That was easy.) Right?! Next."));
    }

    @Test
    void aNewlineEndsASentence() {
        assertEquals(List.of("First line", "Second line"), split("First line\nSecond", " line"));
    }

    @Test
    void aLongClauseIsCutAtItsLastCommaBeforeTheSentenceEnds() {
        var splitter = new SentenceSplitter(40, 80);
        List<String> out = split(splitter, "We have three plans for teams of every size, ",
                "and each one comes with support");
        assertEquals(List.of("We have three plans for teams of every size,", "and each one comes with support"),
                out);
    }

    @Test
    void textWithNoPunctuationIsCutAtASpaceOnceItPassesTheHardLimit() {
        var splitter = new SentenceSplitter(20, 30);
        List<String> out = splitter.add("one two three four five six seven eight nine ten");
        assertEquals(1, out.size(), out.toString());
        assertTrue(out.getFirst().length() <= 30, out.getFirst());
        assertTrue("one two three four five six seven eight nine ten".startsWith(out.getFirst()), out.getFirst());
    }

    @Test
    void blankTextGivesNothing() {
        assertEquals(List.of(), split("  ", "\n", " "));
    }

    @Test
    void limitsMustBeOrdered() {
        assertThrows(IllegalArgumentException.class, () -> new SentenceSplitter(50, 10));
        assertThrows(IllegalArgumentException.class, () -> new SentenceSplitter(0, 10));
    }
}
