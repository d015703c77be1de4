package io.switchboard.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.switchboard.ControlPlane;
import io.switchboard.calls.CallService;
import io.switchboard.conversation.ConversationEngine;
import io.switchboard.conversation.StoredConversations;
import io.switchboard.conversation.greeting.PreparedGreetings;
import io.switchboard.conversation.greeting.RingingGreeter;
import io.switchboard.messaging.MessageCarrier;
import io.switchboard.queue.JobHandler;
import io.switchboard.queue.JobQueue;
import io.switchboard.dialer.DialGuards;
import io.switchboard.dialer.Dialer;
import io.switchboard.dialer.NationalDoNotCall;
import io.switchboard.dialer.Telephony;
import io.switchboard.retention.RetentionSweeper;
import io.switchboard.retention.StorageReconciler;
import io.switchboard.summaries.CallSummarizer;
import io.switchboard.telephony.twilio.MediaStreamCodec;
import io.switchboard.summaries.ExtractiveSummarizer;
import io.switchboard.summaries.Summarizers;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.webhooks.WebhookDeliverer;
import io.switchboard.worker.pipeline.CallJob;
import io.switchboard.worker.pipeline.CallPipeline;
import io.switchboard.worker.pipeline.FollowUpStage;
import io.switchboard.worker.pipeline.PipelineStage;
import io.switchboard.worker.pipeline.RecordingStage;
import io.switchboard.worker.pipeline.SummarizeStage;
import io.switchboard.worker.pipeline.TranscribeStage;
import io.switchboard.worker.maintenance.AbandonedCalls;
import io.switchboard.worker.messaging.SendMessageJob;
import io.switchboard.worker.maintenance.HipaaBackfill;
import io.switchboard.worker.pipeline.UsageStage;

/**
 * A worker process's parts, wired by hand: the job loop running the call pipeline, and a sweeper that ends
 * calls whose server died mid-stream so their audio is still processed. Config keys under {@code worker}.
 */
public final class WorkerRuntime implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WorkerRuntime.class.getName());

    private final WorkerLoop loop;
    private final List<ScheduledExecutorService> schedulers;
    private final WebhookDeliverer deliverer;
    private final Optional<Dialer> dialer;
    private final Optional<ScheduledExecutorService> dialling;

    private WorkerRuntime(WorkerLoop loop, List<ScheduledExecutorService> schedulers, WebhookDeliverer deliverer,
                          Optional<Dialer> dialer, Optional<ScheduledExecutorService> dialling) {
        this.loop = loop;
        this.schedulers = schedulers;
        this.deliverer = deliverer;
        this.dialer = dialer;
        this.dialling = dialling;
    }

    public static WorkerRuntime start(Config config, ControlPlane plane, Optional<SpeechRecognizer> recognizer) {
        return start(config, plane, recognizer, Optional.empty(), NationalDoNotCall.none());
    }

    /**
     * @param telephony the carrier campaigns dial through; without one, running campaigns wait (and the log
     *                  says so)
     * @param national  the national do-not-call registry every campaign call is checked against
     */
    public static WorkerRuntime start(Config config, ControlPlane plane, Optional<SpeechRecognizer> recognizer,
                                      Optional<Telephony> telephony, NationalDoNotCall national) {
        return start(config, plane, recognizer, telephony, national, Optional.empty());
    }

    /**
     * @param texts the carrier texts are handed to; without one, queued texts wait (and the log says so)
     */
    public static WorkerRuntime start(Config config, ControlPlane plane, Optional<SpeechRecognizer> recognizer,
                                      Optional<Telephony> telephony, NationalDoNotCall national,
                                      Optional<MessageCarrier> texts) {
        CallService calls = plane.calls();
        JobQueue queue = plane.jobs();
        Config w = config.get("worker");
        List<PipelineStage> stages = new ArrayList<>();
        stages.add(new RecordingStage(calls, plane.recordings()));
        stages.add(recognizer.<PipelineStage>map(r -> new TranscribeStage(calls, plane.recordings(), r)).orElse(new PipelineStage() {
            @Override
            public String name() {
                return CallService.TRANSCRIBE_STAGE;
            }

            @Override
            public Result run(CallJob job) {
                return Result.skipped("no speech recogniser in this worker (see transcription.* configuration)");
            }
        }));
        CallSummarizer summarizer = Summarizers.fromConfig(config);
        Supplier<CallSummarizer> inProcess = summarizer.baaCovered() ? () -> summarizer
                : memoize(ExtractiveSummarizer::create);
        stages.add(new SummarizeStage(plane.database().dsl(), calls, plane.agents(), summarizer, inProcess, plane.usage()));
        // before usage, the last stage: callers waiting for "usage" see the follow-ups recorded too
        stages.add(new FollowUpStage(plane.followUps()));
        stages.add(new UsageStage(calls, plane.usage()));
        int concurrency = w.get("concurrency").asInt().orElse(0);
        WorkerLoop loop = WorkerLoop.start(queue, plane.database().dataSource(), new WorkerLoop.Settings(
                WorkerLoop.Settings.defaultWorkerId(),
                concurrency > 0 ? concurrency : Runtime.getRuntime().availableProcessors(),
                w.get("lease").as(Duration.class).orElse(Duration.ofSeconds(60)),
                w.get("poll-interval").as(Duration.class).orElse(Duration.ofSeconds(5))),
                handlers(new CallPipeline(calls, stages), texts.map(c -> new SendMessageJob(plane.messaging(), c,
                        plane.clock(), config.get("messaging.per-sender-interval").as(Duration.class)
                        .orElse(Duration.ofSeconds(1))))));
        if (texts.isEmpty()) {
            LOG.info("messaging off: no carrier configured (telephony.*); queued texts wait for a worker that has one");
        }
        AbandonedCalls abandoned = new AbandonedCalls(plane.callRepository(), calls, plane.clock(),
                w.get("abandoned-call-after").as(Duration.class).orElse(Duration.ofMinutes(2)));
        Duration abandonedSweepEvery = abandoned.interval();
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("abandoned-calls").unstarted(r));
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                int n = abandoned.sweep();
                if (n > 0) {
                    LOG.info(() -> n + " abandoned call(s) ended; their audio goes through the pipeline");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "abandoned-call sweep failed", e);
            }
        }, abandonedSweepEvery.toMillis(), abandonedSweepEvery.toMillis(), TimeUnit.MILLISECONDS);
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
        // Request ids of creates are remembered for 24 hours; older rows (and the secrets sealed in them) go.
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                int n = plane.requestIds().sweepExpired();
                if (n > 0) {
                    LOG.fine(() -> n + " expired request id(s) forgotten");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "request-id sweep failed; it is retried next interval", e);
            }
        }, 10, 600, TimeUnit.SECONDS);
        // Retention on threads of its own, so a large backlog never delays the sweeps above. The bound on how
        // late an expired item goes is this interval plus the time to delete what expired within it (README).
        Config r = config.get("retention");
        RetentionSweeper retention = new RetentionSweeper(plane.database().dsl(), plane.clock(), plane.recordings(),
                plane.auditLog(), plane.plans(), plane.webhooks(), r.get("batch").asInt().orElse(500));
        ScheduledExecutorService retentionThreads = Executors.newScheduledThreadPool(2,
                t -> Thread.ofPlatform().daemon().name("retention").unstarted(t));
        Duration sweepEvery = r.get("sweep-interval").as(Duration.class).orElse(Duration.ofSeconds(15));
        // items are stamped when stored: a catalog whose periods changed since the last start re-stamps them
        retentionThreads.execute(() -> {
            try {
                plane.plans().applyCatalogRetention();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "re-stamping stored expiries to the plan catalog failed; the next start retries", e);
            }
        });
        retentionThreads.scheduleWithFixedDelay(() -> {
            try {
                RetentionSweeper.Result done = retention.sweepAll();
                if (done.total() > 0) {
                    LOG.info(() -> "retention: " + done);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "retention sweep failed; it is retried next interval", e);
            }
        }, sweepEvery.toMillis(), sweepEvery.toMillis(), TimeUnit.MILLISECONDS);
        HipaaBackfill backfill = new HipaaBackfill(plane.transcripts(), plane.contentSeal(),
                r.get("batch").asInt().orElse(500));
        retentionThreads.scheduleWithFixedDelay(() -> {
            try {
                HipaaBackfill.Result done = backfill.run();
                if (done.sealed() > 0 || done.rewrapped() > 0) {
                    LOG.info(() -> "encryption: sealed " + done.sealed() + " row(s) of HIPAA-mode content, re-wrapped "
                            + done.rewrapped() + " data key(s) with the current master key");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "sealing or re-wrapping failed; it is retried next interval", e);
            }
        }, 0, sweepEvery.toMillis(), TimeUnit.MILLISECONDS);
        Config wh = config.get("webhooks");
        WebhookDeliverer deliverer = new WebhookDeliverer(plane.database().dsl(), plane.clock(),
                wh.get("timeout").as(Duration.class).orElse(Duration.ofSeconds(10)),
                wh.get("per-endpoint").asInt().orElse(4));
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                deliverer.dispatch();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "webhook dispatch failed; it is retried shortly", e);
            }
        }, 500, wh.get("poll-interval").as(Duration.class).orElse(Duration.ofMillis(500)).toMillis(), TimeUnit.MILLISECONDS);
        StorageReconciler reconciler = new StorageReconciler(plane.database().dsl(), plane.clock(), plane.recordings(),
                r.get("reconcile-settle").as(Duration.class).orElse(Duration.ofHours(1)));
        Duration reconcileEvery = r.get("reconcile-interval").as(Duration.class).orElse(Duration.ofHours(6));
        retentionThreads.scheduleWithFixedDelay(() -> {
            try {
                StorageReconciler.Report rep = reconciler.run();
                if (rep.ran()) {
                    LOG.info(() -> "reconciler: " + rep.objectsScanned() + " object(s) checked, " + rep.orphansDeleted()
                            + " orphan(s) deleted, " + rep.missingObjects().size() + " recording(s) missing from storage");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "storage reconciliation failed; it is retried next interval", e);
            }
        }, reconcileEvery.toMillis(), reconcileEvery.toMillis(), TimeUnit.MILLISECONDS);
        WorkerMetrics.registerGauges(plane.database().dsl(), plane.retention(), List.of(CallService.PIPELINE_JOB, io.switchboard.messaging.MessagingService.SEND_JOB));
        List<ScheduledExecutorService> schedulers = new ArrayList<>(List.of(sweeper, retentionThreads));
        int before = schedulers.size();
        Optional<Dialer> dialer = telephony.map(t -> dialer(config, plane, t, national, schedulers));
        if (telephony.isEmpty()) {
            LOG.info("dialer off: no carrier configured (telephony.*); running campaigns will not place calls");
        }
        return new WorkerRuntime(loop, schedulers, deliverer, dialer,
                schedulers.size() > before ? Optional.of(schedulers.getLast()) : Optional.empty());
    }

    /** The campaign runner on a thread of its own, ticking every {@code dialer.tick-interval}. */
    private static Dialer dialer(Config config, ControlPlane plane, Telephony telephony, NationalDoNotCall national,
                                 List<ScheduledExecutorService> schedulers) {
        Config d = config.get("dialer");
        Dialer.Settings defaults = Dialer.Settings.defaults(WorkerLoop.Settings.defaultWorkerId());
        Dialer dialer = new Dialer(plane.database().dsl(), plane.clock(), plane.plans(), plane.campaigns(),
                plane.dialAttempts(), new DialGuards(national), telephony, new Dialer.Settings(defaults.worker(),
                d.get("sync-interval").as(Duration.class).orElse(defaults.syncInterval()),
                d.get("placing-timeout").as(Duration.class).orElse(defaults.placingTimeout()),
                config.get("telephony.ring-timeout").as(Duration.class).orElse(defaults.ringTimeout()),
                d.get("claim-batch").asInt().orElse(defaults.claimBatch())), whileRinging(config, plane,
                config.get("telephony.ring-timeout").as(Duration.class).orElse(defaults.ringTimeout())));
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("dialer").unstarted(r));
        long every = d.get("tick-interval").as(Duration.class).orElse(Duration.ofMillis(500)).toMillis();
        thread.scheduleWithFixedDelay(() -> {
            try {
                Dialer.Tick t = dialer.tick();
                WorkerMetrics.dialer("placed", t.placed());
                WorkerMetrics.dialer("refused", t.refused());
                WorkerMetrics.dialer("deferred", t.deferred());
                WorkerMetrics.dialer("campaigns_completed", t.completedCampaigns());
                WorkerMetrics.dialer("hung_up", t.hungUp());
                WorkerMetrics.dialer("settled_lost", t.settledLost());
                if (t.placed() + t.refused() + t.completedCampaigns() + t.hungUp() + t.settledLost() > 0) {
                    LOG.info(() -> "dialer: " + t);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dialer tick failed; the next one retries", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        schedulers.add(thread);
        LOG.info(() -> "dialer on: calls go through " + telephony.name() + "; national do-not-call: " + national.describe());
        return dialer;
    }

    /**
     * The greeting of each campaign call, synthesised while it rings and left for the server its audio reaches,
     * unless agents do not talk on the carrier's calls ({@code conversation.carrier-calls} off) or it is turned off
     * ({@code conversation.greet-while-ringing}: the call then synthesises its greeting once answered).
     */
    private static Dialer.WhileRinging whileRinging(Config config, ControlPlane plane, Duration ringTimeout) {
        if (!config.get("conversation.carrier-calls").asBoolean().orElse(true)
                || !config.get("conversation.greet-while-ringing").asBoolean().orElse(true)) {
            return Dialer.WhileRinging.NOTHING;
        }
        PreparedGreetings greetings = new PreparedGreetings(plane.database().dsl(), plane.clock(), plane.plans(),
                plane.contentSeal());
        StoredConversations conversations = new StoredConversations(plane.calls(), plane.agents(), plane.contacts(),
                plane.campaigns(), plane.doNotCall(), plane.usage());
        return new RingingGreeter(conversations, plane.agents().voiceRegistry(), greetings,
                ConversationEngine.playRate(MediaStreamCodec.SAMPLE_RATE), ringTimeout.plus(Duration.ofMinutes(1)),
                plane.clock());
    }

    private static List<JobHandler> handlers(JobHandler pipeline, Optional<JobHandler> texts) {
        List<JobHandler> h = new ArrayList<>(List.of(pipeline));
        texts.ifPresent(h::add);
        return h;
    }

    private static <T> Supplier<T> memoize(Supplier<T> make) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = make.get();
                }
                return value;
            }
        };
    }

    public WorkerLoop loop() {
        return loop;
    }

    /** Places no more calls (a shutdown's first step, while the live calls are hung up); the rest runs on. */
    public void stopDialing() {
        dialling.ifPresent(ScheduledExecutorService::shutdown);
    }

    @Override
    public void close() {
        schedulers.forEach(ScheduledExecutorService::shutdownNow);
        dialer.ifPresent(Dialer::close);
        deliverer.close();
        loop.stop(Duration.ofSeconds(30));
    }
}
