package io.switchboard.conversation.brain.llm;

import java.util.UUID;

import io.switchboard.summaries.ModelUsage;

/** Hears the tokens each model request of a call was billed, for metering (issue: "Metered: LLM tokens"). */
@FunctionalInterface
public interface TokenMeter {

    TokenMeter NONE = (organizationId, callId, usage) -> {
    };

    /** Called from the reply's thread after every completed model request that reported usage. */
    void record(UUID organizationId, UUID callId, ModelUsage usage);
}
