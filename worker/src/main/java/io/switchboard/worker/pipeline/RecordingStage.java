package io.switchboard.worker.pipeline;

import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.recordings.RecordingStore;

/** Assembles the call's audio segments into one WAV object and records its size and SHA-256. */
public final class RecordingStage implements PipelineStage {

    private final CallService calls;
    private final RecordingStore recordings;

    public RecordingStage(CallService calls, RecordingStore recordings) {
        this.calls = calls;
        this.recordings = recordings;
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
        RecordingStore.Assembled a = recordings.assemble(c.organizationId(), c.id(), c.format(), segments,
                c.audioBytes());
        job.context().checkpoint();
        calls.recordRecording(c.organizationId(), c.id(), a);
        recordings.deleteSegments(c.organizationId(), c.id(), segments);
        return Result.done(a.bytes() + " bytes from " + segments + " segments, sha256 " + a.sha256());
    }
}
