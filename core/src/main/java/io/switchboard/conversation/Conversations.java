package io.switchboard.conversation;

import java.util.Optional;

import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;
import io.switchboard.conversation.brain.Brain;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.FlowBrain;
import io.switchboard.conversation.brain.llm.LlmBrain;
import io.switchboard.live.AgentVoice;
import io.switchboard.live.CallAgent;
import io.switchboard.live.CallAgents;
import io.switchboard.live.CallInput;
import io.switchboard.tenancy.Principal;

/**
 * Which live calls an agent talks on, and with which brain: a client's call when its open asks for it, and the
 * carrier's calls (campaign and inbound calls the platform conducts) unless {@code carrierCalls} is off. An agent
 * with a flow is walked by the {@link FlowBrain}; one without is answered by the LLM brain when one is configured,
 * else by the flow brain (which then says the first message and listens).
 */
public final class Conversations implements CallAgents {

    private final ConversationEngine.Parts parts;
    private final boolean carrierCalls;

    public Conversations(ConversationEngine.Parts parts, boolean carrierCalls) {
        this.parts = parts;
        this.carrierCalls = carrierCalls;
    }

    /** The brain for a conversation: the flow's when the agent has one, else the LLM's when configured. */
    public static java.util.function.Function<Conversation, Brain> brains(FlowBrain flow, Optional<LlmBrain> llm) {
        return c -> {
            if (!c.agent().spec().conduct().flow().isEmpty() || llm.isEmpty()) {
                return flow;
            }
            llm.get().requireAllowed(c.hipaaMode());
            return llm.get();
        };
    }

    @Override
    public Optional<CallAgent> attach(Principal actor, CallSpec spec, AgentVoice voice) {
        return Optional.empty(); // only as opened, below
    }

    @Override
    public Optional<CallAgent> attach(Principal actor, CallInput.Open open, AgentVoice voice) {
        boolean speaks = open.origin() == Origin.CARRIER ? carrierCalls : open.agentSpeaks();
        if (!speaks) {
            return Optional.empty();
        }
        return Optional.of(new ConversationEngine(parts, voice, ConversationEngine.playRate(open.spec().sampleRate())));
    }
}
