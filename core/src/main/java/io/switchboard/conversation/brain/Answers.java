package io.switchboard.conversation.brain;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.Flow;
import io.switchboard.transcription.Expectation;

/**
 * Reads the answer to an {@code ask} node as the value of its captured variable, by the variable's type, and lists
 * the words such an answer is made of (so the recogniser can be biased towards them).
 */
final class Answers {

    /** Enum answers by meaning: the closest value must be this similar and this far ahead of the next. */
    static final double CHOICE_THRESHOLD = 0.5;
    static final double CHOICE_MARGIN = 0.06;

    private Answers() {
    }

    static Optional<Object> read(CaptureVariable variable, Flow.Ask ask, String text, LocalDate today,
                                 Meanings meanings) {
        return switch (variable.type()) {
            case BOOLEAN -> YesNo.extract(text).map(b -> b);
            case NUMBER -> SpokenNumbers.extract(text).map(n -> n);
            case DATE -> SpokenDates.extract(text, today).map(d -> d);
            case ENUM -> meanings.match(text, choices(variable, ask), CHOICE_THRESHOLD, CHOICE_MARGIN)
                    .map(Meanings.Match::label);
            case STRING -> Optional.of(text.strip()).filter(s -> !s.isEmpty()).map(s -> s);
        };
    }

    /**
     * Reads keys pressed on the keypad as the answer: a number is its digits; 1 is yes and 2 is no; key n picks an
     * enum's n-th value; free text takes the digits as they are; a date cannot be keyed.
     */
    static Optional<Object> fromKeys(CaptureVariable variable, String digits) {
        boolean numeric = digits.matches("[0-9]+");
        return switch (variable.type()) {
            case NUMBER -> numeric ? Optional.of(new java.math.BigDecimal(digits)) : Optional.empty();
            case BOOLEAN -> digits.equals("1") ? Optional.of(true) : digits.equals("2") ? Optional.of(false)
                    : Optional.empty();
            case ENUM -> key(digits, variable.enumValues().size()).map(n -> variable.enumValues().get(n));
            case STRING -> Optional.of(digits);
            case DATE -> Optional.empty();
        };
    }

    /** Key n (from 1) of {@code count} choices, as an index from 0. */
    static Optional<Integer> key(String digits, int count) {
        if (!digits.matches("[1-9][0-9]?")) {
            return Optional.empty();
        }
        int n = Integer.parseInt(digits);
        return n <= count ? Optional.of(n - 1) : Optional.empty();
    }

    /** Each enum value with the phrases that mean it: itself (underscores as spaces) and the node's synonyms. */
    static Map<String, List<String>> choices(CaptureVariable variable, Flow.Ask ask) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String value : variable.enumValues()) {
            List<String> phrases = new ArrayList<>();
            phrases.add(value.replace('_', ' '));
            ask.choices().stream().filter(c -> c.value().equals(value)).forEach(c -> phrases.addAll(c.synonyms()));
            out.put(value, phrases);
        }
        return out;
    }

    /**
     * The words and phrases an answer to {@code ask} is likely made of: yes/no words, number or date words, or the
     * enum's values and synonyms; empty for free text.
     */
    static List<String> expectedWords(CaptureVariable variable, Flow.Ask ask) {
        return switch (variable.type()) {
            case BOOLEAN -> YesNo.vocabulary();
            case NUMBER -> SpokenNumbers.vocabulary();
            case DATE -> {
                var words = new TreeSet<>(SpokenDates.vocabulary());
                words.addAll(SpokenNumbers.vocabulary());
                yield List.copyOf(words);
            }
            case ENUM -> choices(variable, ask).values().stream().flatMap(List::stream)
                    .map(Words::spoken).distinct().toList();
            case STRING -> List.of();
        };
    }

    /** The longest run of number or date words an answer is expected to be ("the twenty first of march"). */
    static final int WORDS_PER_ANSWER = 6;
    /** Contractions as the phrase lists write them (no apostrophe) and as a recogniser's dictionary spells them. */
    private static final Map<String, String> CONTRACTIONS = Map.of("dont", "don't", "thats", "that's", "im", "i'm",
            "id", "i'd", "wont", "won't", "wouldnt", "wouldn't", "doesnt", "doesn't", "didnt", "didn't");

    /**
     * What the recogniser may expect the answer to {@code ask} to be: one of the yes/no phrases or the enum's values
     * and synonyms, a run of number or date words; {@link Expectation#NONE} for free text.
     */
    static Expectation expectation(CaptureVariable variable, Flow.Ask ask) {
        List<String> phrases = expectedWords(variable, ask).stream().map(Answers::dictionarySpelling)
                .filter(p -> p.matches("[a-z' ]+")).toList();
        return switch (variable.type()) {
            case BOOLEAN, ENUM -> Expectation.oneOf(phrases);
            case NUMBER, DATE -> Expectation.sequence(phrases, WORDS_PER_ANSWER);
            case STRING -> Expectation.NONE;
        };
    }

    private static String dictionarySpelling(String phrase) {
        List<String> words = new ArrayList<>();
        for (String w : phrase.split(" ")) {
            words.add(CONTRACTIONS.getOrDefault(w, w));
        }
        return String.join(" ", words);
    }
}
