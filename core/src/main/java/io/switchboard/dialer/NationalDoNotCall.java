package io.switchboard.dialer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The hook for a national do-not-call registry (the US National DNC Registry, the UK TPS, ...), checked
 * before every campaign call in addition to the organisation's own list. The platform ships
 * {@link #none()} and {@link #fromFiles}, the registry's subscriber download loaded into memory; a deployment
 * that scrubs through a vendor's API implements this interface instead.
 */
public interface NationalDoNotCall {

    /** Whether {@code e164} is registered; must be fast and must not throw for a number it does not know. */
    boolean listed(String e164);

    /** A short name for refusal records, e.g. {@code us-national-dnc (3 files, 12,345 numbers)}. */
    String describe();

    static NationalDoNotCall none() {
        return new NationalDoNotCall() {
            @Override
            public boolean listed(String e164) {
                return false;
            }

            @Override
            public String describe() {
                return "none";
            }
        };
    }

    /**
     * Loads every {@code *.txt} / {@code *.csv} file of {@code dir}: one number per line, either E.164
     * ({@code +14155550123}) or the registry download's national ten digits ({@code 4155550123},
     * {@code 415,5550123}, {@code 415-555-0123}), taken in {@code countryCode}. Blank lines and lines starting
     * with {@code #} are skipped; a line that is no number fails the load, naming file and line.
     */
    static NationalDoNotCall fromFiles(Path dir, String countryCode) {
        Set<String> numbers = new HashSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches("(?i).*\\.(txt|csv)$")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the national do-not-call directory " + dir, e);
        }
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f, e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String digits = line.replaceAll("[\\s,\\-().]", "");
                if (digits.matches("\\+[1-9][0-9]{6,14}")) {
                    numbers.add(digits);
                } else if (digits.matches("[0-9]{4,14}")) {
                    numbers.add("+" + countryCode + digits);
                } else {
                    throw new IllegalArgumentException(f + " line " + (i + 1) + ": not a phone number: '"
                            + (line.length() > 40 ? line.substring(0, 40) + "…" : line) + "'");
                }
            }
        }
        String description = "national do-not-call files in " + dir + " (" + files.size() + " files, "
                + numbers.size() + " numbers)";
        return new NationalDoNotCall() {
            @Override
            public boolean listed(String e164) {
                return numbers.contains(e164);
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }
}
