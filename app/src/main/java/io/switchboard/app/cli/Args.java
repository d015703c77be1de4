package io.switchboard.app.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A command line split into positional words and {@code --name value} options (an option may repeat; the
 * flags listed as such take no value). Unknown options are refused by {@link #done}, so a typo is an error
 * rather than silently ignored.
 */
final class Args {

    /** Bad usage: exit status 2 and the message, with the usage of the command. */
    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    private static final Set<String> FLAGS = Set.of("--json", "--help", "-h");

    private final List<String> words = new ArrayList<>();
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final java.util.HashSet<String> read = new java.util.HashSet<>();

    Args(List<String> argv) {
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.startsWith("-") && a.length() > 1 && !isNumber(a)) {
                if (FLAGS.contains(a)) {
                    options.computeIfAbsent(a, k -> new ArrayList<>()).add("true");
                } else if (a.contains("=")) {
                    options.computeIfAbsent(a.substring(0, a.indexOf('=')), k -> new ArrayList<>())
                            .add(a.substring(a.indexOf('=') + 1));
                } else if (i + 1 < argv.size()) {
                    options.computeIfAbsent(a, k -> new ArrayList<>()).add(argv.get(++i));
                } else {
                    throw new UsageError(a + " needs a value");
                }
            } else {
                words.add(a);
            }
        }
    }

    private static boolean isNumber(String s) {
        return s.matches("-\\d+(\\.\\d+)?");
    }

    /** The {@code i}-th positional word, if present. */
    Optional<String> word(int i) {
        return i < words.size() ? Optional.of(words.get(i)) : Optional.empty();
    }

    /** The {@code i}-th positional word, or a usage error naming what it should be. */
    String required(int i, String what) {
        return word(i).orElseThrow(() -> new UsageError("missing " + what));
    }

    int words() {
        return words.size();
    }

    boolean flag(String name) {
        read.add(name);
        return options.containsKey(name);
    }

    Optional<String> option(String name) {
        read.add(name);
        List<String> v = options.get(name);
        return v == null ? Optional.empty() : Optional.of(v.getLast());
    }

    String option(String name, String otherwise) {
        return option(name).orElse(otherwise);
    }

    List<String> all(String name) {
        read.add(name);
        return options.getOrDefault(name, List.of());
    }

    int intOption(String name, int otherwise) {
        Optional<String> v = option(name);
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v.get());
        } catch (NumberFormatException e) {
            throw new UsageError(name + " needs a whole number, got '" + v.get() + "'");
        }
    }

    /** Refuses options the command did not read and positional words beyond {@code expectedWords}. */
    void done(int expectedWords) {
        for (String name : options.keySet()) {
            if (!read.contains(name)) {
                throw new UsageError("unknown option " + name);
            }
        }
        if (words.size() > expectedWords) {
            throw new UsageError("unexpected argument '" + words.get(expectedWords) + "'");
        }
    }
}
