package io.switchboard.plans;

import java.time.Instant;

import org.jooq.DSLContext;

/**
 * Told, inside the transaction that changes an organisation's policy (plan, overrides, HIPAA mode), what
 * the policy was and what it becomes, so expiries of data already stored follow the new policy.
 */
@FunctionalInterface
public interface RetentionReevaluation {

    RetentionReevaluation NONE = (tx, before, after, at) -> { };

    void policyChanged(DSLContext tx, EffectivePolicy before, EffectivePolicy after, Instant at);

    /**
     * The organisation's stored items were stamped under periods nobody recorded (a catalog from before
     * {@code plan_retention_applied}): re-stamps every class to {@code after}, as {@link #policyChanged} would.
     */
    default void restampAll(DSLContext tx, EffectivePolicy after, Instant at) {
    }
}
