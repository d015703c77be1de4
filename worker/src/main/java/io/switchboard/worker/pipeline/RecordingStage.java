package io.switchboard.worker.pipeline;

import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.recordings.RecordingStore;

/** Assembles the call's audio segments into one WAV object and records its size and SHA-256. */
public final class RecordingStage implements PipelineStage {

    private final CallService calls;

    public RecordingStage(CallService calls) {
        this.calls = calls;
    }

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public Result run(CallJob job) {
        Call c = job.call();
        if (c.recording().isPresent()) {
            return Result.done("already assembled: " + c.recording().get().key());
        }
        int segments = calls.segments(c.organizationId(), c.id());
        RecordingStore.Assembled a = calls.recordings().assemble(c.organizationId(), c.id(), c.format(), segments,
                c.audioBytes());
        job.context().checkpoint();
        calls.recordRecording(c.organizationId(), c.id(), a);
        calls.recordings().deleteSegments(c.organizationId(), c.id(), segments);
        return Result.done(a.bytes() + " bytes from " + segments + " segments, sha256 " + a.sha256());
    }
}
