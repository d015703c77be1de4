package io.switchboard.conversation.brain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A phone recogniser's text with the words a do-not-call request hangs on put back: PocketSphinx over an 8 kHz
 * μ-law line writes "stop colin me", "don call me a gain", "on subscribe", "take me of your lest". Each word that is
 * a known mishearing of one of those few key words, or one letter away from a long one ("callin", "remov"), becomes
 * the key word; every other word is left as it was. Only the key words are restored, and only the do-not-call
 * patterns read the result, so an ordinary answer stays ordinary: the patterns still need the request's whole shape
 * ("stop" + "calling" + "me"), not a single word.
 */
final class MisheardWords {

    /** Key word → what a phone recogniser was seen or is likely to write for it (by sound, not by meaning). */
    private static final Map<String, Set<String>> HEARD_AS = Map.ofEntries(
            Map.entry("call", Set.of("cal", "col", "cole", "coal", "kol", "caul", "called", "calls", "colt", "cold")),
            Map.entry("calling", Set.of("colin", "collin", "callin", "cullen", "colleen", "culling", "collen",
                    "caling", "colling", "calvin")),
            Map.entry("list", Set.of("lest", "lists", "least", "liszt", "lisp", "listed", "lead", "leads")),
            Map.entry("me", Set.of("may", "mee", "mi")),
            Map.entry("dont", Set.of("don", "doesnt", "donut")),
            Map.entry("stop", Set.of("stopped", "stops", "stuff")),
            Map.entry("again", Set.of("agin", "agen", "again", "gain")),
            Map.entry("remove", Set.of("removed", "removes", "remote", "remo")),
            Map.entry("number", Set.of("numbers", "lumber", "member")),
            Map.entry("off", Set.of("of", "oft")),
            Map.entry("unsubscribe", Set.of("unsubscribed", "unsubscribing")));

    /** Key words long enough that one wrong letter still names only them. */
    private static final List<String> LONG = List.of("calling", "remove", "number", "unsubscribe", "delete");

    private MisheardWords() {
    }

    /** {@code normalized} (see {@link Words#normalize}) with the key words restored. */
    static String restore(String normalized) {
        if (normalized.isEmpty()) {
            return normalized;
        }
        List<String> in = List.of(normalized.split(" "));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            String w = in.get(i);
            String next = i + 1 < in.size() ? in.get(i + 1) : null;
            // words the recogniser split in two: "a gain", "un subscribe", "on subscribe", "re move"
            if (next != null) {
                String joined = joined(w, next);
                if (joined != null) {
                    out.add(joined);
                    i++;
                    continue;
                }
            }
            out.add(key(w));
        }
        return String.join(" ", out);
    }

    private static String joined(String w, String next) {
        if (w.equals("a") && (next.equals("gain") || next.equals("gun"))) {
            return "again";
        }
        if (Set.of("un", "on", "an", "in").contains(w) && next.startsWith("subscri")) {
            return "unsubscribe";
        }
        if (w.equals("re") && (next.equals("move") || next.equals("moved"))) {
            return "remove";
        }
        return null;
    }

    private static String key(String w) {
        for (var e : HEARD_AS.entrySet()) {
            if (e.getKey().equals(w) || e.getValue().contains(w)) {
                return e.getKey();
            }
        }
        for (String k : LONG) {
            if (Math.abs(k.length() - w.length()) <= 1 && distance(k, w) <= 1) {
                return k;
            }
        }
        return w;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
