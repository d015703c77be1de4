package io.switchboard.worker.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.Stage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.switchboard.common.LogContext;
import io.switchboard.common.Tracing;
import io.switchboard.queue.JobContext;
import io.switchboard.queue.JobHandler;
import io.switchboard.worker.WorkerMetrics;

/**
 * The post-call pipeline as one job per call: its stages run in order, each recorded on the call as
 * running, succeeded, skipped or failed. A rerun (retry, or a crashed worker's job re-claimed) starts at
 * the first stage that has not succeeded, so finished work is not redone and nothing is written twice.
 */
public final class CallPipeline implements JobHandler {

    private static final Logger LOG = Logger.getLogger(CallPipeline.class.getName());

    private static final ObjectMapper JSON = new ObjectMapper();
    private final CallService calls;
    private final List<PipelineStage> stages;

    public CallPipeline(CallService calls, List<PipelineStage> stages) {
        this.calls = calls;
        this.stages = List.copyOf(stages);
    }

    @Override
    public String kind() {
        return CallService.PIPELINE_JOB;
    }

    @Override
    public void handle(JobContext ctx) throws Exception {
        UUID org = ctx.job().organizationId().orElseThrow(() -> new IllegalStateException("pipeline job without an organisation"));
        var payload = JSON.readTree(ctx.job().payloadJson());
        UUID callId = UUID.fromString(payload.path("call_id").asText());
        // one span per attempt, a child of the request that ended the call (its traceparent came with the job)
        Span span = Tracing.tracer().spanBuilder(CallService.PIPELINE_JOB).setSpanKind(SpanKind.CONSUMER)
                .setParent(Tracing.parent(payload.path("traceparent").asText(null)))
                .setAttribute("switchboard.call_id", callId.toString())
                .setAttribute("switchboard.organization_id", org.toString())
                .setAttribute("switchboard.job_id", ctx.job().id().toString())
                .setAttribute("switchboard.attempt", ctx.job().attempts())
                .startSpan();
        Map<String, String> ids = new java.util.LinkedHashMap<>(Tracing.ids(span));
        if (!payload.path("traceparent").isTextual()) { // a job from before tracing: keep its request's trace id
            Optional.ofNullable(payload.path("trace_id").asText(null)).ifPresent(t -> ids.put("trace_id", t));
        }
        ids.putAll(LogContext.of("call_id", callId.toString(), "organization_id", org.toString(),
                "job_id", ctx.job().id().toString()));
        try {
            LogContext.<Void, Exception>call(ids, () -> {
                run(ctx, org, callId, span);
                return null;
            });
        } catch (Exception e) {
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }

    private void run(JobContext ctx, UUID org, UUID callId, Span job) throws Exception {
        for (PipelineStage stage : stages) {
            Map<String, String> states = calls.stages(org, callId).stream()
                    .collect(Collectors.toMap(Stage::name, Stage::state));
            String state = states.getOrDefault(stage.name(), "pending");
            if (state.equals("succeeded") || state.equals("skipped")) {
                continue;
            }
            ctx.checkpoint();
            Optional<Call> found = calls.find(org, callId);
            if (found.isEmpty()) {
                // purged (deleted 30 days ago, its call log expired, or its organisation closed): nothing to do
                LOG.info(() -> "call " + callId + " is gone; its pipeline stops at " + stage.name());
                return;
            }
            Call call = found.get();
            calls.setStage(org, callId, stage.name(), "running", "attempt " + ctx.job().attempts());
            long started = System.nanoTime();
            Span span = Tracing.tracer().spanBuilder("pipeline." + stage.name())
                    .setParent(io.opentelemetry.context.Context.root().with(job)).startSpan();
            try {
                PipelineStage.Result r = stage.run(new CallJob(call, ctx));
                calls.setStage(org, callId, stage.name(), r.skipped() ? "skipped" : "succeeded", r.detail());
                span.setAttribute("switchboard.stage_result", r.skipped() ? "skipped" : "succeeded");
                WorkerMetrics.stage(stage.name(), r.skipped() ? "skipped" : "succeeded",
                        Duration.ofNanos(System.nanoTime() - started));
            } catch (JobContext.LeaseLost e) {
                span.setStatus(StatusCode.ERROR, "lease lost");
                throw e;
            } catch (Exception e) {
                span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
                WorkerMetrics.stage(stage.name(), "failed", Duration.ofNanos(System.nanoTime() - started));
                calls.setStage(org, callId, stage.name(), "failed", e.getClass().getSimpleName() + ": " + e.getMessage()
                        + " (attempt " + ctx.job().attempts() + " of " + ctx.job().maxAttempts() + ")");
                throw e;
            } finally {
                span.end();
            }
        }
    }
}
