package io.switchboard.conversation.brain;

/** Where a {@link Brain} sends one reply. May be called from another thread (LLM streams). */
public interface ReplySink {

    /** One sentence at a time, synthesised as it comes. */
    void say(String sentence);

    /** @param value typed as the agent's schema declares ({@link io.switchboard.summaries.CapturedValue}) */
    void setVariable(String name, Object value);

    /** Ends the call; the goodbye was already said through {@link #say}. */
    void end(String disposition);

    void transfer(String phoneNumber);

    void addToDoNotCall();

    /** Plays DTMF digits ({@code 0-9 * #}, {@code w} = a half-second pause) to the other side, e.g. an IVR. */
    void sendDtmf(String digits);

    /** This reply is complete. */
    void done();
}
