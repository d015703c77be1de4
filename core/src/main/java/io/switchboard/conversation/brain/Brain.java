package io.switchboard.conversation.brain;

import io.switchboard.transcription.Expectation;

/**
 * Decides what the agent says on a live call. The real-time loop calls it once at the start, after each of the
 * caller's finished turns and on each silence; it answers through the {@link ReplySink}, sentence by sentence, and
 * ends each reply with {@link ReplySink#done()}. Implementations: {@link FlowBrain} (in-process, the default) and
 * {@link io.switchboard.conversation.brain.llm.LlmBrain}. Who appends the history is documented on
 * {@link Conversation}.
 */
public interface Brain {

    /** The greeting ({@code first_message}, templated) and whatever the agent says before it first listens. */
    void start(Conversation c, ReplySink out);

    /** The caller's finished turn, as the recogniser's final text. */
    void onCallerTurn(Conversation c, String text, ReplySink out);

    /**
     * Keys the caller pressed, as one entry (a {@code #} or a pause ended it; {@code #} is not included). By default
     * a turn that says so, for a brain that reads words.
     */
    default void onDtmf(Conversation c, String digits, ReplySink out) {
        onCallerTurn(c, "(pressed " + String.join(" ", digits.split("")) + " on the keypad)", out);
    }

    /**
     * The caller said nothing for the agent's {@code silence.reprompt_after}; {@code reprompt} counts these silences
     * in a row from 1. Past the agent's {@code silence.max_reprompts} the brain says goodbye and ends the call.
     */
    void onSilence(Conversation c, int reprompt, ReplySink out);

    /**
     * Stops the reply in flight for this call, if any: the caller barged in or hung up. A reply that answers on
     * the caller's thread (the flow brain) has nothing in flight.
     */
    default void cancel(Conversation c) {
    }

    /**
     * What the caller's answer to the agent's last words is likely made of, for the recogniser (asked after each
     * reply); {@link Expectation#NONE} when anything may come, as for an open question or an LLM's.
     */
    default Expectation expectation(Conversation c) {
        return Expectation.NONE;
    }
}
