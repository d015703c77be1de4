package io.switchboard.conversation.turns;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether what the caller said over the agent's opening is only the "Hello?" a person says as they pick up the phone:
 * words that greet or say who answered, and nothing the agent must answer. An outbound call's agent starts its
 * greeting the moment the call is answered, and the callee's "Hello?" lands on top of it; such words are no reply to
 * the greeting (they ask for it), so the engine says the cut greeting again instead of handing them to the brain.
 *
 * <p>What counts, as a phone recogniser writes it (lower case, no punctuation, {@link Words#of}):
 * <ul>
 * <li>a greeting: "hello", "hi", "hey", "hiya", "good morning", "hello there", "hello hello", and the ways
 *     PocketSphinx writes "hello" heard over an 8 kHz μ-law line ("oh", "yellow", "hollow" ...;
 *     {@code PickupGreetingHeardTest} prints what it heard);</li>
 * <li>saying who answered: "speaking", "this is she", "this is Anna" and "Anna speaking" / "Anna here" when Anna is
 *     one of the contact's names (any other word after "this is" may be content: "this is a bad time");</li>
 * <li>either of those with acknowledgements around it: "yes hello", "yeah hi", "hello yes", "okay hello".</li>
 * </ul>
 * An acknowledgement alone ("yes?", "yeah") is not a pickup here: it is a backchannel the agent talks on over, and
 * where it does interrupt it may be the answer to a question the opening asked. Anything else ("hello who is this",
 * "hi I'm busy", "hello take me off your list", "this is the wrong number") is content and interrupts as usual.
 */
public final class PickupGreeting {

    /**
     * Greeting words, and how a phone recogniser writes "hello": "oh" is how PocketSphinx heard espeak-ng's "Hello?"
     * over μ-law ({@code PickupGreetingHeardTest}); "yellow", "hollow", "halo" are its likely readings of others.
     */
    private static final Set<String> GREETINGS = Set.of("hello", "hi", "hey", "hiya", "howdy", "hallo", "hullo",
            "allo", "ello", "helo", "hola", "yellow", "hollow", "halo", "oh");
    /** Two-word greetings. */
    private static final Set<String> GREETING_PAIRS = Set.of("good morning", "good afternoon", "good evening",
            "good day", "hello there", "hi there", "hey there");
    /** Words that only acknowledge, allowed around a greeting. */
    private static final Set<String> ACKNOWLEDGEMENTS = Set.of("yes", "yeah", "yep", "yup", "yah", "ya", "okay",
            "ok", "ah", "um", "uh", "er", "erm", "hm", "hmm", "mm", "well");
    /** Saying who answered, without a name. */
    private static final Set<String> SPEAKING = Set.of("speaking", "this is she", "this is he", "this is him",
            "this is her", "its me", "it is me", "thats me", "yes speaking", "this is me");

    private final Set<String> names;

    /** @param names the contact's names (first, last), any case; "this is Anna" counts only for these */
    public PickupGreeting(Collection<String> names) {
        this.names = names.stream().flatMap(n -> Words.of(n).stream()).collect(Collectors.toUnmodifiableSet());
    }

    /** For a contact whose names are not known: only greetings and "speaking" count. */
    public static PickupGreeting anonymous() {
        return new PickupGreeting(List.of());
    }

    /** Whether {@code heard} (the recogniser's text) is only a pickup greeting, as the class comment says. */
    public boolean matches(String heard) {
        List<String> words = Words.of(heard == null ? "" : heard.replace("'", "").replace("’", ""));
        boolean greeted = false;
        int i = 0;
        while (i < words.size()) {
            String w = words.get(i);
            String two = i + 1 < words.size() ? w + " " + words.get(i + 1) : null;
            String three = i + 2 < words.size() ? two + " " + words.get(i + 2) : null;
            if (three != null && (SPEAKING.contains(three) || isNamed(three))) {
                greeted = true;
                i += 3;
            } else if (two != null && (GREETING_PAIRS.contains(two) || SPEAKING.contains(two) || isNamed(two))) {
                greeted = true;
                i += 2;
            } else if (GREETINGS.contains(w) || SPEAKING.contains(w)) {
                greeted = true;
                i++;
            } else if (ACKNOWLEDGEMENTS.contains(w)) {
                i++;
            } else {
                return false;
            }
        }
        return greeted;
    }

    /** "this is anna", "anna speaking", "anna here", "its anna" with one of the contact's names. */
    private boolean isNamed(String phrase) {
        if (names.isEmpty()) {
            return false;
        }
        String[] w = phrase.split(" ");
        if (w.length == 3 && w[0].equals("this") && w[1].equals("is")) {
            return names.contains(w[2]);
        }
        if (w.length == 2 && (w[1].equals("speaking") || w[1].equals("here"))) {
            return names.contains(w[0]);
        }
        return w.length == 2 && w[0].equals("its") && names.contains(w[1]);
    }
}
