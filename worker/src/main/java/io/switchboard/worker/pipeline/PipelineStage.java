package io.switchboard.worker.pipeline;

/**
 * One step of the post-call pipeline. A stage does one thing to a call and knows nothing of its
 * neighbours; it must be idempotent, because a crashed job reruns the stage that was in flight.
 */
public interface PipelineStage {

    String name();

    /** Does the work; returns a short detail for the call's stage list, or throws to fail this attempt. */
    Result run(CallJob job) throws Exception;

    record Result(boolean skipped, String detail) {
        public static Result done(String detail) {
            return new Result(false, detail);
        }

        public static Result skipped(String why) {
            return new Result(true, why);
        }
    }
}
