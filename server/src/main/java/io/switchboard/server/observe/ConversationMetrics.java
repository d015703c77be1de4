package io.switchboard.server.observe;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.service.registry.Services;
import io.switchboard.calls.Call;
import io.switchboard.conversation.ConversationRecords;
import io.switchboard.conversation.ConversationUsage;
import io.switchboard.conversation.TurnLatency;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.conversation.greeting.PreparedGreeting;

/**
 * The agents' reply latency as Prometheus histograms, {@code switchboard_conversation_turn_latency_seconds{part}}
 * with part {@code endpointing}, {@code recognizer_final}, {@code machine_detection}, {@code brain},
 * {@code first_audio} and {@code total}, beside whatever the wrapped records keep.
 */
public final class ConversationMetrics implements ConversationRecords {

    private final ConversationRecords records;
    private final MeterRegistry registry = Services.get(MeterRegistry.class);

    public ConversationMetrics(ConversationRecords records) {
        this.records = records;
    }

    @Override
    public Conversation conversation(Call call) {
        return records.conversation(call);
    }

    @Override
    public Optional<PreparedGreeting> preparedGreeting(Call call) {
        return records.preparedGreeting(call);
    }

    @Override
    public void agentTurn(Call call, int seq, long startMs, long endMs, String text, boolean interrupted) {
        records.agentTurn(call, seq, startMs, endMs, text, interrupted);
    }

    @Override
    public void outcome(Call call, Map<String, Object> variables, Optional<String> disposition) {
        records.outcome(call, variables, disposition);
    }

    @Override
    public void doNotCall(Call call) {
        records.doNotCall(call);
    }

    @Override
    public SmsResult sendSms(Call call, String template, String from, String nodeId) {
        return records.sendSms(call, template, from, nodeId);
    }

    @Override
    public void latency(Call call, TurnLatency l) {
        record("endpointing", l.endpointing());
        record("recognizer_final", l.recognizerFinal());
        record("machine_detection", l.machineDetection());
        record("brain", l.brain());
        record("first_audio", l.firstAudio());
        record("total", l.total());
        records.latency(call, l);
    }

    @Override
    public void usage(Call call, ConversationUsage used) {
        records.usage(call, used);
    }

    private void record(String part, long millis) {
        registry.getOrCreate(Timer.builder("switchboard_conversation_turn_latency").baseUnit("seconds")
                .description("An agent's reply latency, from the caller's last voiced audio to its first audio, by part")
                .tags(List.of(Tag.create("part", part)))).record(millis, TimeUnit.MILLISECONDS);
    }
}
