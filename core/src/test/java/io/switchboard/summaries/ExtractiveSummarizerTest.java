package io.switchboard.summaries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.switchboard.agents.CaptureVariable;
import io.switchboard.summaries.Utterance.Speaker;

class ExtractiveSummarizerTest {

    private static ExtractiveSummarizer summarizer;

    @BeforeAll
    static void loadModel() {
        summarizer = ExtractiveSummarizer.create();
    }

    static final String PRICE = "The price of the Growth plan is 49 dollars per seat per month, billed annually.";
    /** The price discussion: list price, total, budget, discount. The summary must keep at least one of them. */
    static final List<String> PRICE_SENTENCES = List.of(PRICE, "For twenty seats that comes to 980 dollars a month.",
            "That price is a bit above our budget of 800 dollars a month for the software.",
            "If you sign up this quarter I can offer a fifteen percent discount on the annual price.");
    static final String CALLBACK = "I will call you back on Thursday the 14th at 10 am to confirm the order.";

    /** A sales call with small talk at both ends; the substance is the plan, its price and the callback. */
    static List<Utterance> salesCall() {
        String[][] turns = {
                {"AGENT", "Hi, this is Sam from Brightline Software. How are you doing today?"},
                {"CUSTOMER", "Oh, not bad. It's been raining all morning here, honestly."},
                {"AGENT", "Same here, the weather has been awful this week. Did you have a good weekend?"},
                {"CUSTOMER", "Yes, we went hiking with the kids, it was lovely."},
                {"AGENT", "I'm calling about the team scheduling software you asked about on our website."},
                {"CUSTOMER", "Right, we have about twenty people and the scheduling spreadsheet is a mess."},
                {"AGENT", "Our scheduling software replaces the spreadsheet with shared calendars and automatic shift swaps."},
                {"CUSTOMER", "What does the software cost for a team of twenty?"},
                {"AGENT", PRICE + " For twenty seats that comes to 980 dollars a month."},
                {"CUSTOMER", "That price is a bit above our budget of 800 dollars a month for the software."},
                {"AGENT", "If you sign up this quarter I can offer a fifteen percent discount on the annual price."},
                {"CUSTOMER", "With the discount the price would work. I need to check with our finance director first."},
                {"AGENT", CALLBACK},
                {"CUSTOMER", "Thursday at 10 works for the callback."},
                {"AGENT", "Great. I'll also email you the pricing sheet and the contract today."},
                {"CUSTOMER", "Okay."},
                {"AGENT", "Thanks so much."},
                {"CUSTOMER", "Enjoy the rest of your day, and stay dry!"},
                {"AGENT", "You too, bye."},
        };
        var out = new ArrayList<Utterance>();
        long t = 0;
        for (String[] turn : turns) {
            out.add(new Utterance(Speaker.valueOf(turn[0]), turn[1], t, t + 4000));
            t += 4500;
        }
        return out;
    }

    static SummaryRequest request(List<Utterance> transcript) {
        return new SummaryRequest(transcript, "Summarise the outcome for the sales team.",
                List.of(new CaptureVariable("callback_date", CaptureVariable.Type.DATE, "", List.of(), true)),
                List.of("sale", "callback_scheduled", "not_interested"));
    }

    @Test
    void summaryKeepsThePriceAndTheCallbackAndDropsTheSmallTalk() {
        SummaryResult result = summarizer.summarize(request(salesCall()));

        String summary = result.summary().orElseThrow();
        assertTrue(PRICE_SENTENCES.stream().anyMatch(summary::contains), summary);
        assertTrue(summary.contains("Agent: " + CALLBACK), summary);
        for (String smallTalk : List.of("raining", "weather", "hiking", "weekend", "stay dry", "bye")) {
            assertFalse(summary.contains(smallTalk), smallTalk + " in " + summary);
        }
    }

    @Test
    void summaryQuotesTranscriptSentencesInCallOrder() {
        var sentences = ExtractiveSummarizer.sentences(salesCall()).stream()
                .map(s -> ExtractiveSummarizer.label(s.speaker()) + ": " + s.text()).toList();

        List<String> lines = summarizer.summarize(request(salesCall())).summary().orElseThrow().lines().toList();

        assertTrue(lines.size() >= 3 && lines.size() < sentences.size(), lines.toString());
        int previous = -1;
        for (String line : lines) {
            int index = sentences.indexOf(line);
            assertTrue(index > previous, "not a transcript sentence in order: " + line);
            previous = index;
        }
    }

    @Test
    void sameTranscriptGivesTheSameSummary() {
        assertEquals(summarizer.summarize(request(salesCall())).summary(),
                summarizer.summarize(request(salesCall())).summary());
    }

    @Test
    void variablesAndDispositionAreReportedAsNotProducedNeverGuessed() {
        SummaryResult result = summarizer.summarize(request(salesCall()));

        assertTrue(result.variables().isEmpty());
        assertEquals(Optional.empty(), result.disposition());
        assertEquals(Optional.of(ExtractiveSummarizer.NEEDS_LLM_VARIABLES), result.notProducedReason("variables"));
        assertEquals(Optional.of(ExtractiveSummarizer.NEEDS_LLM_DISPOSITION), result.notProducedReason("disposition"));
        assertEquals("in-process", result.provider());
        assertEquals(ModelUsage.NONE, result.usage());
        assertTrue(summarizer.baaCovered());
    }

    @Test
    void nothingIsReportedMissingThatWasNotAskedFor() {
        SummaryResult result = summarizer.summarize(new SummaryRequest(salesCall(), "", List.of(), List.of()));

        assertEquals(List.of(), result.notProduced());
    }

    @Test
    void shortTranscriptIsReturnedWhole() {
        var transcript = List.of(
                new Utterance(Speaker.CUSTOMER, "Please take me off your list.", 0, 2000),
                new Utterance(Speaker.AGENT, "Done, you won't hear from us again.", 2000, 4000));

        SummaryResult result = summarizer.summarize(request(transcript));

        assertEquals(Optional.of("Customer: Please take me off your list.\nAgent: Done, you won't hear from us again."),
                result.summary());
    }

    @Test
    void singleSentenceTranscriptIsItsOwnSummary() {
        SummaryResult result = summarizer.summarize(
                request(List.of(new Utterance(Speaker.UNKNOWN, "hello is anyone there", 0, 1500))));

        assertEquals(Optional.of("Speaker: hello is anyone there"), result.summary());
    }

    @Test
    void emptyTranscriptIsNotSummarised() {
        for (List<Utterance> empty : List.of(List.<Utterance>of(),
                List.of(new Utterance(Speaker.CUSTOMER, "   ", 0, 10)))) {
            SummaryResult result = summarizer.summarize(request(empty));

            assertEquals(Optional.empty(), result.summary());
            assertEquals(Optional.of("empty transcript"), result.notProducedReason("summary"));
        }
    }

    @Test
    void unpunctuatedRecognizerOutputIsCutIntoRankableUnits() {
        String words = String.join(" ", java.util.Collections.nCopies(70, "word"));

        var units = ExtractiveSummarizer.sentences(List.of(new Utterance(Speaker.AGENT, words, 0, 1)));

        assertEquals(3, units.size());
    }
}
