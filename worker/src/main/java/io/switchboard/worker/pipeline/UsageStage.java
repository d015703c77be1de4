package io.switchboard.worker.pipeline;

import java.util.Optional;

import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.usage.UsageService;

/** Meters call time and transcribed time, each keyed by the call so a rerun bills nothing twice. */
public final class UsageStage implements PipelineStage {

    private final CallService calls;
    private final UsageService usage;

    public UsageStage(CallService calls, UsageService usage) {
        this.calls = calls;
        this.usage = usage;
    }

    @Override
    public String name() {
        return "usage";
    }

    @Override
    public Result run(CallJob job) {
        Call c = job.call();
        long callMs = Math.round(c.audioSeconds() * 1000);
        boolean transcribed = !calls.transcript(c.organizationId(), c.id()).stream().map(TranscriptSegment::text)
                .allMatch(String::isEmpty);
        long transcribedMs = transcribed ? callMs * c.format().channels() : 0;
        var at = c.endedAt().orElse(c.startedAt());
        usage.record(c.organizationId(), UsageService.Metric.CALL_MS, callMs, Optional.of(c.id()), "call:" + c.id(), at);
        usage.record(c.organizationId(), UsageService.Metric.TRANSCRIBED_MS, transcribedMs, Optional.of(c.id()),
                "transcribe:" + c.id(), at);
        return Result.done(callMs + " ms of call, " + transcribedMs + " ms transcribed");
    }
}
