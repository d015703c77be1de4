package io.switchboard.conversation.brain;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.agents.AgentSpec;

/**
 * What a {@link Brain} knows about one live call. Placeholder of the llm branch: the flow branch owns the real
 * record; {@code LlmBrain} reads only the accessors below.
 *
 * @param callId           identifies the call (a brain shared by calls keeps its in-flight reply per call)
 * @param hipaaMode        whether the call's organisation is in HIPAA mode
 * @param agent            system prompt, first message and the captured-variable schema
 * @param contactFields    first_name, last_name, custom fields... by name
 * @param dispositionCodes the campaign's codes; empty when the call has no campaign (any code is taken)
 * @param transferNumber   the agent's E.164 transfer number, or empty
 * @param variables        captured so far, by name (values as given to {@link ReplySink#setVariable})
 * @param history          both sides' turns so far, oldest first, the agent's as actually spoken
 * @param startedAt        when the call was answered
 */
public record Conversation(UUID callId, boolean hipaaMode, AgentSpec agent, Map<String, String> contactFields,
                           List<String> dispositionCodes, String transferNumber, Map<String, Object> variables,
                           List<Turn> history, Instant startedAt) {

    public enum Speaker { AGENT, CALLER }

    public record Turn(Speaker speaker, String text) {
    }

    public Optional<String> transfer() {
        return transferNumber == null || transferNumber.isBlank() ? Optional.empty() : Optional.of(transferNumber);
    }
}
