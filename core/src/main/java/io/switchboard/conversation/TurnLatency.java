package io.switchboard.conversation;

/**
 * Where the time of one agent reply went, in milliseconds, from the caller's last voiced audio to the agent's
 * first audio handed to the transport (the anchors' own span: Pipecat's and Retell's end-to-end latency).
 *
 * @param endpointing     silence waited before the turn was taken to be over ({@code endpointing.min-silence},
 *                        longer mid-phrase)
 * @param recognizerFinal  the recogniser's final text after the end of the turn (0 when it was already there)
 * @param machineDetection the turn, final text and all, held for the answering-machine verdict (the callee's first
 *                         turn on an outbound call, until the detector has heard its pause; 0 otherwise)
 * @param brain           from handing the turn to the brain to its first sentence (the flow's decision, or an
 *                        LLM's first sentence)
 * @param firstAudio      from the first sentence to its first synthesised audio handed to the transport
 * @param total           all of it, from the arrival at our transport of the frame holding the caller's last voiced
 *                        audio: it also counts time that audio waited in the call's queue behind earlier audio
 *                        (total less the parts), which the call's clock, the caller's audio as handled, cannot see
 * @param callerEndMs     when the caller's last voiced audio of the turn was, in the call's time
 */
public record TurnLatency(int turn, long endpointing, long recognizerFinal, long machineDetection, long brain,
                          long firstAudio, long total, long callerEndMs) {

    @Override
    public String toString() {
        return "turn " + turn + ": " + total + " ms (endpointing " + endpointing + ", recogniser final "
                + recognizerFinal + (machineDetection > 0 ? ", machine detection " + machineDetection : "")
                + ", brain " + brain + ", first audio " + firstAudio + ")";
    }
}
