package io.switchboard.conversation.brain.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Cuts a stream of model tokens into sentences the synthesiser can start on while the model is still writing.
 * A sentence ends at {@code . ! ?} (with closing quotes or brackets) followed by white space, except after a
 * known abbreviation ("Dr.", "e.g."; not "No.", which on the phone is mostly an answer), a single initial ("J. Smith") or inside a number ("3.5", which has no space
 * after the point anyway). A clause longer than {@code softLimit} characters is cut at its last comma, semicolon,
 * colon or dash, and text longer than {@code hardLimit} with no such mark at its last space, so a model that
 * writes one endless sentence still starts speaking. Not thread-safe: one splitter per model response.
 */
final class SentenceSplitter {

    private static final Set<String> ABBREVIATIONS = Set.of(
            "mr", "mrs", "ms", "mx", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "corp", "approx",
            "apt", "dept", "fig", "mt", "ave", "blvd", "rd", "ft", "oz", "lb", "lbs",
            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
            "e.g", "i.e", "a.m", "p.m", "u.s", "u.k", "ph.d");

    static final int DEFAULT_SOFT_LIMIT = 120;
    static final int DEFAULT_HARD_LIMIT = 220;

    private final int softLimit;
    private final int hardLimit;
    private final StringBuilder buffer = new StringBuilder();

    SentenceSplitter() {
        this(DEFAULT_SOFT_LIMIT, DEFAULT_HARD_LIMIT);
    }

    SentenceSplitter(int softLimit, int hardLimit) {
        if (softLimit < 1 || hardLimit < softLimit) {
            throw new IllegalArgumentException("limits must satisfy 1 <= soft <= hard");
        }
        this.softLimit = softLimit;
        this.hardLimit = hardLimit;
    }

    /** Adds a token; returns the sentences it completed, in order (often none). */
    List<String> add(String token) {
        buffer.append(token);
        var out = new ArrayList<String>();
        for (int cut; (cut = nextCut()) > 0; ) {
            String sentence = buffer.substring(0, cut).strip();
            buffer.delete(0, cut);
            if (!sentence.isEmpty()) {
                out.add(sentence);
            }
        }
        return out;
    }

    /** The rest at the end of the response, if it has any words. */
    Optional<String> flush() {
        String rest = buffer.toString().strip();
        buffer.setLength(0);
        return rest.isEmpty() ? Optional.empty() : Optional.of(rest);
    }

    /** The end (exclusive) of the first complete sentence in the buffer, or 0 if there is none yet. */
    private int nextCut() {
        for (int i = 0; i < buffer.length(); i++) {
            char c = buffer.charAt(i);
            if (c == '\n' && !buffer.substring(0, i).isBlank()) {
                return i + 1;
            }
            if (c != '.' && c != '!' && c != '?' && c != '…') {
                continue;
            }
            int end = i + 1;
            while (end < buffer.length() && isCloser(buffer.charAt(end))) {
                end++;
            }
            if (end >= buffer.length()) {
                break; // the next token decides: "3." may become "3.5", "Dr" needs its name
            }
            if (!Character.isWhitespace(buffer.charAt(end))) {
                continue; // "3.5", "e.g.," or "U.S.A"
            }
            if (c == '.' && !endsSentence(i)) {
                continue;
            }
            return end;
        }
        return longClauseCut();
    }

    private boolean endsSentence(int dot) {
        int start = dot;
        while (start > 0 && !Character.isWhitespace(buffer.charAt(start - 1)) && buffer.charAt(start - 1) != '(') {
            start--;
        }
        String word = buffer.substring(start, dot).toLowerCase(Locale.ROOT);
        if (word.isEmpty()) {
            return true;
        }
        if (ABBREVIATIONS.contains(word)) {
            return false;
        }
        // a single initial ("J. Smith"), but not the pronoun "I." nor a digit ("in 2.")
        return !(word.length() == 1 && Character.isLetter(word.charAt(0)) && !word.equals("i"));
    }

    private int longClauseCut() {
        if (buffer.length() <= softLimit) {
            return 0;
        }
        for (int i = buffer.length() - 2; i > 0; i--) {
            char c = buffer.charAt(i);
            if ((c == ',' || c == ';' || c == ':' || c == '—' || c == '–') && Character.isWhitespace(buffer.charAt(i + 1))) {
                return i + 1;
            }
        }
        if (buffer.length() <= hardLimit) {
            return 0;
        }
        for (int i = hardLimit; i > 0; i--) {
            if (Character.isWhitespace(buffer.charAt(i))) {
                return i;
            }
        }
        return hardLimit;
    }

    private static boolean isCloser(char c) {
        return c == '"' || c == '\'' || c == ')' || c == ']' || c == '”' || c == '’' || c == '.' || c == '!'
                || c == '?';
    }
}
