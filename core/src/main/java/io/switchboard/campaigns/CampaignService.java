package io.switchboard.campaigns;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_CONTACTS;
import static io.switchboard.db.Tables.CAMPAIGN_TRANSITIONS;
import static io.switchboard.db.Tables.CONTACT_LISTS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static io.switchboard.db.Tables.DIAL_REFUSALS;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.UpdateMask;
import io.switchboard.common.Violations;
import io.switchboard.db.enums.CallDirection;
import io.switchboard.db.enums.CallState;
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
import org.jooq.types.YearToSecond;

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
    static final int MAX_CONCURRENCY = 10_000;
    static final int MAX_DISPOSITION_CODES = 50;
    private static final Pattern E164 = Pattern.compile("^\\+[1-9][0-9]{6,14}$");
    private static final Pattern CODE = Pattern.compile("^[a-z][a-z0-9_]{0,63}$");
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);

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
        String name = name(spec.name(), v);
        UUID agentId = id("campaign.agent_id", spec.agentId(), v);
        UUID listId = id("campaign.contact_list_id", spec.contactListId(), v);
        String callerId = callerId(spec.callerId(), v);
        Instant[] schedule = schedule(spec.scheduleStart(), spec.scheduleEnd(), now, v);
        CallingWindow window = window(spec.window(), v);
        int concurrency = concurrency(spec.maxConcurrency(), v);
        RetryPolicy retry = retry(spec.retry(), v);
        List<String> codes = codes(spec.dispositionCodes(), v);
        DialingRules rules = dialing(spec.dialing(), v);
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
            setWindow(r, window);
            setRetry(r, retry);
            setDialing(r, rules);
            r.store();
            audit.record(tx, AuditEvent.of(actor, "campaign.create", "campaign", r.getId(),
                    Map.of("agent_id", agentId.toString(), "contact_list_id", listId.toString()), now));
            return RequestIds.Made.of(toDomain(r), r.getId());
        }, (tx, id, secret) -> toDomain(fetch(tx, actor, id, false)));
    }

    public Campaign get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading campaigns");
        return toDomain(fetch(dsl, actor, Ids.parse("id", idText), false));
    }

    /** What a campaign's outbound calls came to so far. */
    public record Stats(UUID campaignId, long attempted, long connected, long failed, long active, long contactsReached,
                        long callMs, long billableMinutes, Map<String, Long> dispositions, Map<String, Long> contacts,
                        Map<String, Long> outcomes, Map<String, Long> refusals, long dialAttempts) {
    }

    /** Counts over the campaign's outbound calls (including deleted ones: statistics are structural). */
    public Stats stats(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading campaigns");
        UUID id = Ids.parse("id", idText);
        fetch(dsl, actor, id, false);
        var c = CALLS;
        var ms = DSL.field("({0} * 1000) / ({1} * {2} * (CASE WHEN {3} = 'mulaw' THEN 1 ELSE 2 END))", Long.class,
                c.AUDIO_BYTES, c.SAMPLE_RATE, c.CHANNELS, c.AUDIO_ENCODING);
        var connected = c.STATE.eq(CallState.ended).and(c.AUDIO_BYTES.gt(0L));
        var row = dsl.select(DSL.count(), DSL.count().filterWhere(connected),
                        DSL.count().filterWhere(c.STATE.eq(CallState.failed)),
                        DSL.count().filterWhere(c.STATE.eq(CallState.active)),
                        DSL.countDistinct(c.CONTACT_ID).filterWhere(connected),
                        DSL.coalesce(DSL.sum(ms), DSL.inline(BigDecimal.ZERO)),
                        DSL.coalesce(DSL.sum(DSL.field("ceil({0} / 60000.0)", Long.class, ms)), DSL.inline(BigDecimal.ZERO)))
                .from(c).where(c.CAMPAIGN_ID.eq(id)).and(c.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(c.DIRECTION.eq(CallDirection.outbound)).fetchSingle();
        var s = CALL_SUMMARIES;
        Map<String, Long> dispositions = new TreeMap<>();
        dsl.select(DSL.coalesce(s.DISPOSITION, DSL.inline("")), DSL.count()).from(s).join(c).on(c.ID.eq(s.CALL_ID))
                .where(c.CAMPAIGN_ID.eq(id)).and(c.ORGANIZATION_ID.eq(actor.organizationId()))
                .groupBy(DSL.coalesce(s.DISPOSITION, DSL.inline(""))).fetch()
                .forEach(r -> dispositions.put(r.value1(), r.value2().longValue()));
        Map<String, Long> contacts = counts(dsl.select(CAMPAIGN_CONTACTS.STATE, DSL.count()).from(CAMPAIGN_CONTACTS)
                .where(CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(id)).and(CAMPAIGN_CONTACTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .groupBy(CAMPAIGN_CONTACTS.STATE).fetch());
        Map<String, Long> outcomes = counts(dsl.select(DIAL_ATTEMPTS.OUTCOME, DSL.count()).from(DIAL_ATTEMPTS)
                .where(DIAL_ATTEMPTS.CAMPAIGN_ID.eq(id)).and(DIAL_ATTEMPTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(DIAL_ATTEMPTS.STATE.eq("finished")).groupBy(DIAL_ATTEMPTS.OUTCOME).fetch());
        Map<String, Long> refusals = counts(dsl.select(DIAL_REFUSALS.REASON, DSL.count()).from(DIAL_REFUSALS)
                .where(DIAL_REFUSALS.CAMPAIGN_ID.eq(id)).and(DIAL_REFUSALS.ORGANIZATION_ID.eq(actor.organizationId()))
                .groupBy(DIAL_REFUSALS.REASON).fetch());
        long dialAttempts = dsl.fetchCount(DIAL_ATTEMPTS, DIAL_ATTEMPTS.CAMPAIGN_ID.eq(id)
                .and(DIAL_ATTEMPTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(DIAL_ATTEMPTS.OUTCOME.ne("not_placed"))); // a carrier outage placed no call
        return new Stats(id, row.value1(), row.value2(), row.value3(), row.value4(), row.value5(),
                row.value6().longValue(), row.value7().longValue(), dispositions, contacts, outcomes, refusals,
                dialAttempts);
    }

    private static Map<String, Long> counts(org.jooq.Result<org.jooq.Record2<String, Integer>> rows) {
        Map<String, Long> m = new TreeMap<>();
        rows.forEach(r -> m.put(r.value1(), r.value2().longValue()));
        return m;
    }

    /** Live campaigns in creation order; {@code state} narrows to one state when present. */
    public Page<Campaign> list(Principal actor, Optional<CampaignState> state, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing campaigns");
        String scope = "campaigns:" + state.map(Enum::name).orElse("*");
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition where = live(actor);
        if (state.isPresent()) {
            where = where.and(CAMPAIGNS.STATE.eq(dbState(state.get())));
        }
        return Keyset.page(dsl, CAMPAIGNS, where, CAMPAIGNS.CREATED_AT, CAMPAIGNS.ID, page, scope,
                CampaignService::toDomain, c -> new PageRequest.Cursor(c.createdAt(), c.id()));
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
            CampaignState state = domainState(r.getState());
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
                r.setName(name(patch.name(), v));
            }
            if (mask.has("agent_id")) {
                r.setAgentId(id("campaign.agent_id", patch.agentId(), v));
            }
            if (mask.has("contact_list_id")) {
                r.setContactListId(id("campaign.contact_list_id", patch.contactListId(), v));
            }
            if (mask.has("caller_id")) {
                r.setCallerId(callerId(patch.callerId(), v));
            }
            if (mask.has("schedule")) {
                Instant[] s = schedule(patch.scheduleStart(), patch.scheduleEnd(), now, v);
                r.setScheduleStart(s[0]).setScheduleEnd(s[1]);
            }
            if (mask.has("calling_window")) {
                CallingWindow w = window(patch.window(), v);
                if (w != null) {
                    setWindow(r, w);
                }
            }
            if (mask.has("max_concurrency")) {
                r.setMaxConcurrency(concurrency(patch.maxConcurrency(), v));
            }
            if (mask.has("retry_policy")) {
                RetryPolicy p = retry(patch.retry(), v);
                if (p != null) {
                    setRetry(r, p);
                }
            }
            if (mask.has("disposition_codes")) {
                r.setDispositionCodes(codes(patch.dispositionCodes(), v).toArray(String[]::new));
            }
            if (mask.has("dialing_rules")) {
                setDialing(r, dialing(patch.dialing(), v));
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
            return toDomain(r);
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
            CampaignState state = domainState(r.getState());
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
            CampaignState state = domainState(r.getState());
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
            r.setState(dbState(to)).setUpdatedAt(now);
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
                    .set(CAMPAIGN_TRANSITIONS.FROM_STATE, dbState(state))
                    .set(CAMPAIGN_TRANSITIONS.TO_STATE, dbState(to))
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
            return Optional.of(toDomain(r));
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
                .fetch(t -> new Transition(domainState(t.getFromState()), domainState(t.getToState()),
                        Optional.ofNullable(t.getActorApiKeyId()), t.getChangedAt()));
    }

    public record Transition(CampaignState from, CampaignState to, Optional<UUID> actorApiKeyId, Instant at) {
    }

    // ---- validation: each returns the value to store, or a placeholder after recording a violation ----

    private static String name(String name, Violations v) {
        v.requireText("campaign.name", name, 200);
        return name == null ? "" : name.trim();
    }

    private static UUID id(String field, String text, Violations v) {
        try {
            return Ids.parse(field, text);
        } catch (SwitchboardException.InvalidArgument e) {
            e.violations().forEach(x -> v.add(x.field(), x.reason()));
            return null;
        }
    }

    private static String callerId(String callerId, Violations v) {
        String field = "campaign.caller_id";
        if (callerId == null || callerId.isBlank()) {
            v.add(field, "is required: the E.164 number shown to callees, e.g. +14155550100");
            return "";
        }
        String c = callerId.strip();
        if (!E164.matcher(c).matches()) {
            v.add(field, "must be an E.164 number like +14155550100, got '" + abbreviate(c) + "'");
            return c;
        }
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        try {
            if (!util.isValidNumber(util.parse(c, "ZZ"))) {
                v.add(field, c + " is not a valid phone number in its country's numbering plan");
            }
        } catch (NumberParseException e) {
            v.add(field, "is not a phone number: " + e.getMessage());
        }
        return c;
    }

    private static Instant[] schedule(Optional<Instant> start, Optional<Instant> end, Instant now, Violations v) {
        if (start.isPresent() && end.isPresent() && !start.get().isBefore(end.get())) {
            v.add("campaign.schedule.end_time", "must be after schedule.start_time");
        }
        if (end.isPresent() && !end.get().isAfter(now)) {
            v.add("campaign.schedule.end_time", "is in the past (" + end.get() + "); a campaign cannot be scheduled to end before now");
        }
        return new Instant[] {start.map(CampaignService::micros).orElse(null), end.map(CampaignService::micros).orElse(null)};
    }

    private static CallingWindow window(CampaignSpec.Window w, Violations v) {
        String prefix = "campaign.calling_window.";
        LocalTime start = localTime(prefix + "start_local_time", w.startLocalTime(), CallingWindow.DEFAULT_START, v);
        LocalTime end = localTime(prefix + "end_local_time", w.endLocalTime(), CallingWindow.DEFAULT_END, v);
        if (start != null && end != null && !start.isBefore(end)) {
            v.add(prefix + "end_local_time", "must be after start_local_time (" + HH_MM.format(start)
                    + "); windows that span midnight are not supported");
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (int i = 0; i < w.daysOfWeek().size(); i++) {
            int d = w.daysOfWeek().get(i);
            if (d < 1 || d > 7) {
                v.add(prefix + "days_of_week[" + i + "]", "must be an ISO day 1 (Monday) to 7 (Sunday), got " + d);
            } else if (!days.add(DayOfWeek.of(d))) {
                v.add(prefix + "days_of_week[" + i + "]", "day " + d + " is listed twice");
            }
        }
        String zone = w.fallbackTimeZone() == null ? "" : w.fallbackTimeZone().strip();
        if (!zone.isEmpty()) {
            try {
                zone = ZoneId.of(zone).getId();
            } catch (DateTimeException e) {
                v.add(prefix + "fallback_time_zone", "is not an IANA time zone like America/Chicago: '" + abbreviate(zone) + "'");
            }
        }
        if (start == null || end == null || !start.isBefore(end) || !v.isEmpty()) {
            return null;
        }
        return new CallingWindow(start, end, days, zone);
    }

    private static LocalTime localTime(String field, String text, LocalTime dflt, Violations v) {
        if (text == null || text.isBlank()) {
            return dflt;
        }
        try {
            return LocalTime.parse(text.strip(), HH_MM);
        } catch (DateTimeParseException e) {
            v.add(field, "must be HH:MM on a 24-hour clock, e.g. 08:00, got '" + abbreviate(text) + "'");
            return null;
        }
    }

    private static int concurrency(int n, Violations v) {
        if (n == 0) {
            return 1;
        }
        if (n < 1 || n > MAX_CONCURRENCY) {
            v.add("campaign.max_concurrency", "must be between 1 and " + MAX_CONCURRENCY + " (0 means 1), got " + n);
        }
        return n;
    }

    private static RetryPolicy retry(CampaignSpec.Retry r, Violations v) {
        String prefix = "campaign.retry_policy.";
        int attempts = r.maxAttempts() == 0 ? RetryPolicy.DEFAULT.maxAttempts() : r.maxAttempts();
        if (attempts < 1 || attempts > RetryPolicy.MAX_ATTEMPTS) {
            v.add(prefix + "max_attempts", "must be between 1 and " + RetryPolicy.MAX_ATTEMPTS + ", got " + attempts);
        }
        Duration delay = r.retryDelay().orElse(RetryPolicy.DEFAULT.retryDelay());
        if (delay.isNegative() || delay.compareTo(RetryPolicy.MAX_DELAY) > 0) {
            v.add(prefix + "retry_delay", "must be between 0 and " + RetryPolicy.MAX_DELAY.toDays() + " days, got " + delay);
        }
        Set<RetryPolicy.Outcome> on = r.retryOn().isEmpty() ? RetryPolicy.DEFAULT.retryOn() : new HashSet<>();
        for (int i = 0; i < r.retryOn().size(); i++) {
            RetryPolicy.Outcome o = r.retryOn().get(i);
            if (o == null) {
                v.add(prefix + "retry_on[" + i + "]", "must be OUTCOME_BUSY, OUTCOME_NO_ANSWER, OUTCOME_FAILED or OUTCOME_VOICEMAIL");
            } else {
                on.add(o);
            }
        }
        return new RetryPolicy(attempts, delay, on);
    }

    private static DialingRules dialing(CampaignSpec.Dialing d, Violations v) {
        String prefix = "campaign.dialing_rules.";
        int perDay = d.maxAttemptsPerDay() == 0 ? DialingRules.DEFAULT_ATTEMPTS_PER_DAY : d.maxAttemptsPerDay();
        if (perDay < 1 || perDay > DialingRules.MAX_ATTEMPTS_PER_DAY) {
            v.add(prefix + "max_attempts_per_day", "must be between 1 and " + DialingRules.MAX_ATTEMPTS_PER_DAY
                    + " (0 means " + DialingRules.DEFAULT_ATTEMPTS_PER_DAY + "), got " + perDay);
        }
        if (d.holidays().size() > DialingRules.MAX_HOLIDAYS) {
            v.add(prefix + "holidays", "at most " + DialingRules.MAX_HOLIDAYS + " dates, got " + d.holidays().size());
        }
        Set<LocalDate> holidays = new HashSet<>();
        for (int i = 0; i < d.holidays().size(); i++) {
            String text = d.holidays().get(i) == null ? "" : d.holidays().get(i).strip();
            try {
                if (!holidays.add(LocalDate.parse(text))) {
                    v.add(prefix + "holidays[" + i + "]", "'" + text + "' is listed twice");
                }
            } catch (DateTimeParseException e) {
                v.add(prefix + "holidays[" + i + "]", "must be a date YYYY-MM-DD, got '" + abbreviate(text) + "'");
            }
        }
        return new DialingRules(d.requireConsent(), perDay, holidays);
    }

    private static List<String> codes(List<String> codes, Violations v) {
        if (codes.size() > MAX_DISPOSITION_CODES) {
            v.add("campaign.disposition_codes", "at most " + MAX_DISPOSITION_CODES + " codes, got " + codes.size());
        }
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
            String c = codes.get(i);
            if (!CODE.matcher(c).matches()) {
                v.add("campaign.disposition_codes[" + i + "]",
                        "must be lower_snake_case, start with a letter and be at most 64 characters, got '" + abbreviate(c) + "'");
            } else if (!seen.add(c)) {
                v.add("campaign.disposition_codes[" + i + "]", "'" + c + "' is listed twice");
            } else {
                out.add(c);
            }
        }
        return out;
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
        return Arrays.stream(CampaignState.values()).filter(CampaignState::isUnfinished).map(CampaignService::dbState).toList();
    }

    private static CampaignsRecord fetch(DSLContext tx, Principal actor, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(CAMPAIGNS).where(CAMPAIGNS.ID.eq(id)).and(live(actor));
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("campaign", id.toString()));
    }

    private static void setWindow(CampaignsRecord r, CallingWindow w) {
        Short[] days = w.days().size() == 7 ? new Short[0]
                : w.days().stream().map(d -> (short) d.getValue()).sorted().toArray(Short[]::new);
        r.setWindowStart(w.start()).setWindowEnd(w.end()).setWindowDays(days).setFallbackTimeZone(w.fallbackTimeZone());
    }

    private static void setDialing(CampaignsRecord r, DialingRules d) {
        r.setRequireConsent(d.requireConsent()).setMaxAttemptsPerDay(d.maxAttemptsPerDay())
                .setHolidays(d.holidays().toArray(LocalDate[]::new));
    }

    private static void setRetry(CampaignsRecord r, RetryPolicy p) {
        r.setRetryMaxAttempts(p.maxAttempts()).setRetryDelay(YearToSecond.valueOf(p.retryDelay()))
                .setRetryOn(p.retryOn().stream().sorted().map(RetryPolicy.Outcome::dbName).toArray(String[]::new));
    }

    /** A campaign as stored (for the call guards, which read it in their own transaction). */
    public static Campaign toDomain(CampaignsRecord r) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (Short d : r.getWindowDays()) {
            days.add(DayOfWeek.of(d));
        }
        Set<RetryPolicy.Outcome> on = EnumSet.noneOf(RetryPolicy.Outcome.class);
        for (String o : r.getRetryOn()) {
            on.add(RetryPolicy.Outcome.fromDb(o));
        }
        return new Campaign(r.getId(), r.getOrganizationId(), r.getName(), r.getAgentId(), r.getContactListId(),
                r.getCallerId(), domainState(r.getState()), Optional.ofNullable(r.getScheduleStart()),
                Optional.ofNullable(r.getScheduleEnd()),
                new CallingWindow(r.getWindowStart(), r.getWindowEnd(), days, r.getFallbackTimeZone()),
                r.getMaxConcurrency(), new RetryPolicy(r.getRetryMaxAttempts(), r.getRetryDelay().toDuration(), on),
                List.of(r.getDispositionCodes()), r.getCreatedAt(), r.getUpdatedAt(),
                Optional.ofNullable(r.getStartedAt()), Optional.ofNullable(r.getEndedAt()),
                new DialingRules(r.getRequireConsent(), r.getMaxAttemptsPerDay(), Set.of(r.getHolidays())));
    }

    static io.switchboard.db.enums.CampaignState dbState(CampaignState s) {
        return io.switchboard.db.enums.CampaignState.valueOf(s.name().toLowerCase(Locale.ROOT));
    }

    static CampaignState domainState(io.switchboard.db.enums.CampaignState s) {
        return CampaignState.valueOf(s.name().toUpperCase(Locale.ROOT));
    }

    private static List<CampaignState> sorted(Set<CampaignState> states) {
        return states.stream().sorted().toList();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    private static Instant micros(Instant i) {
        return i.truncatedTo(ChronoUnit.MICROS);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
