package io.switchboard.server.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.service.registry.Services;
import io.switchboard.calls.Call;
import io.switchboard.conversation.TurnLatency;
import io.switchboard.testing.NoConversationRecords;
import org.junit.jupiter.api.Test;

/** Each reply's latency parts reach the Prometheus histogram by part, and the wrapped records still keep them. */
class ConversationMetricsTest {

    private static Timer part(String name) {
        return Services.get(MeterRegistry.class).getOrCreate(Timer.builder("switchboard_conversation_turn_latency")
                .baseUnit("seconds").tags(List.of(Tag.create("part", name))));
    }

    @Test
    void everyPartIsRecordedTheMachineVerdictWaitAsItsOwn() {
        List<TurnLatency> kept = new ArrayList<>();
        var metrics = new ConversationMetrics(new NoConversationRecords() {
            @Override
            public void latency(Call call, TurnLatency latency) {
                kept.add(latency);
            }
        });
        List<String> parts = List.of("endpointing", "recognizer_final", "machine_detection", "brain", "first_audio",
                "total");
        long[] before = parts.stream().mapToLong(p -> part(p).count()).toArray();
        double heldBefore = part("machine_detection").totalTime(TimeUnit.MILLISECONDS);
        TurnLatency l = new TurnLatency(1, 512, 9, 180, 8, 14, 723, 4_200);
        metrics.latency(null, l);

        assertEquals(List.of(l), kept);
        for (int i = 0; i < parts.size(); i++) {
            assertEquals(before[i] + 1, part(parts.get(i)).count(), parts.get(i));
        }
        assertEquals(180, part("machine_detection").totalTime(TimeUnit.MILLISECONDS) - heldBefore, 0.5);
    }
}
