package io.switchboard.testing;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.switchboard.agents.Agent;

import io.switchboard.calls.Call;
import io.switchboard.conversation.ConversationRecords;
import io.switchboard.conversation.ConversationUsage;
import io.switchboard.conversation.TurnLatency;
import io.switchboard.conversation.brain.Conversation;

/**
 * Records that keep nothing, for tests of the conversation's parts: override what the test looks at. There is no
 * conversation to start from unless one is given an agent (or {@link #conversation} is overridden).
 */
public class NoConversationRecords implements ConversationRecords {

    private final Agent agent;
    private final Map<String, String> contact;

    /** Records with no conversation to start. */
    public NoConversationRecords() {
        this(null, Map.of());
    }

    /** Records whose every call is a conversation with {@code agent}, to a contact with the fields {@code contact}. */
    public NoConversationRecords(Agent agent, Map<String, String> contact) {
        this.agent = agent;
        this.contact = contact;
    }

    @Override
    public Conversation conversation(Call call) {
        if (agent == null) {
            throw new UnsupportedOperationException("this test starts no conversation");
        }
        return new Conversation(call.id(), false, agent, contact, "", List.of(),
                ZonedDateTime.ofInstant(call.startedAt(), ZoneOffset.UTC));
    }

    @Override
    public void agentTurn(Call call, int seq, long startMs, long endMs, String text, boolean interrupted) {
    }

    @Override
    public void outcome(Call call, Map<String, Object> variables, Optional<String> disposition) {
    }

    @Override
    public void doNotCall(Call call) {
    }

    @Override
    public void latency(Call call, TurnLatency latency) {
    }

    @Override
    public void usage(Call call, ConversationUsage used) {
    }
}
