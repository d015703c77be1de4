package io.switchboard.conversation.brain;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a number from an answer, written in digits ("23", "1,500", "3.5") or spoken in words ("twenty three",
 * "one hundred and five", "two thousand five hundred", "a hundred", "three point five", "two and a half"). A
 * recogniser without a grammar writes homophones: "for" for four, "to"/"too" for two, "won" for one, "ate" for
 * eight; they count as digits where only a digit fits ("twenty for", "for hundred", "for point five") or when they
 * are nearly the whole answer ("uh for"), never inside a sentence ("for twelve people", "i need it for my team").
 * The first number in the answer wins.
 */
final class SpokenNumbers {

    static final Map<String, Integer> UNITS = Map.ofEntries(Map.entry("zero", 0), Map.entry("oh", 0),
            Map.entry("nought", 0), Map.entry("one", 1), Map.entry("two", 2), Map.entry("three", 3),
            Map.entry("four", 4), Map.entry("five", 5), Map.entry("six", 6), Map.entry("seven", 7),
            Map.entry("eight", 8), Map.entry("nine", 9));
    static final Map<String, Integer> TEENS = Map.of("ten", 10, "eleven", 11, "twelve", 12, "thirteen", 13,
            "fourteen", 14, "fifteen", 15, "sixteen", 16, "seventeen", 17, "eighteen", 18, "nineteen", 19);
    static final Map<String, Integer> TENS = Map.of("twenty", 20, "thirty", 30, "forty", 40, "fourty", 40,
            "fifty", 50, "sixty", 60, "seventy", 70, "eighty", 80, "ninety", 90);
    static final Map<String, Long> SCALES = Map.of("hundred", 100L, "thousand", 1_000L, "million", 1_000_000L,
            "billion", 1_000_000_000L, "grand", 1_000L);
    static final Map<String, Integer> HOMOPHONES = Map.of("for", 4, "fore", 4, "to", 2, "too", 2, "won", 1,
            "ate", 8, "tree", 3, "free", 3, "sex", 6, "nein", 9);
    private static final Set<String> FILLERS = Set.of("uh", "um", "er", "erm", "ah", "hmm", "about", "around",
            "maybe", "like", "roughly", "approximately", "just", "only", "i", "think", "say", "id", "its", "it",
            "is", "well", "oh", "so", "probably");

    private SpokenNumbers() {
    }

    static Optional<BigDecimal> extract(String text) {
        List<String> t = Words.tokens(text);
        boolean shortAnswer = t.stream().filter(w -> !FILLERS.contains(w)).count() <= 1;
        for (int i = 0; i < t.size(); i++) {
            if (starts(t, i, shortAnswer)) {
                Optional<BigDecimal> n = parse(t, i, shortAnswer);
                if (n.isPresent()) {
                    return n;
                }
            }
        }
        return Optional.empty();
    }

    private static boolean starts(List<String> t, int i, boolean shortAnswer) {
        String w = t.get(i);
        if (isDigits(w) || UNITS.containsKey(w) && !w.equals("oh") || TEENS.containsKey(w) || TENS.containsKey(w)) {
            return true;
        }
        if (w.equals("a") && i + 1 < t.size() && SCALES.containsKey(t.get(i + 1)) && !t.get(i + 1).equals("grand")) {
            return true;
        }
        if (w.equals("dozen") || w.equals("oh") && shortAnswer) {
            return true;
        }
        return homophone(t, i, shortAnswer);
    }

    /** A homophone counts where only a digit fits: alone, after a tens word, or before a scale or "point". */
    private static boolean homophone(List<String> t, int i, boolean shortAnswer) {
        if (!HOMOPHONES.containsKey(t.get(i))) {
            return false;
        }
        String next = i + 1 < t.size() ? t.get(i + 1) : "";
        return shortAnswer || i > 0 && TENS.containsKey(t.get(i - 1))
                || SCALES.containsKey(next) && !next.equals("grand") || next.equals("point");
    }

    private static boolean numberWord(List<String> t, int i) {
        if (i < 0 || i >= t.size()) {
            return false;
        }
        String w = t.get(i);
        return isDigits(w) || UNITS.containsKey(w) && !w.equals("oh") || TEENS.containsKey(w) || TENS.containsKey(w)
                || SCALES.containsKey(w) && !w.equals("grand");
    }

    static boolean isDigits(String w) {
        return w.matches("\\d+(\\.\\d+)?(st|nd|rd|th)?");
    }

    /** Parses the number starting at {@code from}; empty if the words there are not one. */
    private static Optional<BigDecimal> parse(List<String> t, int from, boolean shortAnswer) {
        BigDecimal total = BigDecimal.ZERO;
        BigDecimal current = BigDecimal.ZERO;
        int last = 0; // 0 nothing, 1 unit, 2 teen, 3 tens, 4 scale, 5 digits
        boolean any = false;
        int i = from;
        for (; i < t.size(); i++) {
            String w = t.get(i);
            Integer homophone = HOMOPHONES.get(w);
            boolean homophoneHere = homophone(t, i, shortAnswer);
            if (isDigits(w)) {
                if (last != 0 && last != 4) {
                    break;
                }
                current = current.add(new BigDecimal(w.replaceAll("[a-z]", "")));
                last = 5;
            } else if (UNITS.containsKey(w) || homophoneHere) {
                int v = homophoneHere ? homophone : UNITS.get(w);
                if (w.equals("oh") && last == 0 && !shortAnswer || last == 1 || last == 2 || last == 5) {
                    break;
                }
                current = current.add(BigDecimal.valueOf(v));
                last = 1;
            } else if (TEENS.containsKey(w)) {
                if (last == 1 || last == 2 || last == 3 || last == 5) {
                    break;
                }
                current = current.add(BigDecimal.valueOf(TEENS.get(w)));
                last = 2;
            } else if (TENS.containsKey(w)) {
                if (last == 1 || last == 2 || last == 3 || last == 5) {
                    break;
                }
                current = current.add(BigDecimal.valueOf(TENS.get(w)));
                last = 3;
            } else if (w.equals("a") && last == 0 && i + 1 < t.size() && SCALES.containsKey(t.get(i + 1))) {
                current = BigDecimal.ONE;
                last = 1;
                continue;
            } else if (w.equals("dozen")) {
                current = (any ? current : BigDecimal.ONE).multiply(BigDecimal.valueOf(12));
                last = 4;
            } else if (SCALES.containsKey(w) && (last != 0)) {
                long scale = SCALES.get(w);
                if (scale == 100) {
                    current = (current.signum() == 0 ? BigDecimal.ONE : current).multiply(BigDecimal.valueOf(100));
                } else {
                    total = total.add((current.signum() == 0 ? BigDecimal.ONE : current).multiply(BigDecimal.valueOf(scale)));
                    current = BigDecimal.ZERO;
                }
                last = 4;
            } else if (w.equals("and") && any && i + 1 < t.size() && (numberWord(t, i + 1)
                    || t.get(i + 1).equals("a") && i + 2 < t.size() && t.get(i + 2).equals("half"))) {
                if (t.get(i + 1).equals("a")) {
                    current = current.add(new BigDecimal("0.5"));
                    i += 2;
                    break;
                }
                continue;
            } else if (w.equals("point") && any && i + 1 < t.size()) {
                StringBuilder digits = new StringBuilder();
                int j = i + 1;
                for (; j < t.size(); j++) {
                    Integer d = UNITS.get(t.get(j));
                    if (d == null && HOMOPHONES.containsKey(t.get(j)) && digits.length() > 0) {
                        d = HOMOPHONES.get(t.get(j));
                    }
                    if (d == null && t.get(j).matches("\\d+")) {
                        digits.append(t.get(j));
                        continue;
                    }
                    if (d == null) {
                        break;
                    }
                    digits.append(d);
                }
                if (digits.length() > 0) {
                    current = current.add(new BigDecimal("0." + digits));
                }
                i = j;
                any = true;
                break;
            } else {
                break;
            }
            any = true;
        }
        return any ? Optional.of(total.add(current).stripTrailingZeros().max(BigDecimal.ZERO))
                .map(n -> n.scale() < 0 ? n.setScale(0) : n) : Optional.empty();
    }

    /** The words a spoken number is made of, to bias the recogniser. */
    static List<String> vocabulary() {
        var out = new java.util.TreeSet<String>();
        out.addAll(UNITS.keySet());
        out.addAll(TEENS.keySet());
        out.addAll(TENS.keySet());
        out.addAll(SCALES.keySet());
        out.addAll(List.of("and", "a", "point", "half", "dozen"));
        out.remove("fourty");
        return List.copyOf(out);
    }
}
