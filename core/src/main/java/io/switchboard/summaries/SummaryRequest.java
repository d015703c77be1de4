package io.switchboard.summaries;

import java.util.List;
import java.util.Objects;

import io.switchboard.agents.CaptureVariable;

/**
 * Everything a summariser may use for one call: the transcript, the agent's summary instructions and
 * capture-variable schema, and the campaign's disposition codes (empty when the campaign defines none).
 */
public record SummaryRequest(List<Utterance> transcript, String instructions, List<CaptureVariable> variables,
                             List<String> dispositionCodes) {

    public SummaryRequest {
        transcript = List.copyOf(transcript);
        instructions = Objects.requireNonNullElse(instructions, "");
        variables = List.copyOf(variables);
        dispositionCodes = List.copyOf(dispositionCodes);
    }
}
