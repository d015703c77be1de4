package io.switchboard.conversation.brain;

/**
 * Decides what the agent says on a live call: the greeting, the reply to each caller turn, a reprompt after
 * silence. Implementations may answer on another thread; every reply ends with {@link ReplySink#done()}.
 */
public interface Brain {

    /** The greeting ({@code first_message}, templated). */
    void start(Conversation c, ReplySink out);

    void onCallerTurn(Conversation c, String text, ReplySink out);

    void onSilence(Conversation c, int reprompt, ReplySink out);
}
