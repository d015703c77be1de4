package io.switchboard.conversation.brain;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The intents every flow hears on every listening node: a do-not-call request, a request for a real person, and
 * "who is this?". Recognised first by patterns over the normalised words (a recogniser's lower-case, unpunctuated
 * text included), then by meaning against example phrases with a high bar, where look-alikes that must not trigger
 * ("call me back later", "i'm not interested", "who are you calling for") compete as "none". Getting do-not-call wrong
 * either way matters: missing it breaks the law, and a false hit ends a willing caller's call, so it needs both a
 * close example and a clear lead over the look-alikes.
 */
final class BuiltInIntents {

    enum Kind { DO_NOT_CALL, HUMAN, IDENTITY }

    private static final String ME = "(me|my number|my phone number|this number|my name|us|our number)";
    private static final Map<Kind, Pattern> PATTERNS = Map.of(
            Kind.DO_NOT_CALL, anyOf(
                    "(take|remove|delete|get|cross|scratch|strike) " + ME + " (off|from|out of) (of )?"
                            + "(the|this|all|any)? ?(calling |call |phone |contact |mailing |marketing |do not call "
                            + "|dont call )?(list|lists|database|system)",
                    // any list of yours ("your clothing list" is "your calling list" misheard); "more": "your"
                    "(take|remove|delete|get|cross|scratch|strike) " + ME + " (off|from|out of) (of )?(your|more) "
                            + "([a-z]+ )?(list|lists|database|system)",
                    "(remove|delete|erase) (me|my number|my phone number|this number|my details)( please)?$",
                    "(put|add|place) " + ME + " (on|to) (your|the) (do not|dont|no) call",
                    "do not call list|dont call list|do not call registry|no call list",
                    // "don't call me" at the end of the answer, not "don't call me before noon"
                    "(do not|dont|never|stop) (ever )?(call|calling|phone|phoning|contact|contacting|ring|ringing) "
                            + "(me|us|here|this number|that number|my number)( again| anymore| any more| ever| then)?"
                            + "( please)?$",
                    "(do not|dont|never) (ever )?(call|phone|contact|ring) (me|us|here|this number|that number) "
                            + "(again|anymore|any more|ever)",
                    "stop (calling|phoning|ringing|contacting|bothering) (me|us|here|this number|my number)",
                    "(never|dont|do not) (ever )?(call|phone|ring|contact) (again|anymore|any more)$",
                    "never (call|phone|ring|contact) (me |us |here |this number )?again",
                    "stop calling|no more calls|quit calling|unsubscribe"),
            Kind.HUMAN, anyOf(
                    "(real|live|actual) (person|human|people|agent|representative|operator)",
                    "human being|a human|an operator|the operator|customer service",
                    "(speak|talk|transfer|connect|put) (me )?(to|with|through to) (a |an |the |your )?"
                            + "(person|human|operator|representative|rep|agent|manager|supervisor|someone|somebody"
                            + "|anyone|anybody)"),
            Kind.IDENTITY, anyOf(
                    // "who are you", not "who are you calling for"
                    "who (is this|is that|are you(?! (calling|looking|asking|trying|after))|is calling|s calling"
                            + "|is speaking|do you (work for|represent)|are you with)",
                    "who am i (speaking|talking) (to|with)|whos (this|calling|speaking)|who did you say you (are|were)",
                    "what (is|s) your name|whats your name|where are you calling from",
                    "what company (is this|are you( with| from)?)",
                    "(is|am i talking to|am i speaking to|are you) (this )?(a|an) "
                            + "(robot|machine|computer|bot|recording|ai|real person)"));

    /**
     * "take me [off] your list" with the particle lost to the recogniser ("take me a lot your list"): one or two
     * words between the caller and "your list" that are not another preposition ("take me through your list" is an
     * ordinary answer), after a verb that only asks for removal here ("get me one of your lists" is not).
     */
    private static final Pattern REMOVAL_PARTICLE_MISHEARD = Pattern.compile("\\b(take|remove|delete|cross|scratch"
            + "|strike|knock) " + ME + " ((?!(to|through|into|onto|on|in|with|along|at|for|around|down|over|back|one"
            + "|some|copy|up to|the)\\b)[a-z]+ ){1,2}your (calling |call |phone |contact |mailing |marketing )?"
            + "(list|lists|database)\\b");

    private static Pattern anyOf(String... alternatives) {
        return Pattern.compile("\\b(" + String.join("|", alternatives) + ")\\b");
    }

    private static final Map<String, List<String>> EXAMPLES = examples();
    private static final double THRESHOLD = 0.72;
    private static final double MARGIN = 0.06;

    private BuiltInIntents() {
    }

    private static Map<String, List<String>> examples() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put(Kind.DO_NOT_CALL.name(), List.of("take me off your list", "stop calling me", "do not call me again",
                "remove my number from your list", "put me on your do not call list", "dont ever call me again",
                "i never want to hear from you again"));
        m.put(Kind.HUMAN.name(), List.of("can i speak to a real person", "i want to talk to a human",
                "transfer me to an agent", "let me speak to someone", "is there a person i can talk to"));
        m.put(Kind.IDENTITY.name(), List.of("who is this", "who are you", "who am i speaking with",
                "what company are you calling from", "what is your name", "who is calling"));
        m.put("NONE", List.of("call me back later", "can you call me back tomorrow", "im not interested",
                "no thanks", "not right now", "i am busy", "add my wife to the list", "who are you calling for",
                "who should i ask for", "what is this about", "how much does it cost",
                "i already have one", "send me an email", "call me on my cell", "please call me again",
                "you can call me again next week", "take me through your list", "go down your list",
                "read me your list"));
        return Map.copyOf(m);
    }

    /**
     * A do-not-call request in {@code normalized} words, as said or as a phone recogniser misheard it: the key words
     * restored ({@link MisheardWords}), then the same patterns, plus the request with its "off" lost.
     */
    static boolean doNotCallByWords(String normalized) {
        Pattern p = PATTERNS.get(Kind.DO_NOT_CALL);
        if (p.matcher(normalized).find()) {
            return true;
        }
        String restored = MisheardWords.restore(normalized);
        return p.matcher(restored).find() || REMOVAL_PARTICLE_MISHEARD.matcher(restored).find();
    }

    static Optional<Kind> recognise(String answer, Meanings meanings) {
        String n = Words.normalize(answer);
        if (n.isEmpty()) {
            return Optional.empty();
        }
        if (doNotCallByWords(n)) {
            return Optional.of(Kind.DO_NOT_CALL);
        }
        for (Kind k : Kind.values()) {
            if (PATTERNS.get(k).matcher(n).find()) {
                return Optional.of(k);
            }
        }
        return meanings.byMeaning(answer, EXAMPLES, THRESHOLD, MARGIN).map(Meanings.Match::label)
                .filter(l -> !l.equals("NONE")).map(Kind::valueOf);
    }
}
