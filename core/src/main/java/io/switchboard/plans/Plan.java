package io.switchboard.plans;

import java.util.EnumMap;
import java.util.Map;

/** One tier of the plan catalog. */
public record Plan(String id, String displayName, PlanLimits limits, Map<DataClass, RetentionPeriod> retention,
                   boolean hipaaAllowed) {

    public Plan {
        for (DataClass c : DataClass.values()) {
            if (!retention.containsKey(c)) {
                throw new IllegalArgumentException("plan " + id + " has no retention for " + c.configKey());
            }
        }
        retention = Map.copyOf(new EnumMap<>(retention));
    }
}
