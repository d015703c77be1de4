package io.switchboard.conversation.brain;

/** Where a {@link Brain}'s reply goes; may be called from another thread (an LLM streams). */
public interface ReplySink {

    /** One sentence, synthesised as it comes. */
    void say(String sentence);

    /** A captured variable of the agent's schema, typed: Boolean, BigDecimal, LocalDate or String. */
    void setVariable(String name, Object value);

    /** Ends the call with {@code disposition}; the goodbye was already said through {@link #say}. */
    void end(String disposition);

    /** Transfers the call to {@code phoneNumber} (E.164); anything to say first was already said. */
    void transfer(String phoneNumber);

    /** Adds the caller's number to the organisation's do-not-call list, at once. */
    void addToDoNotCall();

    /**
     * Plays DTMF digits ({@code 0-9 * #}, {@code w} = a half-second pause) to the other side, e.g. an IVR. Not
     * every call can: the default refuses.
     */
    default void sendDtmf(String digits) {
        throw new UnsupportedOperationException("this call cannot send DTMF digits");
    }

    /**
     * Texts the caller the organisation's message template {@code template} (its name or id) from {@code from} (a
     * sender number; empty for the default), now, and answers what came of it. The send passes the same checks as
     * any text (opt-out, do-not-call, consent, calling window, WhatsApp window) and is recorded on the call as a
     * follow-up of {@code nodeId} (the flow node asking; empty for an LLM tool); a template is texted at most once
     * per call. Blocks while the text is queued (a few milliseconds). Not every call can text: the default refuses.
     */
    default SmsResult sendSms(String template, String from, String nodeId) {
        return SmsResult.refused("unavailable", "this call cannot send texts");
    }

    /** This reply is complete. */
    void done();
}
