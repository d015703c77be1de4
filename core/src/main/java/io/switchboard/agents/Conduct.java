package io.switchboard.agents;

import java.util.List;

/**
 * How an agent conducts a live call, beside its prompt and voice: its flow, what it leaves on an answering
 * machine, where it transfers a caller who asks for a person, and its timing.
 *
 * @param voicemailMessage said after an answering machine's beep (templated); empty to hang up instead
 * @param transferNumber   E.164 number for "a real person"; empty when the agent has none
 * @param smsTemplates     message templates (names or ids) the LLM brain may text the caller with its
 *                         {@code send_sms} tool; empty: the tool is not offered (a flow names its own in its nodes)
 */
public record Conduct(Flow flow, String voicemailMessage, String transferNumber, Timing timing,
                      List<String> smsTemplates) {

    public static final Conduct NONE = new Conduct(Flow.NONE, "", "", Timing.DEFAULTS);

    /** A conduct whose LLM brain texts nothing. */
    public Conduct(Flow flow, String voicemailMessage, String transferNumber, Timing timing) {
        this(flow, voicemailMessage, transferNumber, timing, List.of());
    }

    public Conduct {
        flow = flow == null ? Flow.NONE : flow;
        voicemailMessage = voicemailMessage == null ? "" : voicemailMessage;
        transferNumber = transferNumber == null ? "" : transferNumber;
        timing = timing == null ? Timing.DEFAULTS : timing;
        smsTemplates = smsTemplates == null ? List.of() : List.copyOf(smsTemplates);
    }
}
