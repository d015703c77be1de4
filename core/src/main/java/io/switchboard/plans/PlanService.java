package io.switchboard.plans;

import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.PLAN_CHANGES;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.db.tables.records.OrganizationsRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Which plan an organisation is on, its contract overrides, and the policy that follows. Every change
 * is written to {@code plan_changes} and reported to the audit sink.
 */
public final class PlanService {

    /** An organisation's plan, its overrides and the history of changes, newest first. */
    public record OrganizationPlan(UUID organizationId, Plan plan, PlanOverrides overrides, List<PlanChange> history) {
    }

    public record PlanChange(Optional<String> fromPlanId, String toPlanId, PlanOverrides overrides,
                             Optional<UUID> actorApiKeyId, Instant at) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanCatalog catalog;
    private final AuditSink audit;
    private final RetentionReevaluation reevaluation;

    public PlanService(DSLContext dsl, Clock clock, PlanCatalog catalog, AuditSink audit,
                       RetentionReevaluation reevaluation) {
        this.dsl = dsl;
        this.clock = clock;
        this.catalog = catalog;
        this.audit = audit;
        this.reevaluation = reevaluation;
    }

    public PlanCatalog catalog() {
        return catalog;
    }

    public OrganizationPlan get(Principal actor) {
        actor.require(Role.VIEWER, "reading the plan");
        return load(dsl, actor.organizationId());
    }

    public EffectivePolicy effectivePolicy(Principal actor) {
        actor.require(Role.VIEWER, "reading the policy");
        return effectivePolicy(actor.organizationId());
    }

    /** For internal use (rate limits, quotas, retention): no role check. */
    public EffectivePolicy effectivePolicy(UUID organizationId) {
        return policyOf(org(dsl, organizationId, false));
    }

    /** The policy the organisation would have on {@code planId} ({@link #setPlan}'s rules), for a dry run. */
    public EffectivePolicy policyOnPlan(UUID organizationId, String planId) {
        OrganizationsRecord org = org(dsl, organizationId, false);
        Plan target = catalog.require("plan_id", planId);
        return EffectivePolicy.compute(org.getId(), target, overridesOnPlan(org, target), org.getHipaaMode());
    }

    /** Contract overrides belong to an Enterprise contract; they lapse when the plan changes. */
    private static PlanOverrides overridesOnPlan(OrganizationsRecord org, Plan target) {
        return target.id().equals(org.getPlanId()) ? PlanOverridesJson.read(org.getPlanOverrides()) : PlanOverrides.NONE;
    }

    /** The policy of an organisation row as it stands. */
    public EffectivePolicy policyOf(OrganizationsRecord org) {
        return EffectivePolicy.compute(org.getId(), planOf(org), PlanOverridesJson.read(org.getPlanOverrides()),
                org.getHipaaMode());
    }

    public OrganizationPlan setPlan(Principal actor, String planId) {
        actor.require(Role.OWNER, "changing the plan");
        Plan target = catalog.require("plan_id", planId);
        Instant now = now();
        OrganizationPlan result = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            OrganizationsRecord org = org(tx, actor.organizationId(), true);
            String from = org.getPlanId();
            if (org.getHipaaMode() && !target.hipaaAllowed()) {
                throw new SwitchboardException.FailedPrecondition("HIPAA_MODE_ON",
                        "HIPAA mode is on and plan '" + target.id() + "' does not allow it; switch HIPAA mode off first");
            }
            EffectivePolicy before = policyOf(org);
            PlanOverrides overrides = overridesOnPlan(org, target);
            org.setPlanId(target.id()).setPlanOverrides(PlanOverridesJson.write(overrides)).setUpdatedAt(now).store();
            recordChange(tx, org.getId(), from, target.id(), overrides, actor, now);
            reevaluation.policyChanged(tx, before, policyOf(org), now);
            audit.record(tx, AuditEvent.of(actor, "plan.set", "organization", actor.organizationId(),
                    Map.of("from", from, "to", target.id()), now));
            return load(tx, org.getId());
        });
        return result;
    }

    /** Replaces the organisation's overrides as a whole; empty input clears them. */
    public OrganizationPlan setOverrides(Principal actor, String organizationIdText, PlanOverrides.Input input) {
        actor.requireOperator("setting plan overrides");
        UUID orgId = Ids.parse("organization_id", organizationIdText);
        PlanOverrides overrides = input.validate();
        Instant now = now();
        OrganizationPlan result = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            OrganizationsRecord org = org(tx, orgId, true);
            Plan plan = planOf(org);
            if (!overrides.isEmpty() && !plan.id().equals(PlanCatalog.ENTERPRISE)) {
                throw new SwitchboardException.FailedPrecondition("NOT_ENTERPRISE",
                        "overrides are for Enterprise contracts; the organisation is on '" + plan.id() + "'");
            }
            EffectivePolicy before = policyOf(org);
            org.setPlanOverrides(PlanOverridesJson.write(overrides)).setUpdatedAt(now).store();
            recordChange(tx, orgId, plan.id(), plan.id(), overrides, actor, now);
            reevaluation.policyChanged(tx, before, policyOf(org), now);
            audit.record(tx, new AuditEvent(orgId, actor.apiKeyId(), actor.remoteAddress(), "plan.overrides.set",
                    "organization", orgId.toString(), Map.of("overrides", PlanOverridesJson.write(overrides).data()), now));
            return load(tx, orgId);
        });
        return result;
    }

    private void recordChange(DSLContext tx, UUID orgId, String from, String to, PlanOverrides overrides,
                              Principal actor, Instant now) {
        tx.insertInto(PLAN_CHANGES)
                .set(PLAN_CHANGES.ORGANIZATION_ID, orgId)
                .set(PLAN_CHANGES.FROM_PLAN_ID, from)
                .set(PLAN_CHANGES.TO_PLAN_ID, to)
                .set(PLAN_CHANGES.OVERRIDES, PlanOverridesJson.write(overrides))
                .set(PLAN_CHANGES.ACTOR_API_KEY_ID, actor.apiKeyId())
                .set(PLAN_CHANGES.CHANGED_AT, now)
                .execute();
    }

    private OrganizationPlan load(DSLContext tx, UUID orgId) {
        OrganizationsRecord org = org(tx, orgId, false);
        List<PlanChange> history = tx.selectFrom(PLAN_CHANGES).where(PLAN_CHANGES.ORGANIZATION_ID.eq(orgId))
                .orderBy(PLAN_CHANGES.CHANGED_AT.desc(), PLAN_CHANGES.ID.desc()).limit(100)
                .fetch(r -> new PlanChange(Optional.ofNullable(r.getFromPlanId()), r.getToPlanId(),
                        PlanOverridesJson.read(r.getOverrides()), Optional.ofNullable(r.getActorApiKeyId()),
                        r.getChangedAt()));
        return new OrganizationPlan(orgId, planOf(org), PlanOverridesJson.read(org.getPlanOverrides()), history);
    }

    private Plan planOf(OrganizationsRecord org) {
        return catalog.find(org.getPlanId()).orElseThrow(() -> new IllegalStateException(
                "organisation " + org.getId() + " is on plan '" + org.getPlanId() + "', which the catalog lacks"));
    }

    private static OrganizationsRecord org(DSLContext tx, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(id)).and(ORGANIZATIONS.DELETED_AT.isNull());
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("organization", id.toString()));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

}
