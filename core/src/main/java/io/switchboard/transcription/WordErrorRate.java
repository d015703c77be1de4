package io.switchboard.transcription;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Word error rate: (substitutions + deletions + insertions) / reference words, by word-level Levenshtein
 * distance over text normalised to lower-case words without punctuation.
 */
public final class WordErrorRate {

    private WordErrorRate() {
    }

    public static List<String> words(String text) {
        String t = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9' ]+", " ").strip();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }

    /** Edit distance in words between reference and hypothesis. */
    public static int errors(String reference, String hypothesis) {
        List<String> r = words(reference);
        List<String> h = words(hypothesis);
        int[] prev = new int[h.size() + 1];
        int[] cur = new int[h.size() + 1];
        for (int j = 0; j <= h.size(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= r.size(); i++) {
            cur[0] = i;
            for (int j = 1; j <= h.size(); j++) {
                int sub = prev[j - 1] + (r.get(i - 1).equals(h.get(j - 1)) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[h.size()];
    }

    /** WER of one utterance; 0 for an empty reference matched by an empty hypothesis. */
    public static double of(String reference, String hypothesis) {
        int n = words(reference).size();
        int e = errors(reference, hypothesis);
        return n == 0 ? (e == 0 ? 0.0 : 1.0) : (double) e / n;
    }
}
