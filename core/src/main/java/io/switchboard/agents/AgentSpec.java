package io.switchboard.agents;

import java.util.List;

/** The configurable part of an agent, as a client sends it on create or update. */
public record AgentSpec(String name, String language, String systemPrompt, String firstMessage, String voice,
                        String summaryInstructions, List<CaptureVariable> variables) {

    public AgentSpec {
        variables = List.copyOf(variables);
    }
}
