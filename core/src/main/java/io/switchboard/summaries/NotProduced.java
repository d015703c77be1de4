package io.switchboard.summaries;

/**
 * A part of a summary that the summariser did not produce, and why. {@code part} is {@code summary},
 * {@code disposition}, {@code variables} (none could be extracted) or {@code variables.<name>} (that one).
 */
public record NotProduced(String part, String reason) {

    public static final String SUMMARY = "summary";
    public static final String DISPOSITION = "disposition";
    public static final String VARIABLES = "variables";

    public static String variable(String name) {
        return VARIABLES + "." + name;
    }
}
