package io.switchboard.campaigns;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_TRANSITIONS;
import static io.switchboard.db.Tables.CONTACT_LISTS;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.UpdateMask;
import io.switchboard.common.Violations;
import io.switchboard.db.tables.records.CampaignsRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.plans.PlanService;
import io.switchboard.plans.Quotas;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.webhooks.WebhookEvent;
import io.switchboard.webhooks.Webhooks;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Outbound campaigns: an agent calling a contact list inside a schedule and a calling window. Owns the
 * campaign state machine ({@link CampaignState}); every transition is written to
 * {@code campaign_transitions} with the key that made it. The agent and list a campaign uses are read
 * {@code FOR SHARE}, so a concurrent delete of either waits and then sees the campaign.
 */
public final class CampaignService {

    public static final Set<String> UPDATABLE = Set.of("name", "agent_id", "contact_list_id", "caller_id", "schedule",
            "calling_window", "max_concurrency", "retry_policy", "disposition_codes", "dialing_rules");
    /** Paths that re-point the campaign at other data: only while nothing has been dialled. */
    private static final Set<String> DRAFT_ONLY = Set.of("agent_id", "contact_list_id");

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final AuditSink audit;
    private final Webhooks webhooks;
    private final RequestIds requestIds;

    public CampaignService(DSLContext dsl, Clock clock, PlanService plans, AuditSink audit, Webhooks webhooks,
                           RequestIds requestIds) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.audit = audit;
        this.webhooks = webhooks;
        this.requestIds = requestIds;
    }

    public Campaign create(Principal actor, CampaignSpec spec) {
        return create(actor, spec, RequestId.NONE);
    }

    /** Creates a draft campaign; a retry with the same {@code requestId} gets the campaign the first attempt made. */
    public Campaign create(Principal actor, CampaignSpec spec, RequestId requestId) {
        actor.require(Role.ADMIN, "creating campaigns");
        Instant now = now();
        Violations v = new Violations();
        String name = CampaignValidator.name(spec.name(), v);
        UUID agentId = CampaignValidator.id("campaign.agent_id", spec.agentId(), v);
        UUID listId = CampaignValidator.id("campaign.contact_list_id", spec.contactListId(), v);
        String callerId = CampaignValidator.callerId(spec.callerId(), v);
        Instant[] schedule = CampaignValidator.schedule(spec.scheduleStart(), spec.scheduleEnd(), now, v);
        CallingWindow window = CampaignValidator.window(spec.window(), v);
        int concurrency = CampaignValidator.concurrency(spec.maxConcurrency(), v);
        RetryPolicy retry = CampaignValidator.retry(spec.retry(), v);
        List<String> codes = CampaignValidator.codes(spec.dispositionCodes(), v);
        DialingRules rules = CampaignValidator.dialing(spec.dialing(), v);
        v.throwIfAny();
        int maxCampaigns = plans.effectivePolicy(actor.organizationId()).limits().maxCampaigns();
        return requestIds.once(actor.organizationId(), requestId, "campaign", tx -> {
            lockAgent(tx, actor, agentId);
            lockList(tx, actor, listId);
            Quotas.check(tx, actor.organizationId(), "campaigns", maxCampaigns, () -> tx.fetchCount(CAMPAIGNS,
                    live(actor).and(CAMPAIGNS.STATE.in(unfinished()))));
            CampaignsRecord r = tx.newRecord(CAMPAIGNS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                    .setName(name).setAgentId(agentId).setContactListId(listId).setCallerId(callerId)
                    .setState(io.switchboard.db.enums.CampaignState.draft)
                    .setScheduleStart(schedule[0]).setScheduleEnd(schedule[1])
                    .setMaxConcurrency(concurrency).setDispositionCodes(codes.toArray(String[]::new))
                    .setCreatedAt(now).setUpdatedAt(now);
            CampaignRows.setWindow(r, window);
            CampaignRows.setRetry(r, retry);
            CampaignRows.setDialing(r, rules);
            r.store();
            audit.record(tx, AuditEvent.of(actor, "campaign.create", "campaign", r.getId(),
                    Map.of("agent_id", agentId.toString(), "contact_list_id", listId.toString()), now));
            return RequestIds.Made.of(CampaignRows.campaign(r), r.getId());
        }, (tx, id, secret) -> CampaignRows.campaign(fetch(tx, actor, id, false)));
    }

    public Campaign get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading campaigns");
        return CampaignRows.campaign(fetch(dsl, actor, Ids.parse("id", idText), false));
    }

    /** Live campaigns in creation order; {@code state} narrows to one state when present. */
    public Page<Campaign> list(Principal actor, Optional<CampaignState> state, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing campaigns");
        String scope = "campaigns:" + state.map(Enum::name).orElse("*");
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition where = live(actor);
        if (state.isPresent()) {
            where = where.and(CAMPAIGNS.STATE.eq(CampaignRows.dbState(state.get())));
        }
        return Keyset.page(dsl, CAMPAIGNS, where, CAMPAIGNS.CREATED_AT, CAMPAIGNS.ID, page, scope,
                CampaignRows::campaign, c -> new PageRequest.Cursor(c.createdAt(), c.id()));
    }

    /**
     * Changes the fields named by {@code maskPaths}, taking them from {@code patch}; a sub-message path
     * (schedule, calling_window, retry_policy) replaces the whole sub-message, with unset parts defaulted.
     */
    public Campaign update(Principal actor, String idText, CampaignSpec patch, List<String> maskPaths) {
        actor.require(Role.ADMIN, "updating campaigns");
        UUID id = Ids.parse("campaign.id", idText);
        UpdateMask mask = UpdateMask.of(maskPaths, UPDATABLE);
        Instant now = now();
        Campaign campaign = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            CampaignsRecord r = fetch(tx, actor, id, true);
            CampaignState state = CampaignRows.domainState(r.getState());
            if (!state.isEditable()) {
                throw new SwitchboardException.FailedPrecondition("CAMPAIGN_STATE", "campaign " + id + " is "
                        + state + "; its configuration can change only while DRAFT or PAUSED (pause it first)");
            }
            if (state != CampaignState.DRAFT && mask.paths().stream().anyMatch(DRAFT_ONLY::contains)) {
                throw new SwitchboardException.FailedPrecondition("CAMPAIGN_STATE", "campaign " + id + " is "
                        + state + "; agent_id and contact_list_id can change only while DRAFT");
            }
            Violations v = new Violations();
            if (mask.has("name")) {
                r.setName(CampaignValidator.name(patch.name(), v));
            }
            if (mask.has("agent_id")) {
                r.setAgentId(CampaignValidator.id("campaign.agent_id", patch.agentId(), v));
            }
            if (mask.has("contact_list_id")) {
                r.setContactListId(CampaignValidator.id("campaign.contact_list_id", patch.contactListId(), v));
            }
            if (mask.has("caller_id")) {
                r.setCallerId(CampaignValidator.callerId(patch.callerId(), v));
            }
            if (mask.has("schedule")) {
                Instant[] s = CampaignValidator.schedule(patch.scheduleStart(), patch.scheduleEnd(), now, v);
                r.setScheduleStart(s[0]).setScheduleEnd(s[1]);
            }
            if (mask.has("calling_window")) {
                CallingWindow w = CampaignValidator.window(patch.window(), v);
                if (w != null) {
                    CampaignRows.setWindow(r, w);
                }
            }
            if (mask.has("max_concurrency")) {
                r.setMaxConcurrency(CampaignValidator.concurrency(patch.maxConcurrency(), v));
            }
            if (mask.has("retry_policy")) {
                RetryPolicy p = CampaignValidator.retry(patch.retry(), v);
                if (p != null) {
                    CampaignRows.setRetry(r, p);
                }
            }
            if (mask.has("disposition_codes")) {
                r.setDispositionCodes(CampaignValidator.codes(patch.dispositionCodes(), v).toArray(String[]::new));
            }
            if (mask.has("dialing_rules")) {
                CampaignRows.setDialing(r, CampaignValidator.dialing(patch.dialing(), v));
            }
            v.throwIfAny();
            if (mask.has("agent_id")) {
                lockAgent(tx, actor, r.getAgentId());
            }
            if (mask.has("contact_list_id")) {
                lockList(tx, actor, r.getContactListId());
            }
            r.setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "campaign.update", "campaign", id,
                    Map.of("fields", String.join(",", mask.paths().stream().sorted().toList())), now));
            return CampaignRows.campaign(r);
        });
        return campaign;
    }

    /** Soft delete, for campaigns that are not dialling and cannot resume: DRAFT, COMPLETED, CANCELLED. */
    public void delete(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting campaigns");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            CampaignsRecord r = fetch(tx, actor, id, true);
            CampaignState state = CampaignRows.domainState(r.getState());
            if (!state.isDeletable()) {
                throw new SwitchboardException.FailedPrecondition("CAMPAIGN_STATE", "campaign " + id + " is "
                        + state + "; only DRAFT, COMPLETED or CANCELLED campaigns can be deleted (cancel it first)");
            }
            r.setDeletedAt(now).setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "campaign.delete", "campaign", id, Map.of(), now));
        });
    }

    public Campaign start(Principal actor, String idText) {
        return transition(actor, idText, CampaignState.RUNNING, Set.of(CampaignState.DRAFT), "start", Role.AGENT);
    }

    public Campaign pause(Principal actor, String idText) {
        return transition(actor, idText, CampaignState.PAUSED, Set.of(CampaignState.RUNNING), "pause", Role.AGENT);
    }

    public Campaign resume(Principal actor, String idText) {
        return transition(actor, idText, CampaignState.RUNNING, Set.of(CampaignState.PAUSED), "resume", Role.AGENT);
    }

    public Campaign complete(Principal actor, String idText) {
        return transition(actor, idText, CampaignState.COMPLETED,
                Set.of(CampaignState.RUNNING, CampaignState.PAUSED), "complete", Role.ADMIN);
    }

    /**
     * The platform's completion of a campaign that ran its course, decided in the campaign's own row lock:
     * only a campaign still RUNNING, and only if {@code finished} (evaluated under that lock, so no claim, pause
     * or resume runs meanwhile) still holds. A pause that committed first wins: the campaign stays PAUSED and
     * completes at the first tick after it is resumed; a completion that committed first makes the pause
     * FAILED_PRECONDITION. Either way exactly one of the two is recorded, and the loser changes nothing.
     *
     * @return whether this call completed it
     */
    public boolean completeIfFinished(Principal system, UUID id, Predicate<DSLContext> finished) {
        return transition(system, id, CampaignState.COMPLETED, Set.of(CampaignState.RUNNING), "complete", Role.ADMIN,
                finished).isPresent();
    }

    public Campaign cancel(Principal actor, String idText) {
        return transition(actor, idText, CampaignState.CANCELLED,
                Set.of(CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED), "cancel", Role.ADMIN);
    }

    /**
     * {@code from} is the set this verb accepts; it is narrower than the state machine allows for RUNNING
     * (start only from DRAFT, resume only from PAUSED), so each verb means one thing. Operators (the agent
     * role) start, pause and resume; ending a campaign for good takes an admin.
     */
    private Campaign transition(Principal actor, String idText, CampaignState to, Set<CampaignState> from, String verb,
                                Role role) {
        return transition(actor, Ids.parse("id", idText), to, from, verb, role, null).orElseThrow();
    }

    /** @param guard null: refuse a campaign not in {@code from}; else leave it, and any for which the guard fails */
    private Optional<Campaign> transition(Principal actor, UUID id, CampaignState to, Set<CampaignState> from,
                                          String verb, Role role, Predicate<DSLContext> guard) {
        actor.require(role, "changing a campaign's state (" + verb + ")");
        Instant now = now();
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            CampaignsRecord r = fetch(tx, actor, id, true);
            CampaignState state = CampaignRows.domainState(r.getState());
            if (guard != null && (!from.contains(state) || !guard.test(tx))) {
                return Optional.empty();
            }
            if (!from.contains(state) || !state.canMoveTo(to)) {
                throw new SwitchboardException.FailedPrecondition("CAMPAIGN_STATE", "cannot " + verb + " campaign "
                        + id + ": it is " + state + " and " + verb + " applies only to " + sorted(from));
            }
            if (to == CampaignState.RUNNING) {
                lockAgent(tx, actor, r.getAgentId());
                lockList(tx, actor, r.getContactListId());
                if (r.getScheduleEnd() != null && !r.getScheduleEnd().isAfter(now)) {
                    throw new SwitchboardException.FailedPrecondition("CAMPAIGN_SCHEDULE_OVER", "campaign " + id
                            + "'s schedule ended at " + r.getScheduleEnd() + "; update its schedule or complete it");
                }
            }
            r.setState(CampaignRows.dbState(to)).setUpdatedAt(now);
            if (to == CampaignState.RUNNING && r.getStartedAt() == null) {
                r.setStartedAt(now);
            }
            if (to == CampaignState.COMPLETED || to == CampaignState.CANCELLED) {
                r.setEndedAt(now);
            }
            r.store();
            tx.insertInto(CAMPAIGN_TRANSITIONS)
                    .set(CAMPAIGN_TRANSITIONS.CAMPAIGN_ID, id)
                    .set(CAMPAIGN_TRANSITIONS.ORGANIZATION_ID, actor.organizationId())
                    .set(CAMPAIGN_TRANSITIONS.FROM_STATE, CampaignRows.dbState(state))
                    .set(CAMPAIGN_TRANSITIONS.TO_STATE, CampaignRows.dbState(to))
                    .set(CAMPAIGN_TRANSITIONS.ACTOR_API_KEY_ID, actor.apiKeyId())
                    .set(CAMPAIGN_TRANSITIONS.CHANGED_AT, now)
                    .execute();
            audit.record(tx, AuditEvent.of(actor, "campaign." + verb, "campaign", id,
                    Map.of("from", state.name(), "to", to.name()), now));
            if (to == CampaignState.COMPLETED) {
                webhooks.emit(tx, actor.organizationId(), WebhookEvent.CAMPAIGN_COMPLETED,
                        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                                .put("campaign_id", id.toString()).put("completed_at", now.toString()));
            }
            return Optional.of(CampaignRows.campaign(r));
        });
    }

    /** The state history, oldest first: who moved the campaign from where to where, and when. */
    public List<Transition> transitions(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading campaigns");
        UUID id = Ids.parse("id", idText);
        fetch(dsl, actor, id, false);
        return dsl.selectFrom(CAMPAIGN_TRANSITIONS)
                .where(CAMPAIGN_TRANSITIONS.CAMPAIGN_ID.eq(id))
                .and(CAMPAIGN_TRANSITIONS.ORGANIZATION_ID.eq(actor.organizationId()))
                .orderBy(CAMPAIGN_TRANSITIONS.ID)
                .fetch(t -> new Transition(CampaignRows.domainState(t.getFromState()), CampaignRows.domainState(t.getToState()),
                        Optional.ofNullable(t.getActorApiKeyId()), t.getChangedAt()));
    }

    public record Transition(CampaignState from, CampaignState to, Optional<UUID> actorApiKeyId, Instant at) {
    }

    // ---- persistence ----

    private static void lockAgent(DSLContext tx, Principal actor, UUID agentId) {
        tx.select(AGENTS.ID).from(AGENTS).where(AGENTS.ID.eq(agentId))
                .and(AGENTS.ORGANIZATION_ID.eq(actor.organizationId())).and(AGENTS.DELETED_AT.isNull())
                .forShare().fetchOptional()
                .orElseThrow(() -> new SwitchboardException.NotFound("agent", agentId.toString()));
    }

    private static void lockList(DSLContext tx, Principal actor, UUID listId) {
        tx.select(CONTACT_LISTS.ID).from(CONTACT_LISTS).where(CONTACT_LISTS.ID.eq(listId))
                .and(CONTACT_LISTS.ORGANIZATION_ID.eq(actor.organizationId())).and(CONTACT_LISTS.DELETED_AT.isNull())
                .forShare().fetchOptional()
                .orElseThrow(() -> new SwitchboardException.NotFound("contact list", listId.toString()));
    }

    private static Condition live(Principal actor) {
        return CAMPAIGNS.ORGANIZATION_ID.eq(actor.organizationId()).and(CAMPAIGNS.DELETED_AT.isNull());
    }

    private static List<io.switchboard.db.enums.CampaignState> unfinished() {
        return Arrays.stream(CampaignState.values()).filter(CampaignState::isUnfinished).map(CampaignRows::dbState).toList();
    }

    private static CampaignsRecord fetch(DSLContext tx, Principal actor, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(CAMPAIGNS).where(CAMPAIGNS.ID.eq(id)).and(live(actor));
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("campaign", id.toString()));
    }

    private static List<CampaignState> sorted(Set<CampaignState> states) {
        return states.stream().sorted().toList();
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
