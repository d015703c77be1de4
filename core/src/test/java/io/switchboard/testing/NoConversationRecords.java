package io.switchboard.testing;

import java.util.Map;
import java.util.Optional;

import io.switchboard.calls.Call;
import io.switchboard.conversation.ConversationRecords;
import io.switchboard.conversation.ConversationUsage;
import io.switchboard.conversation.TurnLatency;
import io.switchboard.conversation.brain.Conversation;

/**
 * Records that keep nothing, for tests of the conversation's parts: override what the test looks at. There is no
 * conversation to start from unless {@link #conversation} is overridden.
 */
public class NoConversationRecords implements ConversationRecords {

    @Override
    public Conversation conversation(Call call) {
        throw new UnsupportedOperationException("this test starts no conversation");
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
