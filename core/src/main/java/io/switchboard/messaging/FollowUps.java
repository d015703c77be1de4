package io.switchboard.messaging;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.CALL_FOLLOW_UPS;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.FOLLOW_UP_RULES;
import static io.switchboard.db.Tables.MESSAGES;
import static io.switchboard.db.Tables.MESSAGE_TEMPLATES;
import static io.switchboard.db.Tables.MESSAGING_SENDERS;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptStore;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.tables.records.CallFollowUpsRecord;
import io.switchboard.db.tables.records.FollowUpRulesRecord;
import io.switchboard.db.tables.records.MessageTemplatesRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;

/**
 * Follow-up rules of campaigns and agents ("after a call ends with disposition X, or with captured variable V
 * equal to / present, send template T once") and their outcome on each call. A follow-up is sent through
 * {@link MessagingService#send}, so opt-outs, do-not-call, the WhatsApp window, calling hours, tenancy and
 * metering all apply; a refusal is recorded on the call like a send. One row per (call, rule) makes a retried
 * pipeline stage send nothing twice. Texts the agent sends during the call ({@link #duringCall}: a flow's
 * {@code send_sms} node, the LLM's {@code send_sms} tool) are recorded in the same place, once per (call, template).
 */
public final class FollowUps {

    /** Who the audit trail shows for follow-ups the platform sends. */
    public static final String SYSTEM_ACTOR = "system:follow-ups";

    public enum Condition { PRESENT, EQUALS }

    /** A rule as stored. Empty disposition = any; empty variable = no variable condition. */
    public record Rule(UUID id, Optional<UUID> campaignId, Optional<UUID> agentId, String disposition,
                       String variable, Optional<Condition> condition, String value, UUID templateId, String from,
                       Instant createdAt) {
    }

    /** A rule as a client sends it, before validation. */
    public record RuleSpec(String campaignId, String agentId, String disposition, String variable, String condition,
                           String value, String templateId, String from) {
    }

    /** What started a follow-up: a rule once the call had ended, or the agent during the call. */
    public enum Trigger { AFTER_CALL, DURING_CALL }

    /**
     * What one follow-up did for one call: the message it queued, or why it was refused.
     *
     * @param ruleId the rule that sent it; empty for a text the agent sent during the call
     * @param nodeId the flow node that sent a text during the call; empty for the LLM's tool and for rules
     */
    public record Outcome(Optional<UUID> ruleId, UUID templateId, Optional<UUID> messageId, String refusal,
                          String detail, Instant at, Trigger trigger, String nodeId) {
        public boolean sent() {
            return messageId.isPresent();
        }
    }

    /** A text asked for during a call, and whether an earlier ask for the same template had already decided it. */
    public record DuringCall(Outcome outcome, boolean repeated) {
    }

    /** Who the audit trail shows for texts the agent sends during a call. */
    public static final String CALL_ACTOR = "system:conversation";

    private final DSLContext dsl;
    private final Clock clock;
    private final MessagingService messaging;
    private final TranscriptStore transcripts;
    private final AuditSink audit;

    public FollowUps(DSLContext dsl, Clock clock, MessagingService messaging, TranscriptStore transcripts, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.messaging = messaging;
        this.transcripts = transcripts;
        this.audit = audit;
    }

    // ------------------------------------------------------------------ rules

    public Rule create(Principal actor, RuleSpec in) {
        actor.require(Role.ADMIN, "defining follow-ups");
        UUID org = actor.organizationId();
        Violations v = new Violations();
        Optional<UUID> campaignId = Ids.parseOptional("campaign_id", in.campaignId());
        Optional<UUID> agentId = Ids.parseOptional("agent_id", in.agentId());
        Optional<UUID> templateId = Ids.parseOptional("template_id", in.templateId());
        String disposition = nn(in.disposition()).strip();
        String variable = nn(in.variable()).strip();
        String value = nn(in.value());
        if (campaignId.isPresent() == agentId.isPresent()) {
            v.add("campaign_id", "give exactly one of campaign_id and agent_id");
        }
        if (templateId.isEmpty()) {
            v.add("template_id", "is required: the template to send");
        }
        if (disposition.isEmpty() && variable.isEmpty()) {
            v.add("disposition", "give a disposition, a variable, or both: a follow-up needs a condition");
        }
        if (disposition.length() > 64) {
            v.add("disposition", "is longer than 64 characters");
        }
        Optional<Condition> condition = Optional.empty();
        if (!variable.isEmpty()) {
            if (!variable.matches("[a-z][a-z0-9_]{0,63}")) {
                v.add("variable", "must be a captured variable name: lower-case letters, digits and _, starting with a letter");
            }
            String c = nn(in.condition()).strip().toLowerCase(Locale.ROOT);
            switch (c) {
                case "present", "" -> condition = Optional.of(Condition.PRESENT);
                case "equals" -> condition = Optional.of(Condition.EQUALS);
                default -> v.add("condition", "unknown value '" + in.condition() + "': use equals or present");
            }
            if (condition.orElse(null) == Condition.EQUALS && value.isEmpty()) {
                v.add("value", "is required when condition is equals");
            }
            if (condition.orElse(null) == Condition.PRESENT && !value.isEmpty()) {
                v.add("value", "must be empty when condition is present");
            }
            if (value.length() > 500) {
                v.add("value", "is longer than 500 characters");
            }
        } else if (!nn(in.condition()).isBlank() || !value.isEmpty()) {
            v.add("variable", "is required when condition or value is given");
        }
        v.throwIfAny();
        if (campaignId.isPresent()) {
            String[] codes = dsl.select(CAMPAIGNS.DISPOSITION_CODES).from(CAMPAIGNS).where(CAMPAIGNS.ID.eq(campaignId.get()))
                    .and(CAMPAIGNS.ORGANIZATION_ID.eq(org)).fetchOptional(CAMPAIGNS.DISPOSITION_CODES)
                    .orElseThrow(() -> new SwitchboardException.NotFound("campaign", campaignId.get().toString()));
            if (!disposition.isEmpty() && codes != null && codes.length > 0 && !List.of(codes).contains(disposition)) {
                throw new SwitchboardException.InvalidArgument("disposition", "'" + disposition + "' is not one of the"
                        + " campaign's disposition codes " + List.of(codes));
            }
        }
        agentId.ifPresent(id -> {
            if (!dsl.fetchExists(AGENTS, AGENTS.ID.eq(id).and(AGENTS.ORGANIZATION_ID.eq(org)))) {
                throw new SwitchboardException.NotFound("agent", id.toString());
            }
        });
        var template = dsl.selectFrom(MESSAGE_TEMPLATES).where(MESSAGE_TEMPLATES.ID.eq(templateId.get()))
                .and(MESSAGE_TEMPLATES.ORGANIZATION_ID.eq(org)).and(MESSAGE_TEMPLATES.DELETED_AT.isNull()).fetchOptional()
                .orElseThrow(() -> new SwitchboardException.InvalidArgument("template_id", "unknown template "
                        + templateId.get() + ": no live template of the organisation has this id"));
        String from = "";
        if (!nn(in.from()).isBlank()) {
            from = in.from().strip();
            boolean ours = dsl.fetchExists(MESSAGING_SENDERS, MESSAGING_SENDERS.ADDRESS.eq(from)
                    .and(MESSAGING_SENDERS.ORGANIZATION_ID.eq(org)));
            if (!ours) {
                throw new SwitchboardException.InvalidArgument("from", from + " is not a sender number of the organisation");
            }
            if (!Channel.ofAddress(from).key().equals(template.getChannel())) {
                throw new SwitchboardException.InvalidArgument("from", from + " is not on the template's channel ("
                        + template.getChannel() + ")");
            }
        }
        Instant now = clock.instant();
        FollowUpRulesRecord r = dsl.newRecord(FOLLOW_UP_RULES);
        r.setId(Ids.newId());
        r.setOrganizationId(org);
        r.setCampaignId(campaignId.orElse(null));
        r.setAgentId(agentId.orElse(null));
        r.setDisposition(disposition);
        r.setVariable(variable);
        r.setCondition(condition.map(c -> c.name().toLowerCase(Locale.ROOT)).orElse(""));
        r.setValue(value);
        r.setTemplateId(templateId.get());
        r.setFromAddress(from);
        r.setCreatedAt(now);
        r.store();
        audit.record(dsl, AuditEvent.of(actor, "follow_up.create", "follow_up", r.getId(),
                Map.of("template", template.getName()), now));
        return rule(r);
    }

    /** The rules of one campaign or one agent (exactly one of the two ids), oldest first. */
    public List<Rule> list(Principal actor, String campaignIdText, String agentIdText) {
        actor.require(Role.VIEWER, "reading follow-ups");
        Optional<UUID> campaignId = Ids.parseOptional("campaign_id", campaignIdText);
        Optional<UUID> agentId = Ids.parseOptional("agent_id", agentIdText);
        if (campaignId.isPresent() == agentId.isPresent()) {
            throw new SwitchboardException.InvalidArgument("campaign_id", "give exactly one of campaign_id and agent_id");
        }
        var owner = campaignId.isPresent() ? FOLLOW_UP_RULES.CAMPAIGN_ID.eq(campaignId.get())
                : FOLLOW_UP_RULES.AGENT_ID.eq(agentId.get());
        return dsl.selectFrom(FOLLOW_UP_RULES).where(FOLLOW_UP_RULES.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(owner).orderBy(FOLLOW_UP_RULES.CREATED_AT, FOLLOW_UP_RULES.ID).fetch(FollowUps::rule);
    }

    /**
     * Deletes a rule; it sends nothing more. What it did on past calls stays on them ({@link #forCall}), naming
     * the rule's id though the rule is gone; a call whose pipeline has not run yet gets nothing from it.
     */
    public void delete(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting follow-ups");
        UUID id = Ids.parse("id", idText);
        int n = dsl.deleteFrom(FOLLOW_UP_RULES).where(FOLLOW_UP_RULES.ID.eq(id))
                .and(FOLLOW_UP_RULES.ORGANIZATION_ID.eq(actor.organizationId())).execute();
        if (n == 0) {
            throw new SwitchboardException.NotFound("follow_up", id.toString());
        }
        audit.record(dsl, AuditEvent.of(actor, "follow_up.delete", "follow_up", id, Map.of(), clock.instant()));
    }

    private static Rule rule(FollowUpRulesRecord r) {
        return new Rule(r.getId(), Optional.ofNullable(r.getCampaignId()), Optional.ofNullable(r.getAgentId()),
                r.getDisposition(), r.getVariable(), r.getCondition().isEmpty() ? Optional.empty()
                : Optional.of(Condition.valueOf(r.getCondition().toUpperCase(Locale.ROOT))), r.getValue(),
                r.getTemplateId(), r.getFromAddress(), r.getCreatedAt());
    }

    // ------------------------------------------------------------------ per call

    /** What the follow-ups did for a call (during it and after it), in the order they ran. */
    public List<Outcome> forCall(UUID org, UUID callId) {
        return dsl.selectFrom(CALL_FOLLOW_UPS).where(CALL_FOLLOW_UPS.ORGANIZATION_ID.eq(org))
                .and(CALL_FOLLOW_UPS.CALL_ID.eq(callId))
                .orderBy(CALL_FOLLOW_UPS.CREATED_AT, CALL_FOLLOW_UPS.TEMPLATE_ID, CALL_FOLLOW_UPS.RULE_ID)
                .fetch(FollowUps::outcome);
    }

    private static Outcome outcome(CallFollowUpsRecord r) {
        return new Outcome(Optional.ofNullable(r.getRuleId()), r.getTemplateId(), Optional.ofNullable(r.getMessageId()),
                r.getRefusal(), r.getDetail(), r.getCreatedAt(), Trigger.valueOf(r.getTrigger().toUpperCase(Locale.ROOT)),
                r.getNodeId());
    }

    /**
     * Texts the caller template {@code templateRef} (its name or id, in the call's organisation) now, during the
     * call: a flow's {@code send_sms} node ({@code nodeId}) or the LLM's tool ({@code nodeId} empty). The send goes
     * through {@link MessagingService#send} like any other, so opt-outs, do-not-call, marketing consent, the
     * WhatsApp window and the calling window all apply, and its outcome (the message, or the refusal) is recorded
     * on the call as a follow-up with trigger {@link Trigger#DURING_CALL}. Once per template and call: asking
     * again returns the first outcome, sent or refused, and sends nothing.
     *
     * @param from a sender of the organisation; empty for its oldest sender on the template's channel
     * @throws SwitchboardException.NotFound when the organisation never had such a template (nothing recorded)
     */
    public DuringCall duringCall(Call call, String templateRef, String from, String nodeId) {
        UUID org = call.organizationId();
        MessageTemplatesRecord t = TemplateRefs.find(dsl, org, templateRef, true).orElseThrow(() ->
                new SwitchboardException.NotFound("message_template", nn(templateRef)));
        Optional<Outcome> earlier = duringCallRow(org, call.id(), t.getId());
        if (earlier.isPresent()) {
            return new DuringCall(earlier.get(), true);
        }
        Result r;
        if (t.getDeletedAt() != null) {
            r = Result.refused("not_found", "template " + t.getName() + " was deleted after the agent was saved");
        } else {
            r = queued(call, t.getId()).map(Result::sent).orElseGet(() -> send(Principal.system(org, Role.AGENT,
                    CALL_ACTOR), call, t.getId(), nn(from).strip()));
        }
        Outcome o = new Outcome(Optional.empty(), t.getId(), r.messageId(), r.refusal(), r.detail(), clock.instant(),
                Trigger.DURING_CALL, nn(nodeId));
        int stored = store(call, o);
        return stored == 1 ? new DuringCall(o, false)
                : new DuringCall(duringCallRow(org, call.id(), t.getId()).orElse(o), true);
    }

    private Optional<Outcome> duringCallRow(UUID org, UUID callId, UUID templateId) {
        return dsl.selectFrom(CALL_FOLLOW_UPS).where(CALL_FOLLOW_UPS.ORGANIZATION_ID.eq(org))
                .and(CALL_FOLLOW_UPS.CALL_ID.eq(callId)).and(CALL_FOLLOW_UPS.TEMPLATE_ID.eq(templateId))
                .and(CALL_FOLLOW_UPS.TRIGGER.eq("during_call")).fetchOptional().map(FollowUps::outcome);
    }

    /**
     * Runs the rules of the call's campaign and agent against its stored disposition and variables: each rule
     * that matches and has not run for this call yet sends (or records the refusal). Safe to repeat: a rule
     * already recorded is skipped, and a send whose record was lost to a crash is found by its call and
     * template and recorded instead of sent again.
     *
     * @return the outcomes of this run (not those of earlier runs)
     */
    public List<Outcome> run(Call call) {
        UUID org = call.organizationId();
        var owners = FOLLOW_UP_RULES.AGENT_ID.eq(call.agentId());
        if (call.campaignId().isPresent()) {
            owners = owners.or(FOLLOW_UP_RULES.CAMPAIGN_ID.eq(call.campaignId().get()));
        }
        List<Rule> rules = dsl.selectFrom(FOLLOW_UP_RULES).where(FOLLOW_UP_RULES.ORGANIZATION_ID.eq(org)).and(owners)
                .and(FOLLOW_UP_RULES.ID.notIn(dsl.select(CALL_FOLLOW_UPS.RULE_ID).from(CALL_FOLLOW_UPS)
                        .where(CALL_FOLLOW_UPS.CALL_ID.eq(call.id())).and(CALL_FOLLOW_UPS.RULE_ID.isNotNull())))
                .orderBy(FOLLOW_UP_RULES.CREATED_AT, FOLLOW_UP_RULES.ID).fetch(FollowUps::rule);
        if (rules.isEmpty()) {
            return List.of();
        }
        Optional<CallSummary> summary = transcripts.summary(org, call.id());
        Optional<String> disposition = summary.flatMap(CallSummary::disposition);
        Map<String, String> variables = summary.map(CallSummary::variables).orElse(Map.of());
        Principal platform = Principal.system(org, Role.AGENT, SYSTEM_ACTOR);
        List<Outcome> out = new ArrayList<>();
        for (Rule rule : rules) {
            if (!matches(rule, disposition, variables)) {
                continue;
            }
            // a text of this template already queued for the call (by the agent during it, or by a run that
            // crashed before recording) is this rule's too: the person gets it once
            Result r = queued(call, rule.templateId()).map(Result::sent)
                    .orElseGet(() -> send(platform, call, rule.templateId(), rule.from()));
            Outcome o = new Outcome(Optional.of(rule.id()), rule.templateId(), r.messageId(), r.refusal(), r.detail(),
                    clock.instant(), Trigger.AFTER_CALL, "");
            if (store(call, o) == 1) {
                out.add(o);
            }
        }
        return out;
    }

    /** Whether a call with this disposition and these captured variables triggers {@code rule}. */
    static boolean matches(Rule rule, Optional<String> disposition, Map<String, String> variables) {
        if (!rule.disposition().isEmpty() && !disposition.filter(rule.disposition()::equals).isPresent()) {
            return false;
        }
        if (rule.variable().isEmpty()) {
            return true;
        }
        String captured = variables.get(rule.variable());
        return switch (rule.condition().orElse(Condition.PRESENT)) {
            case PRESENT -> captured != null && !captured.isEmpty();
            case EQUALS -> rule.value().equals(captured);
        };
    }

    private Optional<UUID> queued(Call call, UUID templateId) {
        return dsl.select(MESSAGES.ID).from(MESSAGES).where(MESSAGES.ORGANIZATION_ID.eq(call.organizationId()))
                .and(MESSAGES.CALL_ID.eq(call.id())).and(MESSAGES.TEMPLATE_ID.eq(templateId))
                .and(MESSAGES.DIRECTION.eq("outbound")).limit(1).fetchOptional(MESSAGES.ID);
    }

    /** Stores an outcome on the call; 0 when one with the same key (call and rule, or call and template) exists. */
    private int store(Call call, Outcome o) {
        return dsl.insertInto(CALL_FOLLOW_UPS).set(CALL_FOLLOW_UPS.CALL_ID, call.id())
                .set(CALL_FOLLOW_UPS.ORGANIZATION_ID, call.organizationId())
                .set(CALL_FOLLOW_UPS.RULE_ID, o.ruleId().orElse(null)).set(CALL_FOLLOW_UPS.TEMPLATE_ID, o.templateId())
                .set(CALL_FOLLOW_UPS.MESSAGE_ID, o.messageId().orElse(null))
                .set(CALL_FOLLOW_UPS.REFUSAL, o.refusal()).set(CALL_FOLLOW_UPS.DETAIL, abbreviate(o.detail(), 1000))
                .set(CALL_FOLLOW_UPS.TRIGGER, o.trigger().name().toLowerCase(Locale.ROOT))
                .set(CALL_FOLLOW_UPS.NODE_ID, o.nodeId())
                .set(CALL_FOLLOW_UPS.CREATED_AT, o.at()).onConflictDoNothing().execute();
    }

    /** A send's result: the message queued, or the refusal's reason and detail. */
    private record Result(Optional<UUID> messageId, String refusal, String detail) {
        static Result sent(UUID messageId) {
            return new Result(Optional.of(messageId), "", "");
        }

        static Result refused(String reason, String detail) {
            return new Result(Optional.empty(), reason, detail == null ? "" : detail);
        }
    }

    /** Texts the call's person {@code templateId} from {@code from} (empty: the default sender). */
    private Result send(Principal platform, Call call, UUID templateId, String from) {
        UUID org = call.organizationId();
        String person = nn(call.direction() == Call.Direction.OUTBOUND ? call.toNumber() : call.fromNumber());
        if (call.contactId().isEmpty() && person.isBlank()) {
            return Result.refused("no_recipient", "the call has neither a contact nor the person's number");
        }
        Optional<String> sender = from.isEmpty() ? defaultSender(org, templateId) : Optional.of(from);
        if (sender.isEmpty()) {
            return Result.refused("no_sender", "the organisation has no sender number on the template's channel");
        }
        var request = new MessagingService.SendRequest(call.contactId().map(UUID::toString).orElse(""),
                call.contactId().isPresent() ? "" : person, sender.get(), "", templateId.toString(),
                call.id().toString(), call.campaignId().map(UUID::toString).orElse(""), Map.of());
        try {
            return Result.sent(messaging.send(platform, request).id());
        } catch (SwitchboardException.FailedPrecondition e) {
            return Result.refused(e.type().toLowerCase(Locale.ROOT), unnamed(e.getMessage(), person));
        } catch (SwitchboardException.InvalidArgument e) {
            return Result.refused("invalid", unnamed(e.getMessage(), person));
        } catch (SwitchboardException.NotFound e) {
            return Result.refused("not_found", unnamed(e.getMessage(), person));
        }
    }

    /** The refusal without the person's number: the record outlives an erasure of the contact. */
    private static String unnamed(String detail, String phone) {
        return detail == null ? "" : phone.isEmpty() ? detail : detail.replace(phone, "the recipient");
    }

    private Optional<String> defaultSender(UUID org, UUID templateId) {
        return dsl.select(MESSAGING_SENDERS.ADDRESS).from(MESSAGING_SENDERS).join(MESSAGE_TEMPLATES)
                .on(MESSAGE_TEMPLATES.CHANNEL.eq(MESSAGING_SENDERS.CHANNEL))
                .where(MESSAGING_SENDERS.ORGANIZATION_ID.eq(org)).and(MESSAGE_TEMPLATES.ID.eq(templateId))
                .and(MESSAGE_TEMPLATES.ORGANIZATION_ID.eq(org))
                .orderBy(MESSAGING_SENDERS.CREATED_AT, MESSAGING_SENDERS.ID).limit(1).fetchOptional(MESSAGING_SENDERS.ADDRESS);
    }

    private static String nn(String s) {
        return s == null ? "" : s;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
