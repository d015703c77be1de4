package io.switchboard.conversation;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentService;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.calls.TurnTiming;
import io.switchboard.campaigns.Campaign;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.common.SwitchboardException;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.contacts.Contact;
import io.switchboard.contacts.ContactService;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.conversation.greeting.PreparedGreeting;
import io.switchboard.conversation.greeting.PreparedGreetings;
import io.switchboard.messaging.FollowUps;
import io.switchboard.summaries.ModelUsage;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.usage.UsageService;

/**
 * {@link ConversationRecords} in the platform's own stores: the call's pinned agent version, its contact and
 * campaign, the agent's sentences as transcript segments of channel 0 (the caller's come from the recogniser on
 * channel 1), the captured variables and disposition in the call's summary row as they are decided
 * ({@link CallService#saveLiveOutcome}), a do-not-call request on the organisation's list, the texts the agent sends
 * as follow-ups of the call ({@link FollowUps#duringCall}), and what the conversation
 * used as usage facts keyed by the call ({@code conversation:<call id>}), so nothing is metered twice.
 */
public final class StoredConversations implements ConversationRecords {

    private static final Logger LOG = Logger.getLogger(StoredConversations.class.getName());
    private static final String WHO = "system:conversation";

    private final CallService calls;
    private final AgentService agents;
    private final ContactService contacts;
    private final CampaignService campaigns;
    private final DoNotCall doNotCall;
    private final UsageService usage;
    private final Optional<FollowUps> followUps;
    private final Optional<PreparedGreetings> greetings;

    public StoredConversations(CallService calls, AgentService agents, ContactService contacts,
                               CampaignService campaigns, DoNotCall doNotCall, UsageService usage) {
        this(calls, agents, contacts, campaigns, doNotCall, usage, Optional.empty(), Optional.empty());
    }

    /**
     * @param followUps sends and records the texts the agents send during calls; empty: every text is refused
     * @param greetings where the dialer leaves greetings synthesised while campaign calls ring
     */
    public StoredConversations(CallService calls, AgentService agents, ContactService contacts,
                               CampaignService campaigns, DoNotCall doNotCall, UsageService usage,
                               Optional<FollowUps> followUps, Optional<PreparedGreetings> greetings) {
        this.followUps = followUps;
        this.greetings = greetings;
        this.calls = calls;
        this.agents = agents;
        this.contacts = contacts;
        this.campaigns = campaigns;
        this.doNotCall = doNotCall;
        this.usage = usage;
    }

    @Override
    public Conversation conversation(Call call) {
        UUID org = call.organizationId();
        Agent agent = agents.version(org, call.agentId(), call.agentVersion()).orElseThrow(() ->
                new IllegalStateException("agent " + call.agentId() + " v" + call.agentVersion() + " is gone"));
        Principal reader = Principal.system(org, Role.VIEWER, WHO);
        Optional<Campaign> campaign = call.campaignId().map(id -> campaigns.get(reader, id.toString()));
        return conversation(call.id(), agent, call.contactId(), campaign,
                call.direction() == Call.Direction.INBOUND ? call.fromNumber() : call.toNumber(), call.startedAt());
    }

    /**
     * The conversation a campaign call to {@code contactId} will start from, before it has a call (while it rings:
     * {@link io.switchboard.conversation.greeting.RingingGreeter}): the campaign's agent as it is now.
     */
    public Conversation ringing(UUID org, UUID campaignId, UUID contactId, java.time.Instant at) {
        Principal reader = Principal.system(org, Role.VIEWER, WHO);
        Campaign campaign = campaigns.get(reader, campaignId.toString());
        Agent agent = agents.get(reader, campaign.agentId().toString(), 0);
        return conversation(UUID.randomUUID(), agent, Optional.of(contactId), Optional.of(campaign), "", at);
    }

    private Conversation conversation(UUID callId, Agent agent, Optional<UUID> contactId, Optional<Campaign> campaign,
                                      String number, java.time.Instant at) {
        UUID org = agent.organizationId();
        Principal reader = Principal.system(org, Role.VIEWER, WHO);
        Optional<Contact> contact = contactId.map(id -> contacts.get(reader, id.toString()));
        Map<String, String> fields = contact.map(Conversation::contactFields).orElseGet(() ->
                Map.of("phone_number", number));
        ZoneId zone = contact.map(Contact::timeZone).filter(z -> !z.isBlank()).map(ZoneId::of)
                .orElse(ZoneOffset.UTC);
        return new Conversation(callId, calls.hipaaMode(org), agent, fields,
                campaign.map(Campaign::name).orElse(""), campaign.map(Campaign::dispositionCodes).orElse(List.of()),
                ZonedDateTime.ofInstant(at, zone));
    }

    @Override
    public Optional<PreparedGreeting> preparedGreeting(Call call) {
        return greetings.flatMap(g -> g.take(call.organizationId(), call.id()));
    }

    @Override
    public void agentTurn(Call call, int seq, long startMs, long endMs, String text, boolean interrupted) {
        calls.saveSegment(call.organizationId(), call.id(), new TranscriptSegment(0, seq, "agent", startMs,
                Math.max(startMs, endMs), text, List.of(), "live", interrupted));
    }

    @Override
    public void outcome(Call call, Map<String, Object> variables, Optional<String> disposition) {
        Map<String, String> text = new LinkedHashMap<>();
        variables.forEach((k, v) -> text.put(k, stored(v)));
        calls.saveLiveOutcome(call.organizationId(), call.id(), text, disposition);
    }

    /** As the summary stage stores captured values: plain numbers, ISO dates, true/false. */
    static String stored(Object v) {
        return switch (v) {
            case BigDecimal n -> n.toPlainString();
            default -> String.valueOf(v);
        };
    }

    @Override
    public void doNotCall(Call call) {
        String number = call.direction() == Call.Direction.INBOUND ? call.fromNumber() : call.toNumber();
        if (number == null || number.isBlank()) {
            LOG.warning(() -> "call " + call.id() + ": the caller asked not to be called, but the call has no number");
            return;
        }
        doNotCall.add(Principal.system(call.organizationId(), Role.AGENT, WHO), List.of(number), "US",
                "asked on call " + call.id(), "opt-out");
    }

    @Override
    public SmsResult sendSms(Call call, String template, String from, String nodeId) {
        if (followUps.isEmpty()) {
            return ConversationRecords.super.sendSms(call, template, from, nodeId);
        }
        try {
            FollowUps.DuringCall d = followUps.get().duringCall(call, template, from, nodeId);
            FollowUps.Outcome o = d.outcome();
            return new SmsResult(o.sent(), d.repeated(), o.refusal(), o.detail());
        } catch (SwitchboardException.NotFound e) {
            return SmsResult.refused("not_found", e.getMessage());
        }
    }

    @Override
    public void latency(Call call, TurnLatency l) {
        calls.saveTurnTiming(call.organizationId(), call.id(), new TurnTiming(l.turn(), l.callerEndMs(), l.endpointing(),
                l.recognizerFinal(), l.machineDetection(), l.brain(), l.firstAudio(), l.total(), List.of()));
    }

    @Override
    public void usage(Call call, ConversationUsage used) {
        String key = "conversation:" + call.id();
        meter(call, UsageService.Metric.SYNTHESIZED_CHARACTERS, used.synthesizedCharacters(), key);
        meter(call, UsageService.Metric.RECOGNIZED_MS, used.recognizedMs(), key);
        meter(call, UsageService.Metric.LLM_INPUT_TOKENS, used.llmInputTokens(), key);
        meter(call, UsageService.Metric.LLM_OUTPUT_TOKENS, used.llmOutputTokens(), key);
    }

    /**
     * Tokens of a model request that was still streaming when its call's usage was metered: metered under their own
     * key, on the call's start like the rest of its usage.
     */
    public void lateTokens(UUID organizationId, UUID callId, ModelUsage tokens) {
        calls.find(organizationId, callId).ifPresent(call -> {
            String key = "conversation:" + callId + ":late:" + UUID.randomUUID();
            meter(call, UsageService.Metric.LLM_INPUT_TOKENS, tokens.inputTokens(), key);
            meter(call, UsageService.Metric.LLM_OUTPUT_TOKENS, tokens.outputTokens(), key);
        });
    }

    private void meter(Call call, UsageService.Metric metric, long quantity, String key) {
        if (quantity > 0) {
            usage.record(call.organizationId(), metric, quantity, Optional.of(call.id()), key, call.startedAt());
        }
    }
}
