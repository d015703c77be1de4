package io.switchboard.worker;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.switchboard.ControlPlane;
import io.switchboard.calls.CallService;
import io.switchboard.queue.JobQueue;
import io.switchboard.retention.RetentionSweeper;
import io.switchboard.summaries.Summarizers;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.worker.pipeline.CallJob;
import io.switchboard.worker.pipeline.CallPipeline;
import io.switchboard.worker.pipeline.PipelineStage;
import io.switchboard.worker.pipeline.RecordingStage;
import io.switchboard.worker.pipeline.SummarizeStage;
import io.switchboard.worker.pipeline.TranscribeStage;
import io.switchboard.worker.pipeline.UsageStage;

/**
 * A worker process's parts, wired by hand: the job loop running the call pipeline, and a sweeper that ends
 * calls whose server died mid-stream so their audio is still processed. Config keys under {@code worker}.
 */
public final class WorkerRuntime implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WorkerRuntime.class.getName());

    private final WorkerLoop loop;
    private final ScheduledExecutorService sweeper;

    private WorkerRuntime(WorkerLoop loop, ScheduledExecutorService sweeper) {
        this.loop = loop;
        this.sweeper = sweeper;
    }

    public static WorkerRuntime start(Config config, ControlPlane plane, CallService calls, JobQueue queue,
                                      Optional<SpeechRecognizer> recognizer) {
        Config w = config.get("worker");
        List<PipelineStage> stages = new ArrayList<>();
        stages.add(new RecordingStage(calls));
        stages.add(recognizer.<PipelineStage>map(r -> new TranscribeStage(calls, r)).orElse(new PipelineStage() {
            @Override
            public String name() {
                return "transcribe";
            }

            @Override
            public Result run(CallJob job) {
                return Result.skipped("no speech recogniser in this worker (see transcription.* configuration)");
            }
        }));
        stages.add(new SummarizeStage(plane.database().dsl(), calls, plane.agents(), Summarizers.fromConfig(config),
                plane.usage()));
        stages.add(new UsageStage(calls, plane.usage()));
        int concurrency = w.get("concurrency").asInt().orElse(0);
        WorkerLoop loop = WorkerLoop.start(queue, plane.database().dataSource(), new WorkerLoop.Settings(
                WorkerLoop.Settings.defaultWorkerId(),
                concurrency > 0 ? concurrency : Runtime.getRuntime().availableProcessors(),
                w.get("lease").as(Duration.class).orElse(Duration.ofSeconds(60)),
                w.get("poll-interval").as(Duration.class).orElse(Duration.ofSeconds(5))),
                List.of(new CallPipeline(calls, stages)));
        Duration silence = w.get("abandoned-call-after").as(Duration.class).orElse(Duration.ofMinutes(2));
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("abandoned-calls").unstarted(r));
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                int n = calls.failAbandoned(silence);
                if (n > 0) {
                    LOG.info(() -> n + " abandoned call(s) ended; their audio goes through the pipeline");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "abandoned-call sweep failed", e);
            }
        }, 30, 30, TimeUnit.SECONDS);
        // Signed audit checkpoints: any edit older than the last one is caught even if the whole chain
        // after it was re-hashed. Several workers may sign the same head; the second finds it signed.
        Duration every = config.get("audit.checkpoint-interval").as(Duration.class).orElse(Duration.ofHours(1));
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                int n = plane.auditLog().checkpointAll();
                if (n > 0) {
                    LOG.fine(() -> "signed audit checkpoints for " + n + " organisation(s)");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "audit checkpointing failed", e);
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        // Retention: the bound on how late an expired item goes is this interval plus the time to delete
        // what expired within it (README, Retention).
        Config r = config.get("retention");
        RetentionSweeper retention = new RetentionSweeper(plane.database().dsl(), Clock.systemUTC(), calls.recordings(),
                plane.auditLog(), plane.plans(), r.get("batch").asInt().orElse(500));
        Duration sweepEvery = r.get("sweep-interval").as(Duration.class).orElse(Duration.ofSeconds(15));
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                RetentionSweeper.Result done = retention.sweepAll();
                if (done.total() > 0) {
                    LOG.info(() -> "retention: " + done);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "retention sweep failed; it is retried next interval", e);
            }
        }, sweepEvery.toMillis(), sweepEvery.toMillis(), TimeUnit.MILLISECONDS);
        return new WorkerRuntime(loop, sweeper);
    }

    public WorkerLoop loop() {
        return loop;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        loop.stop(Duration.ofSeconds(30));
    }
}
