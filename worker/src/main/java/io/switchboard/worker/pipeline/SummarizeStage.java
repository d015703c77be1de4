package io.switchboard.worker.pipeline;

import static io.switchboard.db.Tables.CAMPAIGNS;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentService;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.summaries.CallSummarizer;
import io.switchboard.summaries.CapturedValue;
import io.switchboard.summaries.NotProduced;
import io.switchboard.summaries.SummaryRequest;
import io.switchboard.summaries.SummaryResult;
import io.switchboard.summaries.Utterance;
import io.switchboard.usage.UsageService;
import org.jooq.DSLContext;

/**
 * Summary, captured variables and disposition in one provider call: the agent version's instructions and
 * variable schema, the campaign's disposition codes. What the provider did not produce is stored with the
 * reason, never filled in. LLM tokens are metered here, once per call.
 */
public final class SummarizeStage implements PipelineStage {

    private final DSLContext dsl;
    private final CallService calls;
    private final AgentService agents;
    private final CallSummarizer summarizer;
    private final Supplier<CallSummarizer> covered;
    private final UsageService usage;

    /**
     * @param covered the summariser for HIPAA-mode organisations when {@code summarizer} is not covered by a
     *                business associate agreement (the in-process one; made on first need)
     */
    public SummarizeStage(DSLContext dsl, CallService calls, AgentService agents, CallSummarizer summarizer,
                          Supplier<CallSummarizer> covered, UsageService usage) {
        this.dsl = dsl;
        this.calls = calls;
        this.agents = agents;
        this.summarizer = summarizer;
        this.covered = covered;
        this.usage = usage;
    }

    @Override
    public String name() {
        return "summarize";
    }

    @Override
    public Result run(CallJob job) {
        Call c = job.call();
        // the agent's live conversation may have kept variables and a disposition already: those stand
        Optional<CallSummary> live = calls.summary(c.organizationId(), c.id());
        if (live.isPresent() && !live.get().provider().equals(CallService.LIVE_PROVIDER)) {
            return Result.done("already summarised");
        }
        Map<String, String> liveVariables = live.map(CallSummary::variables).orElse(Map.of());
        Optional<String> liveDisposition = live.flatMap(CallSummary::disposition);
        List<TranscriptSegment> transcript = calls.transcript(c.organizationId(), c.id());
        if (transcript.isEmpty()) {
            return Result.skipped("no speech was recognised; nothing to summarise");
        }
        Agent agent = agents.version(c.organizationId(), c.agentId(), c.agentVersion())
                .orElseThrow(() -> new IllegalStateException("agent " + c.agentId() + " v" + c.agentVersion() + " is gone"));
        List<String> codes = c.campaignId().map(this::dispositionCodes).orElse(List.of());
        List<Utterance> utterances = transcript.stream().map(s -> new Utterance(speaker(s.speaker()), s.text(),
                s.startMs(), s.endMs())).toList();
        // PHI of a HIPAA-mode organisation goes only to a provider under a BAA (or stays in process)
        CallSummarizer by = calls.hipaaMode(c.organizationId()) && !summarizer.baaCovered() ? covered.get() : summarizer;
        SummaryResult r = by.summarize(new SummaryRequest(utterances, agent.spec().summaryInstructions(),
                agent.spec().variables().stream().filter(v -> !liveVariables.containsKey(v.name())).toList(),
                codes));
        Map<String, String> variables = new LinkedHashMap<>();
        r.variables().forEach((k, v) -> variables.put(k, text(v)));
        variables.putAll(liveVariables);
        Optional<String> disposition = liveDisposition.or(r::disposition);
        Map<String, String> notProduced = new LinkedHashMap<>();
        for (NotProduced np : r.notProduced()) {
            if (!(np.part().equals(NotProduced.DISPOSITION) && liveDisposition.isPresent())) {
                notProduced.put(np.part(), np.reason());
            }
        }
        calls.saveSummary(c.organizationId(), c.id(), new CallSummary(r.summary(), variables, disposition,
                r.provider(), notProduced));
        Optional<UUID> callId = Optional.of(c.id());
        usage.record(c.organizationId(), UsageService.Metric.LLM_INPUT_TOKENS, r.usage().inputTokens(), callId,
                "summarize:" + c.id(), c.endedAt().orElse(c.startedAt()));
        usage.record(c.organizationId(), UsageService.Metric.LLM_OUTPUT_TOKENS, r.usage().outputTokens(), callId,
                "summarize:" + c.id(), c.endedAt().orElse(c.startedAt()));
        return Result.done("by " + r.provider() + (notProduced.isEmpty() ? "" : "; not produced: " + notProduced.keySet()));
    }

    private List<String> dispositionCodes(UUID campaignId) {
        String[] codes = dsl.select(CAMPAIGNS.DISPOSITION_CODES).from(CAMPAIGNS).where(CAMPAIGNS.ID.eq(campaignId))
                .fetchOne(CAMPAIGNS.DISPOSITION_CODES);
        return codes == null ? List.of() : List.of(codes);
    }

    private static String text(CapturedValue v) {
        return switch (v) {
            case CapturedValue.Text t -> t.value();
            case CapturedValue.Number n -> n.value().toPlainString();
            case CapturedValue.Bool b -> Boolean.toString(b.value());
            case CapturedValue.Date d -> d.value().toString();
            case CapturedValue.Choice c -> c.value();
        };
    }

    private static Utterance.Speaker speaker(String s) {
        return switch (s) {
            case "agent" -> Utterance.Speaker.AGENT;
            case "customer" -> Utterance.Speaker.CUSTOMER;
            default -> Utterance.Speaker.UNKNOWN;
        };
    }
}
