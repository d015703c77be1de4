package io.switchboard.conversation.brain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a yes or a no from an answer: "yeah", "sure", "of course", "i don't mind", a lone "please" are yes; "nope",
 * "not really", "i don't think so", "no thanks" are no; "maybe" and "i don't know" are neither. Phrases are matched
 * longest first so "i don't mind" is not read as "i don't"; when an answer holds both ("yeah no", "no wait yes")
 * the last one counts, as people correct themselves at the end.
 */
final class YesNo {

    private static final Map<String, Boolean> PHRASES = phrases();
    private static final List<String> LONGEST_FIRST = PHRASES.keySet().stream()
            .sorted(Comparator.comparingInt((String p) -> p.split(" ").length).reversed()).toList();

    /** The words a lone "please" may come with and still be a yes. */
    private static final java.util.Set<String> PLEASE_ALONG = java.util.Set.of("please", "oh", "um", "uh", "er", "ah",
            "well", "thank", "thanks", "you");

    private YesNo() {
    }

    private static Map<String, Boolean> phrases() {
        var m = new java.util.HashMap<String, Boolean>();
        for (String p : List.of("yes", "yeah", "yep", "yup", "yea", "yah", "ya", "yes please", "sure", "certainly",
                "absolutely", "definitely", "of course", "correct", "right", "thats right", "thats correct", "ok",
                "okay", "alright", "all right", "please do", "go ahead", "go for it", "sounds good", "sounds great",
                "that would be great", "i would", "i do", "i am", "i will", "i think so", "uh huh", "mhm", "mm hmm",
                "affirmative", "indeed", "totally", "exactly", "you bet", "for sure", "why not", "i dont mind",
                "dont mind", "i guess so", "sure thing", "yes i am", "yes i do", "yes i would", "please")) {
            m.put(p, true);
        }
        for (String p : List.of("no", "nope", "nah", "naw", "know", "not really", "not at all", "no thanks",
                "no thank you", "not interested", "absolutely not", "of course not", "certainly not", "definitely not",
                "i dont think so", "dont think so", "i dont", "i do not", "i dont want", "i wont", "i will not",
                "i wouldnt", "i would not", "im not", "i am not", "not now", "no way", "not today", "negative",
                "never", "uh uh", "not for me", "i dont want to", "not right now", "no i dont", "no im not",
                "rather not", "id rather not", "please dont", "dont", "not right", "thats not right", "thats wrong",
                "wrong", "incorrect")) {
            m.put(p, false);
        }
        for (String p : List.of("maybe", "perhaps", "not sure", "im not sure", "i dont know", "dont know", "dunno",
                "i dont really know", "possibly", "it depends", "depends", "not sure yet", "i dont know yet", "i am not sure",
                "im not really sure", "i am not really sure", "not really sure", "im not so sure")) {
            m.put(p, null);
        }
        return m;
    }

    static Optional<Boolean> extract(String text) {
        List<String> tokens = Words.tokens(text);
        List<Boolean> found = new ArrayList<>();
        boolean unsure = false;
        int pleases = 0; // yeses that were a lone "please"
        int i = 0;
        while (i < tokens.size()) {
            int matched = 0;
            for (String p : LONGEST_FIRST) {
                String[] words = p.split(" ");
                if (i + words.length <= tokens.size()
                        && String.join(" ", tokens.subList(i, i + words.length)).equals(p)) {
                    Boolean polarity = PHRASES.get(p);
                    if (polarity == null) {
                        unsure = true;
                        found.add(null);
                    } else {
                        found.add(polarity);
                    }
                    if (p.equals("please")) {
                        pleases++;
                    }
                    matched = words.length;
                    break;
                }
            }
            i += Math.max(matched, 1);
        }
        if (found.isEmpty() || pleases == found.size() && !tokens.stream().allMatch(PLEASE_ALONG::contains)) {
            // "please" is a yes said on its own ("oh, please", "please, thank you"), not the politeness of a request
            // with words of its own ("please call me later", a misheard "please take me off your list")
            return Optional.empty();
        }
        Boolean last = found.getLast();
        if (last == null || unsure && found.stream().filter(java.util.Objects::nonNull).distinct().count() != 1) {
            return Optional.empty();
        }
        return Optional.of(last);
    }

    /** The words an answer to a yes/no question is made of, to bias the recogniser. */
    static List<String> vocabulary() {
        return PHRASES.keySet().stream().filter(p -> !p.equals("know")).sorted().toList();
    }
}
