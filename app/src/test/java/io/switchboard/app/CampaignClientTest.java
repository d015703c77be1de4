package io.switchboard.app;

import static com.google.protobuf.util.Durations.fromMillis;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import io.switchboard.v1.Call;
import io.switchboard.v1.Summary;
import io.switchboard.v1.TranscriptEvent;
import io.switchboard.v1.TurnLatency;
import org.junit.jupiter.api.Test;

class CampaignClientTest {

    private static TurnLatency.Builder reply(int turn, long endpointing, long recognizer, long machine, long decision,
                                             long firstAudio, long total) {
        return TurnLatency.newBuilder().setTurn(turn).setEndpointing(fromMillis(endpointing))
                .setRecognizer(fromMillis(recognizer)).setMachineDetection(fromMillis(machine))
                .setDecision(fromMillis(decision)).setFirstAudio(fromMillis(firstAudio)).setTotal(fromMillis(total));
    }

    private static String printed(Call call) {
        var bytes = new ByteArrayOutputStream();
        CampaignClient.printCall(call, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aCallShowsBothSidesTheVariablesTheDispositionAndEachReplysLatency() {
        Call call = Call.newBuilder()
                .addTranscript(TranscriptEvent.newBuilder().setSpeaker("agent").setText("Shall I text you the details?"))
                .addTranscript(TranscriptEvent.newBuilder().setSpeaker("customer").setText("yes please"))
                .setSummary(Summary.newBuilder().setText("Agent: Shall I text you the details?\nCustomer: yes please")
                        .putVariables("wants_details", "true").putVariables("callback", "tomorrow")
                        .setDisposition("interested"))
                .addTurnLatencies(reply(1, 512, 9, 180, 8, 14, 1_205))
                .addTurnLatencies(reply(2, 512, 0, 0, 7, 15, 540)).build();
        // the summary's own lines are indented under it (the summary holds "\n", whatever the platform)
        assertEquals(String.join(System.lineSeparator(),
                "  [agent] Shall I text you the details?",
                "  [customer] yes please",
                "  summary: Agent: Shall I text you the details?",
                "           Customer: yes please",
                "  variables: callback=tomorrow, wants_details=true",
                "  disposition: interested",
                "  reply 1: 1205 ms (endpointing 512, recogniser 9, machine detection 180, decision 8, first audio 14)",
                "  reply 2: 540 ms (endpointing 512, recogniser 0, decision 7, first audio 15)", ""), printed(call));
    }

    @Test
    void aCallWithNothingCapturedSaysSo() {
        Call call = Call.newBuilder().setSummary(Summary.newBuilder().setText("")).build();
        assertEquals(String.join(System.lineSeparator(), "  summary: ", "  variables: (none captured)",
                "  disposition: (none chosen)", ""), printed(call));
    }
}
