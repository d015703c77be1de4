package io.switchboard.conversation.turns;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The little a turn detector reads in a transcript: its words, whether they are only backchannels, and whether
 * they stop mid-phrase (on a conjunction, a hesitation, a dangling article or preposition, or a number being read:
 * digits, or two number words in a row).
 */
final class Words {

    /** Words after which a pause is the speaker thinking, not done. */
    private static final Set<String> HOLDS = Set.of(
            // conjunctions
            "and", "or", "but", "because", "cause", "cos", "so", "then", "if", "when", "while", "although", "though",
            "unless", "until", "nor", "plus", "than", "whether", "since",
            // hesitations
            "um", "uh", "er", "erm", "uhm", "umm", "uhh",
            // articles, possessives and prepositions that need what follows
            "the", "a", "an", "my", "your", "our", "their", "his", "her", "to", "of", "for", "with", "at", "from",
            "in", "on", "into", "about");

    private static final Set<String> NUMBERS = Set.of(
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
            "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
            "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "double",
            "triple", "point", "dash", "hash", "star");

    static final int LONGEST_BACKCHANNEL = 3;

    private Words() {
    }

    /**
     * The words of {@code text}, lower case, without punctuation around them, and without the non-speech tokens
     * recognisers emit ({@code [noise]}, {@code <sil>}, {@code ++breath++}).
     */
    static List<String> of(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String raw : text.toLowerCase(Locale.ROOT).split("\\s+")) {
            if (raw.startsWith("[") || raw.startsWith("<") || raw.startsWith("++")) {
                continue;
            }
            int a = 0;
            int b = raw.length();
            while (a < b && !Character.isLetterOrDigit(raw.charAt(a))) {
                a++;
            }
            while (b > a && !Character.isLetterOrDigit(raw.charAt(b - 1))) {
                b--;
            }
            if (a < b) {
                out.add(raw.substring(a, b));
            }
        }
        return out;
    }

    /** Whether {@code words} is one or more of {@code backchannels} ("okay yeah", "uh huh right"), and nothing else. */
    static boolean onlyBackchannels(List<String> words, Set<String> backchannels) {
        if (words.isEmpty()) {
            return false;
        }
        int i = 0;
        next:
        while (i < words.size()) {
            for (int n = Math.min(LONGEST_BACKCHANNEL, words.size() - i); n >= 1; n--) {
                if (backchannels.contains(String.join(" ", words.subList(i, i + n)))) {
                    i += n;
                    continue next;
                }
            }
            return false;
        }
        return true;
    }

    /** Whether {@code words} stop where the speaker has more to say. */
    static boolean endsMidPhrase(List<String> words) {
        if (words.isEmpty()) {
            return false;
        }
        String last = words.getLast();
        if (HOLDS.contains(last) || isDigits(last)) {
            return true;
        }
        // a number being read: two number words in a row ("five five", "two hundred", "five five oh"); one alone
        // is as often an answer or a pronoun ("the blue one", "I'd like two")
        if (words.size() < 2) {
            return false;
        }
        String before = words.get(words.size() - 2);
        boolean lastIsNumber = NUMBERS.contains(last) || last.equals("oh") || last.equals("o");
        return lastIsNumber && (NUMBERS.contains(before) || isDigits(before));
    }

    private static boolean isDigits(String w) {
        for (int i = 0; i < w.length(); i++) {
            if (!Character.isDigit(w.charAt(i))) {
                return false;
            }
        }
        return !w.isEmpty();
    }
}
