package io.switchboard.plans;

import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.PLAN_CHANGES;
import static io.switchboard.db.Tables.PLAN_RETENTION_APPLIED;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.db.tables.records.OrganizationsRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Which plan an organisation is on, its contract overrides, and the policy that follows. Every change
 * is written to {@code plan_changes} and reported to the audit sink.
 */
public final class PlanService {

    private static final Logger LOG = Logger.getLogger(PlanService.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /**
     * Brings the expiries of stored data in line with the configured catalog. Items are stamped with their
     * expiry when stored, so when the catalog gives a plan other periods (a release's new defaults, an
     * operator's edit of {@code plans.catalog}) the data of its organisations would otherwise keep the old
     * ones. Each plan whose periods differ from those last applied ({@code plan_retention_applied}) has its
     * organisations re-stamped exactly as a plan change would (a shortening keeps the downgrade grace), and
     * the new periods are recorded. Workers call it at start; several at once apply each plan once.
     *
     * @return the ids of the plans whose organisations were re-stamped
     */
    public List<String> applyCatalogRetention() {
        Instant now = now();
        List<String> applied = new ArrayList<>();
        for (Plan plan : catalog.plans()) {
            boolean changed = dsl.transactionResult(cfg -> {
                DSLContext tx = DSL.using(cfg);
                tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))",
                        "plan-retention:" + plan.id())).fetch();
                Optional<Map<DataClass, RetentionPeriod>> before = tx.select(PLAN_RETENTION_APPLIED.RETENTION)
                        .from(PLAN_RETENTION_APPLIED).where(PLAN_RETENTION_APPLIED.PLAN_ID.eq(plan.id()))
                        .fetchOptional(r -> readRetention(r.value1()));
                if (before.isPresent() && before.get().equals(plan.retention())) {
                    return false;
                }
                for (OrganizationsRecord org : tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.PLAN_ID.eq(plan.id()))
                        .orderBy(ORGANIZATIONS.ID).forUpdate().fetch()) {
                    EffectivePolicy after = policyOf(org);
                    if (before.isPresent()) {
                        Plan old = new Plan(plan.id(), plan.displayName(), plan.limits(), before.get(), plan.hipaaAllowed());
                        reevaluation.policyChanged(tx, EffectivePolicy.compute(org.getId(), old,
                                PlanOverridesJson.read(org.getPlanOverrides()), org.getHipaaMode()), after, now);
                    } else {
                        reevaluation.restampAll(tx, after, now);
                    }
                }
                JSONB json = writeRetention(plan.retention());
                tx.insertInto(PLAN_RETENTION_APPLIED).set(PLAN_RETENTION_APPLIED.PLAN_ID, plan.id())
                        .set(PLAN_RETENTION_APPLIED.RETENTION, json).set(PLAN_RETENTION_APPLIED.APPLIED_AT, now)
                        .onConflict(PLAN_RETENTION_APPLIED.PLAN_ID).doUpdate()
                        .set(PLAN_RETENTION_APPLIED.RETENTION, json).set(PLAN_RETENTION_APPLIED.APPLIED_AT, now)
                        .execute();
                return true;
            });
            if (changed) {
                applied.add(plan.id());
                LOG.info(() -> "plan '" + plan.id() + "': stored expiries re-stamped to the catalog's retention "
                        + writeRetention(plan.retention()).data());
            }
        }
        return applied;
    }

    private static JSONB writeRetention(Map<DataClass, RetentionPeriod> retention) {
        ObjectNode json = JSON.createObjectNode();
        for (DataClass c : DataClass.values()) {
            json.put(c.configKey(), retention.get(c).toString());
        }
        return JSONB.jsonb(json.toString());
    }

    private static Map<DataClass, RetentionPeriod> readRetention(JSONB stored) {
        try {
            Map<DataClass, RetentionPeriod> m = new EnumMap<>(DataClass.class);
            JsonNode json = JSON.readTree(stored.data());
            for (Map.Entry<String, JsonNode> e : json.properties()) {
                m.put(DataClass.fromConfigKey(e.getKey()), RetentionPeriod.parse(e.getValue().asText()));
            }
            // applied before messages had a class of their own: they were kept as call logs
            if (!m.containsKey(DataClass.MESSAGES) && m.containsKey(DataClass.CALL_LOGS)) {
                m.put(DataClass.MESSAGES, m.get(DataClass.CALL_LOGS));
            }
            return m;
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalStateException("plan_retention_applied holds unreadable periods: " + stored.data(), e);
        }
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
