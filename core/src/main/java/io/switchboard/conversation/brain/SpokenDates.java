package io.switchboard.conversation.brain;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.Month;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Reads a date from an answer, relative to the call's date in the contact's time zone: "today", "tomorrow", "the day
 * after tomorrow", "in three days", "in two weeks", "next week"; weekdays ("friday", "this friday", "on friday" are
 * the coming one; "next friday" too, unless that is at most two days away, then the one a week later); dates with a
 * month ("the twenty first of march", "march twenty first", "21st of march", "march 21", "3/21", "2027-03-21"),
 * this year or, once past, next year; and a bare day of the month ("on the fifth"), this month or next.
 */
final class SpokenDates {

    static final Map<String, Integer> ORDINALS = Map.ofEntries(Map.entry("first", 1), Map.entry("second", 2),
            Map.entry("third", 3), Map.entry("fourth", 4), Map.entry("forth", 4), Map.entry("fifth", 5),
            Map.entry("sixth", 6), Map.entry("seventh", 7), Map.entry("eighth", 8), Map.entry("ninth", 9),
            Map.entry("tenth", 10), Map.entry("eleventh", 11), Map.entry("twelfth", 12), Map.entry("thirteenth", 13),
            Map.entry("fourteenth", 14), Map.entry("fifteenth", 15), Map.entry("sixteenth", 16),
            Map.entry("seventeenth", 17), Map.entry("eighteenth", 18), Map.entry("nineteenth", 19),
            Map.entry("twentieth", 20), Map.entry("thirtieth", 30));
    private static final Map<String, Month> MONTHS = months();
    private static final Map<String, DayOfWeek> WEEKDAYS = weekdays();

    private SpokenDates() {
    }

    private static Map<String, Month> months() {
        var m = new java.util.HashMap<String, Month>();
        for (Month month : Month.values()) {
            String name = month.name().toLowerCase(Locale.ROOT);
            m.put(name, month);
            m.put(name.substring(0, 3), month);
        }
        m.put("sept", Month.SEPTEMBER);
        return Map.copyOf(m);
    }

    private static Map<String, DayOfWeek> weekdays() {
        var m = new java.util.HashMap<String, DayOfWeek>();
        for (DayOfWeek d : DayOfWeek.values()) {
            String name = d.name().toLowerCase(Locale.ROOT);
            m.put(name, d);
            m.put(name + "s", d);
        }
        m.put("tues", DayOfWeek.TUESDAY);
        m.put("thurs", DayOfWeek.THURSDAY);
        return Map.copyOf(m);
    }

    static Optional<LocalDate> extract(String text, LocalDate today) {
        String raw = text == null ? "" : text.strip();
        var iso = java.util.regex.Pattern.compile("\\b(\\d{4})-(\\d{2})-(\\d{2})\\b").matcher(raw);
        if (iso.find()) {
            return date(Integer.parseInt(iso.group(1)), Integer.parseInt(iso.group(2)), Integer.parseInt(iso.group(3)));
        }
        var slash = java.util.regex.Pattern.compile("\\b(\\d{1,2})/(\\d{1,2})(?:/(\\d{2,4}))?\\b").matcher(raw);
        if (slash.find()) {
            int year = slash.group(3) == null ? today.getYear() : Integer.parseInt(slash.group(3));
            Optional<LocalDate> d = date(year < 100 ? 2000 + year : year, Integer.parseInt(slash.group(1)),
                    Integer.parseInt(slash.group(2)));
            return slash.group(3) == null ? d.map(x -> notPast(x, today)) : d;
        }
        String n = Words.normalize(raw);
        List<String> t = Words.tokens(raw);
        if (Words.containsPhrase(n, "day after tomorrow")) {
            return Optional.of(today.plusDays(2));
        }
        if (t.contains("tomorrow") || t.contains("tmrw")) {
            return Optional.of(today.plusDays(1));
        }
        if (t.contains("today") || Words.containsPhrase(n, "this afternoon") || Words.containsPhrase(n, "tonight")
                || Words.containsPhrase(n, "this evening")) {
            return Optional.of(today);
        }
        if (t.contains("yesterday")) {
            return Optional.of(today.minusDays(1));
        }
        for (int i = 0; i < t.size(); i++) {
            Month month = MONTHS.get(t.get(i));
            if (month != null && !(t.get(i).equals("may") && !dayNear(t, i))) {
                int at = i;
                Optional<Integer> day = dayAfter(t, at + 1).or(() -> dayBefore(t, at));
                if (day.isPresent()) {
                    Optional<Integer> year = yearAfter(t, i + 1);
                    Optional<LocalDate> d = date(year.orElse(today.getYear()), month.getValue(), day.get());
                    return year.isPresent() ? d : d.map(x -> notPast(x, today));
                }
            }
        }
        for (int i = 0; i < t.size(); i++) {
            DayOfWeek dow = WEEKDAYS.get(t.get(i));
            if (dow != null) {
                int ahead = (dow.getValue() - today.getDayOfWeek().getValue() + 7) % 7;
                if (ahead == 0) {
                    ahead = 7;
                }
                if (i > 0 && t.get(i - 1).equals("next") && ahead <= 2) {
                    ahead += 7;
                }
                return Optional.of(today.plusDays(ahead));
            }
        }
        int in = t.indexOf("in");
        if (in >= 0 && in + 1 < t.size()) {
            for (int j = in + 1; j < Math.min(t.size(), in + 5); j++) {
                String unit = t.get(j);
                if (unit.startsWith("day") || unit.startsWith("week") || unit.startsWith("month")) {
                    String amount = String.join(" ", t.subList(in + 1, j));
                    long k = amount.equals("a") || amount.equals("one") || amount.equals("a couple of") ? 1
                            : amount.equals("a couple") || amount.equals("couple of") ? 2
                            : SpokenNumbers.extract(amount).map(BigDecimal::longValue).orElse(-1L);
                    if (amount.contains("couple")) {
                        k = 2;
                    }
                    if (k > 0) {
                        return Optional.of(unit.startsWith("day") ? today.plusDays(k)
                                : unit.startsWith("week") ? today.plusWeeks(k) : today.plusMonths(k));
                    }
                }
            }
        }
        if (Words.containsPhrase(n, "next week")) {
            return Optional.of(today.plusWeeks(1));
        }
        if (Words.containsPhrase(n, "next month")) {
            return Optional.of(today.plusMonths(1));
        }
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i).equals("the") || t.get(i).equals("on")) {
                Optional<Integer> day = dayAfter(t, i + 1);
                if (day.isPresent() && ordinalAt(t, i + 1)) {
                    LocalDate thisMonth = today.withDayOfMonth(1);
                    for (int k = 0; k < 3; k++) {
                        Optional<LocalDate> d = date(thisMonth.getYear(), thisMonth.getMonthValue(), day.get());
                        if (d.isPresent() && !d.get().isBefore(today)) {
                            return d;
                        }
                        thisMonth = thisMonth.plusMonths(1);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static LocalDate notPast(LocalDate d, LocalDate today) {
        return d.isBefore(today) ? d.plusYears(1) : d;
    }

    private static Optional<LocalDate> date(int year, int month, int day) {
        try {
            return Optional.of(LocalDate.of(year, month, day));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    private static boolean dayNear(List<String> t, int i) {
        return dayAfter(t, i + 1).isPresent() || dayBefore(t, i).isPresent();
    }

    private static boolean ordinalAt(List<String> t, int i) {
        if (i >= t.size()) {
            return false;
        }
        String w = t.get(i);
        return ORDINALS.containsKey(w) || w.matches("\\d{1,2}(st|nd|rd|th)")
                || SpokenNumbers.TENS.containsKey(w) && i + 1 < t.size() && ORDINALS.containsKey(t.get(i + 1));
    }

    /** A day of the month starting at {@code i} ("the twenty first", "21st", "twenty one", "3"). */
    private static Optional<Integer> dayAfter(List<String> t, int i) {
        if (i < t.size() && t.get(i).equals("the")) {
            i++;
        }
        if (i >= t.size()) {
            return Optional.empty();
        }
        String w = t.get(i);
        Integer v = null;
        if (w.matches("\\d{1,2}(st|nd|rd|th)?")) {
            v = Integer.parseInt(w.replaceAll("[a-z]", ""));
        } else if (ORDINALS.containsKey(w)) {
            v = ORDINALS.get(w);
        } else if (SpokenNumbers.TENS.containsKey(w)) {
            v = SpokenNumbers.TENS.get(w);
            if (i + 1 < t.size()) {
                String u = t.get(i + 1);
                Integer unit = ORDINALS.containsKey(u) && ORDINALS.get(u) < 10 ? ORDINALS.get(u)
                        : SpokenNumbers.UNITS.get(u);
                if (unit != null && unit > 0) {
                    v += unit;
                }
            }
        } else if (SpokenNumbers.UNITS.containsKey(w) && !w.equals("oh") && !w.equals("zero")) {
            v = SpokenNumbers.UNITS.get(w);
        } else if (SpokenNumbers.TEENS.containsKey(w)) {
            v = SpokenNumbers.TEENS.get(w);
        }
        return v != null && v >= 1 && v <= 31 ? Optional.of(v) : Optional.empty();
    }

    /** A day of the month ending just before the month word at {@code monthAt} ("twenty first of march"). */
    private static Optional<Integer> dayBefore(List<String> t, int monthAt) {
        int end = monthAt;
        if (end > 0 && t.get(end - 1).equals("of")) {
            end--;
        }
        for (int start = Math.max(0, end - 3); start < end; start++) {
            int from = start;
            Optional<Integer> d = dayAfter(t, from);
            if (d.isPresent() && consumed(t, from) == end) {
                return d;
            }
        }
        return Optional.empty();
    }

    /** Where the day read by {@link #dayAfter} from {@code i} ends. */
    private static int consumed(List<String> t, int i) {
        if (i < t.size() && t.get(i).equals("the")) {
            i++;
        }
        if (i < t.size() && SpokenNumbers.TENS.containsKey(t.get(i)) && i + 1 < t.size()
                && (ORDINALS.containsKey(t.get(i + 1)) && ORDINALS.get(t.get(i + 1)) < 10
                || SpokenNumbers.UNITS.containsKey(t.get(i + 1)) && SpokenNumbers.UNITS.get(t.get(i + 1)) > 0)) {
            return i + 2;
        }
        return i + 1;
    }

    private static Optional<Integer> yearAfter(List<String> t, int i) {
        for (int j = i; j < Math.min(t.size(), i + 4); j++) {
            if (t.get(j).matches("(19|20)\\d\\d")) {
                return Optional.of(Integer.parseInt(t.get(j)));
            }
        }
        return Optional.empty();
    }

    /** The words a spoken date is made of, to bias the recogniser. */
    static List<String> vocabulary() {
        var out = new TreeSet<String>();
        for (Month m : Month.values()) {
            out.add(m.name().toLowerCase(Locale.ROOT));
        }
        for (DayOfWeek d : DayOfWeek.values()) {
            out.add(d.name().toLowerCase(Locale.ROOT));
        }
        out.addAll(ORDINALS.keySet());
        out.remove("forth");
        out.addAll(SpokenNumbers.TENS.keySet());
        out.remove("fourty");
        out.addAll(List.of("today", "tomorrow", "next", "this", "week", "the", "of", "on", "in", "days", "weeks",
                "after", "day"));
        return List.copyOf(out);
    }
}
