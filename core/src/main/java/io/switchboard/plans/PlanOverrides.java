package io.switchboard.plans;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** Per-organisation contract terms on top of an Enterprise plan; only present fields override. */
public record PlanOverrides(OptionalInt maxConcurrentCalls, OptionalInt maxAgents, OptionalInt maxCampaigns,
                            OptionalDouble apiRequestsPerSecond, OptionalInt apiBurst,
                            Map<DataClass, RetentionPeriod> retention) {

    public static final PlanOverrides NONE = new PlanOverrides(OptionalInt.empty(), OptionalInt.empty(),
            OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.empty(), Map.of());

    public PlanOverrides {
        retention = Map.copyOf(retention);
    }

    public boolean isEmpty() {
        return this.equals(NONE);
    }

    public PlanLimits applyTo(PlanLimits base) {
        return new PlanLimits(
                maxConcurrentCalls.orElse(base.maxConcurrentCalls()),
                maxAgents.orElse(base.maxAgents()),
                maxCampaigns.orElse(base.maxCampaigns()),
                apiRequestsPerSecond.orElse(base.apiRequestsPerSecond()),
                apiBurst.orElse(base.apiBurst()));
    }

    public Map<DataClass, RetentionPeriod> applyTo(Map<DataClass, RetentionPeriod> base) {
        Map<DataClass, RetentionPeriod> out = new EnumMap<>(base);
        out.putAll(retention);
        return out;
    }

    public Optional<RetentionPeriod> retentionFor(DataClass c) {
        return Optional.ofNullable(retention.get(c));
    }
}
