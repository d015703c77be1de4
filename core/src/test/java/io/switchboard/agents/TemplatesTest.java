package io.switchboard.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import org.junit.jupiter.api.Test;

class TemplatesTest {

    private static List<String> problems(String text, Set<String> variables) {
        Violations v = new Violations();
        Templates.validate("agent.first_message", text, variables, v);
        return v.list().stream().map(SwitchboardException.Violation::toString).toList();
    }

    @Test
    void contactFieldsCustomFieldsAgentAndCampaignAreAccepted() {
        assertEquals(List.of(), problems("Hi {{first_name}} {{ last_name }}, {{metadata.plan}} from {{agent.name}}"
                + " ({{campaign.name}}), {{email}} {{phone_number}} {{external_id}} {{time_zone}} {{first_name|there}}",
                Set.of()));
    }

    @Test
    void fieldsThatCannotExistAreNamed() {
        List<String> p = problems("Hi {{firstname}} and {{metadata.}} and {{variables.x}} and {{firstname}}", Set.of());
        assertEquals(3, p.size(), p.toString());
        assertTrue(p.getFirst().startsWith("agent.first_message: {{firstname}} is not a field a contact can have"));
        assertEquals(List.of(), problems("{{variables.x}}", Set.of("x")));
        assertTrue(problems("Hi {first_name}} {{", Set.of()).getFirst().contains("unbalanced"));
    }

    @Test
    void renderFillsValuesFallbacksAndTidiesGaps() {
        Map<String, String> values = Map.of("first_name", "Sam", "metadata.plan", "Gold");
        assertEquals("Hi Sam, your Gold plan.", Templates.render("Hi {{first_name}}, your {{metadata.plan}} plan.", values));
        assertEquals("Hi there, welcome.", Templates.render("Hi {{last_name|there}}, welcome.", values));
        assertEquals("Hi, welcome.", Templates.render("Hi {{last_name}}, welcome.", values));
        assertEquals("Price: $5 and \\o/", Templates.render("Price: $5 and \\o/", values));
    }
}
