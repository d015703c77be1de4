package io.switchboard.conversation.brain;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Recogniser text reduced to what the extractors compare: lower case, apostrophes dropped ("don't" → "dont", as a
 * lower-case recogniser without punctuation may also write it), other punctuation and hyphens to spaces, one space
 * between words. Digits keep their decimal point and thousands commas are removed ("1,500.5" → "1500.5").
 */
final class Words {

    private static final Pattern THOUSANDS = Pattern.compile("(?<=\\d),(?=\\d{3})");
    private static final Pattern APOSTROPHE = Pattern.compile("['’`]");
    private static final Pattern OTHER = Pattern.compile("[^a-z0-9.\\s]|(?<!\\d)\\.|\\.(?!\\d)");

    private Words() {
    }

    static String normalize(String text) {
        if (text == null) {
            return "";
        }
        String s = text.toLowerCase(Locale.ROOT);
        s = THOUSANDS.matcher(s).replaceAll("");
        s = APOSTROPHE.matcher(s).replaceAll("");
        s = OTHER.matcher(s).replaceAll(" ");
        return s.strip().replaceAll("\\s+", " ");
    }

    /** As a recogniser's dictionary spells words: lower case, apostrophes kept ("i'm"), no other punctuation. */
    static String spoken(String text) {
        String s = text == null ? "" : text.toLowerCase(Locale.ROOT).replace('’', '\'');
        return s.replaceAll("[^a-z0-9'\\s]", " ").strip().replaceAll("\\s+", " ");
    }

    static List<String> tokens(String text) {
        String n = normalize(text);
        return n.isEmpty() ? List.of() : Arrays.asList(n.split(" "));
    }

    /** Whether {@code phrase} (normalised) occurs in {@code normalized} as whole words. */
    static boolean containsPhrase(String normalized, String phrase) {
        String p = normalize(phrase);
        if (p.isEmpty()) {
            return false;
        }
        return (" " + normalized + " ").contains(" " + p + " ");
    }
}
