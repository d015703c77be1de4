package io.switchboard.agents;

/**
 * How an agent conducts a live call, beside its prompt and voice: its flow, what it leaves on an answering
 * machine, where it transfers a caller who asks for a person, and its timing.
 *
 * @param voicemailMessage said after an answering machine's beep (templated); empty to hang up instead
 * @param transferNumber   E.164 number for "a real person"; empty when the agent has none
 */
public record Conduct(Flow flow, String voicemailMessage, String transferNumber, Timing timing) {

    public static final Conduct NONE = new Conduct(Flow.NONE, "", "", Timing.DEFAULTS);

    public Conduct {
        flow = flow == null ? Flow.NONE : flow;
        voicemailMessage = voicemailMessage == null ? "" : voicemailMessage;
        transferNumber = transferNumber == null ? "" : transferNumber;
        timing = timing == null ? Timing.DEFAULTS : timing;
    }
}
