package io.switchboard.agents;

import java.util.HashSet;
import java.util.IllformedLocaleException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import io.switchboard.common.Violations;

/** The rules an agent configuration must satisfy; field names follow the API ({@code agent.variables[2].name}). */
final class AgentValidation {

    static final int MAX_VARIABLES = 100;
    private static final Pattern VARIABLE_NAME = Pattern.compile("^[a-z][a-z0-9_]{0,63}$");

    private AgentValidation() {
    }

    static void validate(AgentSpec s, Violations v, TextingCatalog texting) {
        v.requireText("agent.name", s.name(), 200);
        validateLanguage(s.language(), v);
        v.maxLength("agent.system_prompt", s.systemPrompt(), 100_000);
        v.maxLength("agent.first_message", s.firstMessage(), 10_000);
        v.maxLength("agent.voice", s.voice(), 200);
        v.maxLength("agent.summary_instructions", s.summaryInstructions(), 20_000);
        validateVariables(s.variables(), v);
        FlowValidation.validate(s, v, texting);
    }

    private static void validateLanguage(String tag, Violations v) {
        if (tag == null || tag.isBlank()) {
            v.add("agent.language", "is required, as a BCP 47 tag such as en-US");
            return;
        }
        try {
            Locale l = new Locale.Builder().setLanguageTag(tag).build();
            if (l.getLanguage().isEmpty()) {
                v.add("agent.language", "'" + tag + "' names no language");
            }
        } catch (IllformedLocaleException e) {
            v.add("agent.language", "'" + tag + "' is not a BCP 47 language tag (e.g. en-US)");
        }
    }

    private static void validateVariables(List<CaptureVariable> vars, Violations v) {
        if (vars.size() > MAX_VARIABLES) {
            v.add("agent.variables", "at most " + MAX_VARIABLES + " variables (got " + vars.size() + ")");
            return;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < vars.size(); i++) {
            CaptureVariable c = vars.get(i);
            String f = "agent.variables[" + i + "]";
            if (c.name() == null || !VARIABLE_NAME.matcher(c.name()).matches()) {
                v.add(f + ".name", "must be snake_case: a lowercase letter, then letters, digits or _ (at most 64)");
            } else if (!seen.add(c.name())) {
                v.add(f + ".name", "'" + c.name() + "' is used twice");
            }
            if (c.type() == null) {
                v.add(f + ".type", "is required (string, number, boolean, date or enum)");
            } else if (c.type() == CaptureVariable.Type.ENUM) {
                if (c.enumValues().isEmpty()) {
                    v.add(f + ".enum_values", "an enum variable needs at least one value");
                } else if (new HashSet<>(c.enumValues()).size() != c.enumValues().size()) {
                    v.add(f + ".enum_values", "values must be distinct");
                } else if (c.enumValues().stream().anyMatch(x -> x == null || x.isBlank() || x.length() > 100)) {
                    v.add(f + ".enum_values", "values must be non-empty and at most 100 characters");
                }
            } else if (!c.enumValues().isEmpty()) {
                v.add(f + ".enum_values", "only enum variables take values");
            }
            v.maxLength(f + ".description", c.description(), 2000);
        }
    }
}
