package io.switchboard.conversation;

import java.util.Map;
import java.util.Optional;

import io.switchboard.calls.Call;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.conversation.greeting.PreparedGreeting;

/**
 * What a {@link ConversationEngine} reads and keeps of its call: the conversation the brain starts from, the agent's
 * spoken turns, the captured variables and disposition as they are decided (so the post-call summariser only
 * summarises), the do-not-call request, the texts the agent sends, and each reply's latency. Called from the engine's threads, never the
 * session's.
 */
public interface ConversationRecords {

    /** The agent version the call pinned, the contact's fields, the campaign's codes, the organisation's mode. */
    Conversation conversation(Call call);

    /**
     * The greeting synthesised for this call while it rang (a campaign call's dialer leaves one), taken: a second
     * read finds none. Empty when there is none; the engine then synthesises the greeting itself.
     */
    default Optional<PreparedGreeting> preparedGreeting(Call call) {
        return Optional.empty();
    }

    /**
     * One sentence the agent spoke (text as said; when {@code interrupted}, what was played before the caller cut
     * it), at {@code [startMs, endMs)} of the call; {@code seq} counts the agent's sentences from 0.
     */
    void agentTurn(Call call, int seq, long startMs, long endMs, String text, boolean interrupted);

    /** The variables captured so far and the disposition, once decided. */
    void outcome(Call call, Map<String, Object> variables, Optional<String> disposition);

    /** The caller asked not to be called again: their number goes on the organisation's list at once. */
    void doNotCall(Call call);

    /**
     * Texts the call's person template {@code template} for the brain ({@link ReplySink#sendSms}) and records it
     * on the call; by default there is no messaging and the text is refused.
     */
    default SmsResult sendSms(Call call, String template, String from, String nodeId) {
        return SmsResult.refused("unavailable", "texts cannot be sent from this deployment's calls");
    }

    /** One reply's latency and its parts. */
    void latency(Call call, TurnLatency latency);

    /** What the conversation used, once, when the call ends. */
    void usage(Call call, ConversationUsage used);
}
