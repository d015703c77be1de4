package io.switchboard.messaging;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code {{name}}} placeholders of a template body and their substitution. Names are dotted paths
 * ({@code first_name}, {@code metadata.plan}, {@code call.variables.renewal_date}); a placeholder without a
 * value refuses the whole text rather than sending a gap.
 */
public final class TemplateText {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*");

    private TemplateText() {
    }

    /** The placeholder names of {@code body}, in order; a malformed one is reported by {@link #problem}. */
    public static List<String> names(String body) {
        List<String> out = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(body);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** What is wrong with {@code body} as a template, if anything. */
    public static Optional<String> problem(String body) {
        for (String n : names(body)) {
            if (!NAME.matcher(n).matches()) {
                return Optional.of("{{" + n + "}} is not a variable name (letters, digits, '_' and '-', dotted)");
            }
        }
        String rest = PLACEHOLDER.matcher(body).replaceAll("");
        if (rest.contains("{{") || rest.contains("}}")) {
            return Optional.of("has an unbalanced '{{' or '}}'");
        }
        return Optional.empty();
    }

    /** Thrown for the first placeholder without a value. */
    public static final class Missing extends RuntimeException {
        private final String name;

        Missing(String name) {
            super("{{" + name + "}} has no value", null, false, false);
            this.name = name;
        }

        public String name() {
            return name;
        }
    }

    /** {@code body} with every placeholder replaced by its value in {@code values}. */
    public static String render(String body, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(body);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                throw new Missing(m.group(1));
            }
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }
}
