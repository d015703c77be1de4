package io.switchboard.plans;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

import io.switchboard.common.Violations;

/** Per-organisation contract terms on top of an Enterprise plan; only present fields override. */
public record PlanOverrides(OptionalInt maxConcurrentCalls, OptionalInt maxAgents, OptionalInt maxCampaigns,
                            OptionalDouble apiRequestsPerSecond, OptionalInt apiBurst,
                            Map<DataClass, RetentionPeriod> retention) {

    public static final PlanOverrides NONE = new PlanOverrides(OptionalInt.empty(), OptionalInt.empty(),
            OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.empty(), Map.of());

    public PlanOverrides {
        retention = Map.copyOf(retention);
    }

    /**
     * Overrides as a client sends them, before validation: a retention rule may lack its class or
     * period, name a class twice, or carry text that is no period. {@link #validate()} reports every such
     * problem under the API's field names ({@code overrides.retention[0].period}), so bad terms never
     * reach the database, where they would break every later policy lookup of the organisation.
     */
    public record Input(OptionalInt maxConcurrentCalls, OptionalInt maxAgents, OptionalInt maxCampaigns,
                        OptionalDouble apiRequestsPerSecond, OptionalInt apiBurst, List<Rule> retention) {

        /** One retention rule; the period is ISO 8601 or "unlimited". */
        public record Rule(Optional<DataClass> dataClass, Optional<String> period) {
        }

        public Input {
            retention = List.copyOf(retention);
        }

        public PlanOverrides validate() {
            Violations v = new Violations();
            nonNegative(v, "overrides.max_concurrent_calls", maxConcurrentCalls);
            nonNegative(v, "overrides.max_agents", maxAgents);
            nonNegative(v, "overrides.max_campaigns", maxCampaigns);
            apiRequestsPerSecond.ifPresent(r -> {
                if (!(r > 0) || Double.isInfinite(r)) {
                    v.add("overrides.api_requests_per_second", "must be a positive number");
                }
            });
            apiBurst.ifPresent(b -> {
                if (b < 1) {
                    v.add("overrides.api_burst", "must be at least 1");
                }
            });
            Map<DataClass, RetentionPeriod> periods = new EnumMap<>(DataClass.class);
            Set<DataClass> seen = EnumSet.noneOf(DataClass.class);
            for (int i = 0; i < retention.size(); i++) {
                Rule rule = retention.get(i);
                String at = "overrides.retention[" + i + "]";
                if (rule.dataClass().isEmpty()) {
                    v.add(at + ".data_class", "is required");
                } else if (!seen.add(rule.dataClass().get())) {
                    v.add(at + ".data_class", rule.dataClass().get().configKey() + " appears more than once");
                }
                RetentionPeriod period = null;
                try {
                    period = RetentionPeriod.parse(rule.period().orElse(""));
                } catch (IllegalArgumentException e) {
                    v.add(at + ".period", e.getMessage());
                }
                if (period != null && rule.dataClass().isPresent()) {
                    periods.put(rule.dataClass().get(), period);
                }
            }
            v.throwIfAny();
            return new PlanOverrides(maxConcurrentCalls, maxAgents, maxCampaigns, apiRequestsPerSecond, apiBurst,
                    periods);
        }

        private static void nonNegative(Violations v, String field, OptionalInt value) {
            if (value.isPresent() && value.getAsInt() < 0) {
                v.add(field, "must not be negative");
            }
        }
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
