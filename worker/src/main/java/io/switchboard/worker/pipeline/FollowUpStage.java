package io.switchboard.worker.pipeline;

import java.util.List;
import java.util.stream.Collectors;

import io.switchboard.messaging.FollowUps;

/**
 * Sends the follow-up texts the call's campaign and agent define, once the summary stage has stored its
 * disposition and captured variables. Refusals (opted out, do-not-call, ...) are recorded on the call, not
 * failures of the stage; a rerun sends nothing twice.
 */
public final class FollowUpStage implements PipelineStage {

    public static final String NAME = "follow_ups";

    private final FollowUps followUps;

    public FollowUpStage(FollowUps followUps) {
        this.followUps = followUps;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result run(CallJob job) {
        List<FollowUps.Outcome> done = followUps.run(job.call());
        if (done.isEmpty()) {
            return Result.skipped("no follow-up rule matched");
        }
        long sent = done.stream().filter(FollowUps.Outcome::sent).count();
        String refused = done.stream().filter(o -> !o.sent()).map(FollowUps.Outcome::refusal)
                .collect(Collectors.joining(", "));
        return Result.done(sent + " sent" + (refused.isEmpty() ? "" : "; refused: " + refused));
    }
}
