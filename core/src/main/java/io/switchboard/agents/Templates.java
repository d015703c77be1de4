package io.switchboard.agents;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.switchboard.common.Violations;

/**
 * The {@code {{placeholder}}} language of what an agent says ({@code first_message}, flow texts, the voicemail
 * message). A placeholder names a contact field ({@code first_name}, {@code last_name}, {@code email},
 * {@code phone_number}, {@code external_id}, {@code time_zone}), one of the contact's custom fields
 * ({@code metadata.<key>}), {@code agent.name}, {@code campaign.name}, or, after the greeting, a captured variable
 * ({@code variables.<name>}). {@code {{first_name|there}}} says "there" when the contact has no first name. A name
 * that can never have a value is refused when the agent is saved, not discovered as silence on a call.
 */
public final class Templates {

    public static final Set<String> CONTACT_FIELDS = Set.of("first_name", "last_name", "email", "phone_number",
            "external_id", "time_zone");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}|]*?)\\s*(?:\\|([^{}]*))?}}");
    private static final Pattern METADATA_KEY = Pattern.compile("^metadata\\.[A-Za-z_][A-Za-z0-9_-]{0,63}$");

    private Templates() {
    }

    /**
     * Adds a violation on {@code field} for each placeholder that cannot have a value, and for braces that do not
     * form one; {@code variables} are the captured-variable names usable here (none in the greeting).
     */
    public static void validate(String field, String text, Set<String> variables, Violations v) {
        if (text == null || text.isEmpty()) {
            return;
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder rest = new StringBuilder();
        Set<String> reported = new HashSet<>();
        while (m.find()) {
            String name = m.group(1);
            if (!known(name, variables) && reported.add(name)) {
                v.add(field, "{{" + name + "}} " + why(name, variables));
            }
            m.appendReplacement(rest, "");
        }
        m.appendTail(rest);
        if (rest.indexOf("{{") >= 0 || rest.indexOf("}}") >= 0) {
            v.add(field, "has unbalanced {{ }}: a placeholder is {{name}} or {{name|fallback}}");
        }
    }

    private static boolean known(String name, Set<String> variables) {
        return CONTACT_FIELDS.contains(name) || METADATA_KEY.matcher(name).matches() || name.equals("agent.name")
                || name.equals("campaign.name")
                || name.startsWith("variables.") && variables.contains(name.substring("variables.".length()));
    }

    private static String why(String name, Set<String> variables) {
        if (name.startsWith("variables.")) {
            return variables.isEmpty() ? "names a captured variable, and none is captured yet here"
                    : "names no captured variable of this agent (" + String.join(", ", variables.stream().sorted()
                    .toList()) + ")";
        }
        if (name.startsWith("metadata.")) {
            return "is not a custom-field key (letters, digits, _ or -, at most 64)";
        }
        return "is not a field a contact can have; use one of " + String.join(", ", CONTACT_FIELDS.stream().sorted()
                .toList()) + ", metadata.<key>, agent.name or campaign.name";
    }

    /**
     * The text with each placeholder replaced from {@code values} (keys as in the placeholders), its fallback, or
     * nothing; spaces left around a dropped value are tidied ("Hi , Sam" → "Hi, Sam").
     */
    public static String render(String text, Map<String, String> values) {
        if (text == null || text.isEmpty()) {
            return "";
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null || value.isBlank()) {
                value = m.group(2) == null ? "" : m.group(2).strip();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString().replaceAll("[ \\t]+([,.!?;:])", "$1").replaceAll("[ \\t]{2,}", " ").strip();
    }

    /** The placeholder names in {@code text}, in order. */
    public static List<String> names(String text) {
        return PLACEHOLDER.matcher(text == null ? "" : text).results().map(r -> r.group(1)).toList();
    }
}
