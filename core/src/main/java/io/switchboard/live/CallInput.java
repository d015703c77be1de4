package io.switchboard.live;

import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;

/** What a transport hands a {@link CallSession}, in the order it arrived. */
public sealed interface CallInput {

    /**
     * Opens the call: the first input of every session. {@code agentSpeaks}: a client asks for the call's agent to
     * talk (the carrier's calls are the platform's own, and {@link CallAgents} decides for them).
     */
    record Open(CallSpec spec, Origin origin, boolean agentSpeaks) implements CallInput {
        /** A call the agent listens to only (unless the carrier's). */
        public Open(CallSpec spec, Origin origin) {
            this(spec, origin, false);
        }
    }

    /**
     * Caller audio in the format the call declared (a WAV container's header in the first bytes). The array is
     * the transport's own, handed over without a copy: the transport must not reuse it.
     */
    record Audio(byte[] bytes) implements CallInput {
    }

    /** Keys the caller pressed. */
    record Dtmf(String digits) implements CallInput {
    }

    /** The transport played agent audio up to {@code name} (the mark of a {@link CallOutput.PlayAudio}). */
    record Mark(String name) implements CallInput {
    }

    /** The caller hung up; {@code reason} becomes the call's end reason ("hangup" when blank). */
    record End(String reason) implements CallInput {
    }

    /**
     * The carrier's answering-machine detection reached the call (outbound calls): who picked up. {@code value} is
     * the carrier's own word for it (Twilio's {@code AnsweredBy}: {@code human}, {@code machine_start},
     * {@code machine_end_beep}, {@code machine_end_silence}, {@code machine_end_other}, {@code fax}, {@code unknown}).
     */
    record AnsweredBy(Answerer answerer, String value) implements CallInput {

        public enum Answerer {
            HUMAN,
            /** A machine, its greeting still playing. */
            MACHINE,
            /** A machine whose greeting is over (its beep, or silence): a message can be left now. */
            MACHINE_MESSAGE_END,
            FAX,
            UNKNOWN
        }

        /** Twilio's {@code AnsweredBy} value; anything else is {@link Answerer#UNKNOWN}. */
        public static AnsweredBy twilio(String value) {
            String v = value == null ? "" : value.strip();
            Answerer a = switch (v) {
                case "human" -> Answerer.HUMAN;
                case "machine_start" -> Answerer.MACHINE;
                case "machine_end_beep", "machine_end_silence", "machine_end_other" -> Answerer.MACHINE_MESSAGE_END;
                case "fax" -> Answerer.FAX;
                default -> Answerer.UNKNOWN;
            };
            return new AnsweredBy(a, v.length() > 40 ? v.substring(0, 40) : v);
        }
    }
}
