package io.switchboard.tenancy;

import static io.switchboard.db.Tables.API_KEYS;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.PLAN_CHANGES;
import static io.switchboard.db.Tables.USERS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.tables.records.OrganizationsRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.Plan;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.plans.PlanService;
import io.switchboard.plans.RetentionReevaluation;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Organisations: creation by platform operators (with a first owner and an owner key), the first-run
 * bootstrap, and self-service reads and renames.
 */
public final class OrganizationService {

    /** An organisation with its first owner and the owner's key (secret shown once). */
    public record Created(Organization organization, User owner, ApiKey.Created ownerKey) {
    }

    public static final Set<String> UPDATABLE = Set.of("name", "hipaa_mode", "messaging_help_text", "confirm_opt_out");
    /** The longest HELP answer: two SMS segments, as carriers recommend for one reply. */
    public static final int MAX_HELP_TEXT = 320;

    /** What an update changes; an empty field stays as it is. */
    public record Changes(Optional<String> name, Optional<Boolean> hipaaMode, Optional<String> messagingHelpText,
                          Optional<Boolean> confirmOptOut) {
        public Changes(Optional<String> name, Optional<Boolean> hipaaMode) {
            this(name, hipaaMode, Optional.empty(), Optional.empty());
        }
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanCatalog catalog;
    private final AuditSink audit;
    private final PlanService plans;
    private final RetentionReevaluation reevaluation;
    private final RequestIds requestIds;

    /** How long a closed organisation can be reopened before its data is purged. */
    public static final Duration PURGE_AFTER = Duration.ofDays(30);

    private final KeyChanges keyChanges;

    public OrganizationService(DSLContext dsl, Clock clock, PlanCatalog catalog, AuditSink audit, PlanService plans,
                               RetentionReevaluation reevaluation, RequestIds requestIds, KeyChanges keyChanges) {
        this.keyChanges = keyChanges;
        this.dsl = dsl;
        this.clock = clock;
        this.catalog = catalog;
        this.audit = audit;
        this.plans = plans;
        this.reevaluation = reevaluation;
        this.requestIds = requestIds;
    }

    public Created create(Principal actor, String name, String planId, String ownerEmail, String ownerName) {
        return create(actor, name, planId, ownerEmail, ownerName, RequestId.NONE);
    }

    /**
     * Creates an organisation with its owner and owner key; a retry with the same {@code requestId} (scoped to
     * the operator's own organisation) gets what the first attempt made, the key's secret included.
     */
    public Created create(Principal actor, String name, String planId, String ownerEmail, String ownerName,
                          RequestId requestId) {
        actor.requireOperator("creating organisations");
        Violations v = new Violations().requireText("name", name, 200);
        Users.validateEmail(v, "owner_email", ownerEmail);
        v.maxLength("owner_display_name", ownerName, 200);
        Optional<Plan> found = catalog.find(planId == null || planId.isEmpty() ? catalog.defaultPlan() : planId);
        if (found.isEmpty()) {
            v.add("plan_id", "unknown plan '" + planId + "'; known plans: "
                    + String.join(", ", catalog.plans().stream().map(Plan::id).toList()));
        }
        v.throwIfAny();
        Plan plan = found.orElseThrow();
        return requestIds.once(actor.organizationId(), requestId, "organization", tx -> {
            Created created = insert(tx, name.trim(), plan.id(), ownerEmail.trim(), ownerName == null ? "" : ownerName.trim(),
                    false, Optional.of(actor.apiKeyId()));
            audit.record(tx, AuditEvent.of(actor, "organization.create", "organization", created.organization().id(),
                    Map.of("plan", plan.id()), created.organization().createdAt()));
            return new RequestIds.Made<>(created, created.organization().id(), created.ownerKey().secret());
        }, OrganizationService::created);
    }

    /** What {@link #insert} made for {@code orgId}: the organisation, its first owner and its first key. */
    private static Created created(DSLContext tx, UUID orgId, String secret) {
        Organization org = tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(orgId)).fetchOptional()
                .map(OrganizationService::toDomain)
                .orElseThrow(() -> new SwitchboardException.NotFound("organization", orgId.toString()));
        User owner = tx.selectFrom(USERS).where(USERS.ORGANIZATION_ID.eq(orgId)).orderBy(USERS.CREATED_AT, USERS.ID)
                .limit(1).fetchOptional().map(Users::toDomain)
                .orElseThrow(() -> new SwitchboardException.NotFound("user", "owner of " + orgId));
        UUID keyId = tx.select(API_KEYS.ID).from(API_KEYS).where(API_KEYS.ORGANIZATION_ID.eq(orgId))
                .orderBy(API_KEYS.CREATED_AT, API_KEYS.ID).limit(1).fetchOptional(API_KEYS.ID)
                .orElseThrow(() -> new SwitchboardException.NotFound("api_key", "owner key of " + orgId));
        return new Created(org, owner, new ApiKey.Created(ApiKeyService.key(tx, orgId, keyId), secret));
    }

    /**
     * First run: if no platform-operator key exists, creates an organisation, its owner and an owner key
     * with platform-operator rights, and returns them. Otherwise returns empty.
     */
    public Optional<Created> bootstrap(String orgName, String ownerEmail) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            // serialise concurrent bootstraps of several processes against one database
            tx.execute("select pg_advisory_xact_lock(7301)");
            if (tx.fetchExists(API_KEYS, API_KEYS.PLATFORM_OPERATOR.isTrue().and(API_KEYS.REVOKED_AT.isNull()))) {
                return Optional.empty();
            }
            Plan plan = catalog.find(PlanCatalog.ENTERPRISE).orElseGet(() -> catalog.require("plan_id", catalog.defaultPlan()));
            return Optional.of(insert(tx, orgName, plan.id(), ownerEmail, "Bootstrap owner", true, Optional.empty()));
        });
    }

    private Created insert(DSLContext tx, String name, String planId, String ownerEmail, String ownerName,
                           boolean operatorKey, Optional<UUID> actorKey) {
        Instant now = now();
        OrganizationsRecord org = tx.newRecord(ORGANIZATIONS)
                .setId(Ids.newId()).setName(name).setPlanId(planId).setHipaaMode(false).setConfirmOptOut(true)
                .setCreatedAt(now).setUpdatedAt(now);
        org.store();
        User owner = Users.insert(tx, org.getId(), ownerEmail, ownerName, Role.OWNER, now);
        tx.insertInto(PLAN_CHANGES)
                .set(PLAN_CHANGES.ORGANIZATION_ID, org.getId())
                .set(PLAN_CHANGES.TO_PLAN_ID, planId)
                .set(PLAN_CHANGES.ACTOR_API_KEY_ID, actorKey.orElse(null))
                .set(PLAN_CHANGES.CHANGED_AT, now)
                .execute();
        ApiKey.Created key = ApiKeyService.insert(tx, org.getId(), operatorKey ? "bootstrap operator key" : "owner key",
                Role.OWNER, Optional.of(owner.id()), operatorKey, Optional.empty(), now);
        return new Created(toDomain(org), owner, key);
    }

    public Organization get(Principal actor) {
        return find(actor.organizationId());
    }

    Organization find(UUID id) {
        return dsl.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(id)).and(ORGANIZATIONS.DELETED_AT.isNull())
                .fetchOptional().map(OrganizationService::toDomain)
                .orElseThrow(() -> new SwitchboardException.NotFound("organization", id.toString()));
    }

    public Page<Organization> list(Principal actor, int pageSize, String pageToken) {
        actor.requireOperator("listing organisations");
        PageRequest page = PageRequest.of(pageSize, pageToken, "organizations");
        return Keyset.page(dsl, ORGANIZATIONS, ORGANIZATIONS.DELETED_AT.isNull(), ORGANIZATIONS.CREATED_AT,
                ORGANIZATIONS.ID, page, "organizations", OrganizationService::toDomain,
                o -> new PageRequest.Cursor(o.createdAt(), o.id()));
    }

    /**
     * Renames the caller's organisation and/or switches HIPAA mode. HIPAA mode is an owner action and
     * only plans that allow it may turn it on.
     */
    public Organization update(Principal actor, Optional<String> name, Optional<Boolean> hipaaMode) {
        return update(actor, new Changes(name, hipaaMode));
    }

    /**
     * Also sets the messaging settings (admin or owner): the HELP answer (at most {@value #MAX_HELP_TEXT} characters,
     * {@code {organization}} standing for the name; empty or blank returns to the platform's default) and whether
     * STOPs get the platform's own confirmation.
     */
    public Organization update(Principal actor, Changes changes) {
        actor.require(Role.ADMIN, "updating the organisation");
        Optional<String> name = changes.name();
        Optional<Boolean> hipaaMode = changes.hipaaMode();
        Violations v = new Violations();
        name.ifPresent(n -> v.requireText("organization.name", n, 200));
        changes.messagingHelpText().ifPresent(t -> v.maxLength("organization.messaging_help_text", t == null ? null
                : t.strip(), MAX_HELP_TEXT));
        v.throwIfAny();
        if (hipaaMode.isPresent()) {
            actor.require(Role.OWNER, "switching HIPAA mode");
        }
        Instant now = now();
        Organization after = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            OrganizationsRecord r = tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(actor.organizationId()))
                    .and(ORGANIZATIONS.DELETED_AT.isNull()).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("organization",
                            actor.organizationId().toString()));
            boolean hipaaBefore = r.getHipaaMode();
            EffectivePolicy before = plans.policyOf(r);
            name.ifPresent(n -> r.setName(n.trim()));
            if (hipaaMode.isPresent() && hipaaMode.get() && !r.getHipaaMode()) {
                Plan plan = catalog.find(r.getPlanId()).orElseThrow();
                if (!plan.hipaaAllowed()) {
                    throw new SwitchboardException.FailedPrecondition("HIPAA_NOT_ALLOWED",
                            "HIPAA mode needs a plan that allows it (Enterprise); the organisation is on " + plan.id());
                }
            }
            hipaaMode.ifPresent(r::setHipaaMode);
            // named in the mask but empty: back to the platform's default answer (AIP-134), not an empty text
            changes.messagingHelpText().ifPresent(t -> r.setMessagingHelpText(t == null || t.isBlank() ? null
                    : t.strip()));
            changes.confirmOptOut().ifPresent(r::setConfirmOptOut);
            r.setUpdatedAt(now).store();
            reevaluation.policyChanged(tx, before, plans.policyOf(r), now); // HIPAA mode keeps audit entries 6 years
            if (hipaaMode.isPresent() && hipaaMode.get() != hipaaBefore) {
                audit.record(tx, AuditEvent.of(actor, hipaaMode.get() ? "hipaa.enable" : "hipaa.disable", "organization",
                        actor.organizationId(), Map.of(), now));
            }
            String fields = String.join(",", java.util.stream.Stream.of(name.map(n -> "name"),
                    changes.messagingHelpText().map(t -> "messaging_help_text"),
                    changes.confirmOptOut().map(c -> "confirm_opt_out")).flatMap(Optional::stream).toList());
            if (!fields.isEmpty()) {
                audit.record(tx, AuditEvent.of(actor, "organization.update", "organization", actor.organizationId(),
                        Map.of("fields", fields), now));
            }
            return toDomain(r);
        });
        return after;
    }

    /**
     * Closes the caller's organisation: its keys stop working at once, a platform operator can reopen it
     * for {@link #PURGE_AFTER}, then the retention sweeper purges its data. Usage records (billing) and the
     * audit trail stay for their own retention periods. The owner must repeat the organisation's name.
     */
    public Instant close(Principal actor, String confirmName) {
        actor.require(Role.OWNER, "closing the organisation");
        Instant now = now();
        Instant purgeAt = now.plus(PURGE_AFTER);
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            OrganizationsRecord r = tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(actor.organizationId()))
                    .and(ORGANIZATIONS.DELETED_AT.isNull()).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("organization", actor.organizationId().toString()));
            if (!r.getName().equals(confirmName)) {
                throw new SwitchboardException.InvalidArgument("confirm_name",
                        "must repeat the organisation's name exactly to close it");
            }
            r.setDeletedAt(now).setPurgeAt(purgeAt).setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "organization.close", "organization", actor.organizationId(),
                    Map.of("purge_at", purgeAt.toString()), now));
        });
        keyChanges.organization(actor.organizationId());
        return purgeAt;
    }

    /** Platform operators: undoes {@link #close} before the purge has begun. */
    public Organization reopen(Principal actor, String organizationIdText) {
        actor.requireOperator("reopening organisations");
        UUID id = Ids.parse("organization_id", organizationIdText);
        Instant now = now();
        Organization reopened = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            OrganizationsRecord r = tx.selectFrom(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(id)).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("organization", id.toString()));
            if (r.getDeletedAt() == null) {
                throw new SwitchboardException.FailedPrecondition("NOT_CLOSED", "organisation " + id + " is not closed");
            }
            if (r.getPurgedAt() != null || !r.getPurgeAt().isAfter(now)) {
                throw new SwitchboardException.FailedPrecondition("PURGED",
                        "organisation " + id + " was purged at " + r.getPurgeAt() + "; it cannot be reopened");
            }
            r.setDeletedAt(null).setPurgeAt(null).setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "organization.reopen", "organization", id, Map.of(), now));
            return toDomain(r);
        });
        return reopened;
    }

    static Organization toDomain(OrganizationsRecord r) {
        return new Organization(r.getId(), r.getName(), r.getPlanId(), r.getHipaaMode(), r.getCreatedAt(),
                r.getUpdatedAt(), r.getMessagingHelpText() == null ? "" : r.getMessagingHelpText(),
                r.getConfirmOptOut());
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

}
