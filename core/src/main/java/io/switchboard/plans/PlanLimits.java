package io.switchboard.plans;

/**
 * Numeric limits of a plan. {@code maxAgents} and {@code maxCampaigns} of 0 mean no limit.
 */
public record PlanLimits(int maxConcurrentCalls, int maxAgents, int maxCampaigns,
                         double apiRequestsPerSecond, int apiBurst) {

    public PlanLimits {
        if (maxConcurrentCalls < 0 || maxAgents < 0 || maxCampaigns < 0 || !(apiRequestsPerSecond > 0)
                || Double.isInfinite(apiRequestsPerSecond) || apiBurst < 1) {
            throw new IllegalArgumentException("plan limits must be non-negative, with a positive, finite request rate and burst");
        }
    }
}
