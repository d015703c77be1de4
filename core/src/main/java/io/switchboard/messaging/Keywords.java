package io.switchboard.messaging;

import java.util.Locale;
import java.util.Set;

/**
 * The carrier-standard keywords of an inbound text: the whole message must be the one word (any case,
 * surrounding blanks and a trailing full stop or exclamation mark ignored), so "stop please" is an ordinary
 * message, as at Twilio.
 */
public final class Keywords {

    public enum Kind { OPT_OUT, OPT_IN, HELP, NONE }

    static final Set<String> OPT_OUT = Set.of("STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT",
            "CANCEL");
    static final Set<String> OPT_IN = Set.of("START", "UNSTOP", "YES");
    static final Set<String> HELP = Set.of("HELP", "INFO");

    private Keywords() {
    }

    public static Kind classify(String body) {
        String w = word(body);
        if (OPT_OUT.contains(w)) {
            return Kind.OPT_OUT;
        }
        if (OPT_IN.contains(w)) {
            return Kind.OPT_IN;
        }
        return HELP.contains(w) ? Kind.HELP : Kind.NONE;
    }

    /** The keyword as stored in consent events (upper case), or the text abbreviated. */
    public static String word(String body) {
        String s = body == null ? "" : body.strip();
        while (!s.isEmpty() && (s.endsWith(".") || s.endsWith("!"))) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return s.toUpperCase(Locale.ROOT);
    }
}
