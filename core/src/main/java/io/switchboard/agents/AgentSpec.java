package io.switchboard.agents;

import java.util.List;

/** The configurable part of an agent, as a client sends it on create or update. */
public record AgentSpec(String name, String language, String systemPrompt, String firstMessage, String voice,
                        String summaryInstructions, List<CaptureVariable> variables, Conduct conduct) {

    public AgentSpec {
        variables = List.copyOf(variables);
        conduct = conduct == null ? Conduct.NONE : conduct;
    }

    /** An agent with no flow, voicemail message or transfer number, and default timing. */
    public AgentSpec(String name, String language, String systemPrompt, String firstMessage, String voice,
                     String summaryInstructions, List<CaptureVariable> variables) {
        this(name, language, systemPrompt, firstMessage, voice, summaryInstructions, variables, Conduct.NONE);
    }
}
