package io.switchboard.worker.pipeline;

import io.switchboard.calls.Call;
import io.switchboard.queue.JobContext;

/** The call a pipeline run works on, re-read before each stage so stages see each other's results. */
public record CallJob(Call call, JobContext context) {
}
