package io.switchboard.conversation;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.switchboard.conversation.brain.llm.TokenMeter;
import io.switchboard.summaries.ModelUsage;

/**
 * The LLM tokens of the calls in progress, by call, as the LLM brain reports them request by request (it serves
 * every call of the process), until each call's engine takes its own when the call ends.
 */
public final class LlmTokens implements TokenMeter {

    private final Map<UUID, ModelUsage> byCall = new ConcurrentHashMap<>();

    @Override
    public void record(UUID callId, ModelUsage usage) {
        byCall.merge(callId, usage, ModelUsage::plus);
    }

    /** The call's tokens so far, forgotten here. */
    public ModelUsage take(UUID callId) {
        ModelUsage u = byCall.remove(callId);
        return u == null ? ModelUsage.NONE : u;
    }
}
