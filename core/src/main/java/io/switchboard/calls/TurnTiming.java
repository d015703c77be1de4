package io.switchboard.calls;

import java.util.List;

/**
 * What the call keeps of one agent reply's latency (milliseconds), where the caller's turn ended in the call's audio,
 * and the captured variables that turn filled.
 *
 * @param turn        the caller's turns that got a reply, counted from 1
 * @param callerEndMs the caller's last voiced audio of the turn, from the start of the call's audio
 */
public record TurnTiming(int turn, long callerEndMs, long endpointingMs, long recognizerMs, long machineDetectionMs,
                         long decisionMs, long firstAudioMs, long totalMs, List<String> variables) {

    public TurnTiming {
        variables = List.copyOf(variables);
    }
}
