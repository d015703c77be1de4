package io.switchboard.transcription;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the caller's next answer is likely made of, as the conversation knows it (a yes/no question, a number, a
 * date, a choice among named values): words and short phrases, lower case. A recogniser may decode the answer with
 * these as a small grammar beside its general model and prefer what the grammar heard when it fits the audio about
 * as well; an answer made of other words must still come out as it was said. {@link #NONE}: nothing in particular
 * (an open question), decoded as always.
 *
 * @param phrases the words and phrases, lower case
 * @param upTo    how many of them an answer strings together: 1 when each phrase is a whole answer ("yes please", an
 *                enum's synonym), more for answers built of words ("twenty five", "the twenty first of march")
 */
public record Expectation(List<String> phrases, int upTo) {

    /** The longest run of phrases an answer may be made of. */
    public static final int MAX_UP_TO = 8;
    public static final Expectation NONE = new Expectation(List.of(), 1);

    /** Phrases trimmed, lower-cased, spaces collapsed, duplicates and empties dropped; letters and apostrophes only. */
    public Expectation {
        if (upTo < 1 || upTo > MAX_UP_TO) {
            throw new IllegalArgumentException("upTo must be 1 to " + MAX_UP_TO + " phrases, got " + upTo);
        }
        Set<String> clean = new LinkedHashSet<>();
        for (String p : phrases) {
            String s = p.toLowerCase(Locale.ROOT).strip().replaceAll("\\s+", " ");
            if (s.isEmpty()) {
                continue;
            }
            if (!s.matches("[a-z' ]+")) {
                throw new IllegalArgumentException("expected phrase '" + p + "' must be spoken words (letters, "
                        + "apostrophes and spaces): write numbers as words");
            }
            clean.add(s);
        }
        phrases = List.copyOf(new ArrayList<>(clean));
    }

    /** Each phrase a whole answer. */
    public static Expectation oneOf(List<String> phrases) {
        return phrases.isEmpty() ? NONE : new Expectation(phrases, 1);
    }

    /** Answers of up to {@code upTo} of these words or phrases in a row. */
    public static Expectation sequence(List<String> words, int upTo) {
        return words.isEmpty() ? NONE : new Expectation(words, upTo);
    }

    public boolean isEmpty() {
        return phrases.isEmpty();
    }

    /** Whether {@code text} (lower case, single spaces) is one of the expected answers: a run of up to {@link #upTo} phrases. */
    public boolean answeredBy(String text) {
        if (text.isBlank() || phrases.isEmpty()) {
            return false;
        }
        String[] words = text.strip().split(" ");
        int[] fewest = new int[words.length + 1]; // the fewest phrases that say the first i words
        Arrays.fill(fewest, Integer.MAX_VALUE);
        fewest[0] = 0;
        for (int i = 0; i < words.length; i++) {
            if (fewest[i] == Integer.MAX_VALUE) {
                continue;
            }
            for (String p : phrases) {
                String[] pw = p.split(" ");
                int to = i + pw.length;
                if (to <= words.length && Arrays.equals(pw, 0, pw.length, words, i, to)) {
                    fewest[to] = Math.min(fewest[to], fewest[i] + 1);
                }
            }
        }
        return fewest[words.length] <= upTo;
    }
}
