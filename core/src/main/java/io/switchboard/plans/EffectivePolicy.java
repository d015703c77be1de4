package io.switchboard.plans;

import java.time.Period;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;

/**
 * The policy in force for one organisation: its plan, then its contract overrides, then the minimums
 * HIPAA mode imposes (audit entries kept at least six years).
 */
public record EffectivePolicy(UUID organizationId, String planId, PlanLimits limits,
                              Map<DataClass, RetentionPeriod> retention, boolean hipaaMode) {

    public static final RetentionPeriod HIPAA_MIN_AUDIT = RetentionPeriod.of(Period.ofYears(6));

    public EffectivePolicy {
        retention = Map.copyOf(retention);
    }

    public static EffectivePolicy compute(UUID organizationId, Plan plan, PlanOverrides overrides, boolean hipaaMode) {
        Map<DataClass, RetentionPeriod> retention = new EnumMap<>(overrides.applyTo(plan.retention()));
        if (hipaaMode && !retention.get(DataClass.AUDIT_LOG).atLeast(HIPAA_MIN_AUDIT)) {
            retention.put(DataClass.AUDIT_LOG, HIPAA_MIN_AUDIT);
        }
        return new EffectivePolicy(organizationId, plan.id(), overrides.applyTo(plan.limits()), retention, hipaaMode);
    }

    public RetentionPeriod retention(DataClass c) {
        return retention.get(c);
    }
}
