package io.switchboard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.helidon.config.Config;
import io.switchboard.devtools.DevStack;
import io.switchboard.audio.Wav;
import io.switchboard.sdk.ApiKeyCredentials;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.PlanOverrides;
import io.switchboard.v1.PlanServiceGrpc;
import io.switchboard.v1.SetPlanOverridesRequest;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;

/**
 * Load on one API server with two workers, loopback only, bounded in time: {@code clients} concurrent
 * callers of a unary RPC ({@code GetCampaign}: API-key authentication, rate limiting, audit-free read of one
 * row) for {@code seconds}, reported as throughput, p50/p99/p99.9 latency and error rate; first against a
 * bare grpc-java server answering the same RPC shape from memory (what the transport alone costs on this
 * machine, in the same run), then against Switchboard, then against Switchboard while {@code streams} live
 * calls stream real speech in real time (and are transcribed live, recorded, and run through the pipeline by
 * the two workers). The organisation's rate limit is lifted by a contract override so the server, not the
 * limiter, is measured.
 * Usage: ./switchboard bench LoadBenchmark [clients] [seconds] [streams]
 */
public final class LoadBenchmark {

    private static final Path SPEECH = Path.of("/usr/share/pocketsphinx/test/data/librivox/"
            + "sense_and_sensibility_01_austen_64kb-0870.wav");

    private LoadBenchmark() {
    }

    /** What one load phase measured. */
    record Result(String name, long ok, long errors, Map<String, Long> codes, double seconds, long[] latenciesNanos) {

        double perSecond() {
            return ok / seconds;
        }

        double percentileMs(double p) {
            if (latenciesNanos.length == 0) {
                return Double.NaN;
            }
            return latenciesNanos[Math.min(latenciesNanos.length - 1, (int) Math.ceil(p * latenciesNanos.length) - 1)] / 1e6;
        }

        String line() {
            return String.format("%-44s %9.0f req/s   p50 %6.2f ms   p99 %6.2f ms   p99.9 %7.2f ms   errors %.3f%% %s",
                    name, perSecond(), percentileMs(0.50), percentileMs(0.99), percentileMs(0.999),
                    100.0 * errors / Math.max(1, ok + errors), errors == 0 ? "" : codes.toString());
        }
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int streams = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        Config config = Bench.devStack("load-bench", Map.of("dev.softphone.enabled", "false",
                "calls.idle-timeout", "PT120S", "transcription.pool-size", Integer.toString(streams)));
        System.out.printf("%d clients, %d s per phase (after a warm-up to stable throughput), %d live streams in the last"
                + " phase, %d cores%n",
                clients, seconds, streams, Runtime.getRuntime().availableProcessors());
        try (DevStack stack = DevStack.start(config)) {
            AutoCloseable second = stack.startExtraWorker();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
            CallCredentials op = ApiKeyCredentials.of(stack.operatorKey());
            var created = OrganizationServiceGrpc.newBlockingStub(channel).withCallCredentials(op).createOrganization(
                    CreateOrganizationRequest.newBuilder().setName("Load").setPlanId("enterprise")
                            .setOwnerEmail("ops@load.example").build());
            PlanServiceGrpc.newBlockingStub(channel).withCallCredentials(op).setPlanOverrides(SetPlanOverridesRequest
                    .newBuilder().setOrganizationId(created.getOrganization().getId()).setOverrides(PlanOverrides.newBuilder()
                            .setApiRequestsPerSecond(1_000_000).setApiBurst(1_000_000)).build());
            CallCredentials key = ApiKeyCredentials.of(created.getOwnerApiKey().getSecret());
            String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(key).createAgent(
                    CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("A").setLanguage("en-US")).build())
                    .getId();
            String list = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(key).createContactList(
                    CreateContactListRequest.newBuilder().setContactList(ContactList.newBuilder().setName("L")).build()).getId();
            Campaign campaign = CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(key).createCampaign(
                    CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder().setName("C").setAgentId(agent)
                            .setContactListId(list).setCallerId("+14155550100")).build());
            GetCampaignRequest get = GetCampaignRequest.newBuilder().setId(campaign.getId()).build();

            Server bare = NettyServerBuilder.forPort(0).addService(new CampaignServiceGrpc.CampaignServiceImplBase() {
                @Override
                public void getCampaign(GetCampaignRequest req, StreamObserver<Campaign> out) {
                    out.onNext(campaign);
                    out.onCompleted();
                }
            }).build().start();
            ManagedChannel bareChannel = NettyChannelBuilder.forAddress("127.0.0.1", bare.getPort()).usePlaintext().build();
            List<Result> results = new ArrayList<>();
            try {
                results.add(load("bare grpc-java, GetCampaign from memory", clients, seconds,
                        () -> CampaignServiceGrpc.newBlockingStub(bareChannel).getCampaign(get)));
                System.out.println(results.getLast().line());
                var stub = CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(key);
                results.add(load("Switchboard, GetCampaign", clients, seconds, () -> stub.getCampaign(get)));
                System.out.println(results.getLast().line());
                Streams live = Streams.start(channel, key, agent, streams);
                results.add(load("Switchboard, GetCampaign + " + streams + " live calls", clients, seconds,
                        () -> stub.getCampaign(get)));
                System.out.println(results.getLast().line());
                System.out.println(live.stop());
            } finally {
                bareChannel.shutdownNow();
                bare.shutdownNow();
                channel.shutdownNow();
            }
            second.close();
            System.out.println();
            System.out.println("| phase | req/s | of bare grpc-java | p50 ms | p99 ms | p99.9 ms | errors |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|");
            for (Result r : results) {
                System.out.printf("| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.3f %% |%n", r.name(), r.perSecond(),
                        r.perSecond() / results.getFirst().perSecond(),
                        r.percentileMs(0.5), r.percentileMs(0.99), r.percentileMs(0.999),
                        100.0 * r.errors() / Math.max(1, r.ok() + r.errors()));
            }
        }
    }

    /**
     * {@code clients} virtual threads calling {@code rpc} back to back: warmed up in 5 s windows until two in a row
     * are within 5 % of each other in throughput (the JIT has settled; at most 60 s), then {@code seconds} measured.
     */
    static Result load(String name, int clients, int seconds, Runnable rpc) throws InterruptedException {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder errors = new LongAdder();
        LongAdder completed = new LongAdder();
        Map<String, Long> codes = new ConcurrentHashMap<>();
        List<long[]> perClient = new ArrayList<>();
        List<AtomicLong> counts = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(clients);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                long[][] buf = {new long[1 << 16]};
                AtomicLong n = new AtomicLong();
                counts.add(n);
                threads.submit(() -> {
                    try {
                        while (!stop.get()) {
                            long t0 = System.nanoTime();
                            boolean ok;
                            try {
                                rpc.run();
                                ok = true;
                            } catch (StatusRuntimeException e) {
                                ok = false;
                                if (measuring.get()) {
                                    errors.increment();
                                    codes.merge(e.getStatus().getCode().name(), 1L, Long::sum);
                                }
                            }
                            long took = System.nanoTime() - t0;
                            if (ok) {
                                completed.increment();
                            }
                            if (ok && measuring.get()) {
                                int i = (int) n.getAndIncrement();
                                if (i >= buf[0].length) {
                                    buf[0] = Arrays.copyOf(buf[0], buf[0].length * 2);
                                }
                                buf[0][i] = took;
                            }
                        }
                    } finally {
                        synchronized (perClient) {
                            perClient.add(Arrays.copyOf(buf[0], (int) n.get()));
                        }
                        done.countDown();
                    }
                });
            }
            List<Long> windows = new ArrayList<>();
            long warmStart = System.nanoTime();
            do {
                long before = completed.sum();
                Thread.sleep(5000);
                windows.add((completed.sum() - before) / 5);
            } while (System.nanoTime() - warmStart < 60_000_000_000L && (windows.size() < 2
                    || Math.abs(windows.getLast() - windows.get(windows.size() - 2))
                    > 0.05 * windows.get(windows.size() - 2)));
            System.out.println("  warm-up " + name + ", req/s per 5 s window: " + windows);
            measuring.set(true);
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            measuring.set(false);
            double took = (System.nanoTime() - t0) / 1e9;
            stop.set(true);
            done.await(30, TimeUnit.SECONDS);
            long[] all = perClient.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return new Result(name, all.length, errors.sum(), Map.copyOf(codes), took, all);
        }
    }

    /** Live calls looping a real recording in real time (20 ms frames), one after another per stream. */
    static final class Streams {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final LongAdder calls = new LongAdder();
        private final LongAdder failed = new LongAdder();
        private final LongAdder transcriptEvents = new LongAdder();
        private final LongAdder lateFrames = new LongAdder();
        /** Hang-up to the server's answer, ms: how far live decoding had fallen behind the audio. */
        private final List<Long> endWaitsMs = java.util.Collections.synchronizedList(new ArrayList<>());
        private final CountDownLatch done;

        private Streams(int n) {
            this.done = new CountDownLatch(n);
        }

        static Streams start(ManagedChannel channel, CallCredentials key, String agent, int n) throws IOException {
            byte[] wav = Files.readAllBytes(SPEECH);
            Wav.Header h = Wav.parse(wav, wav.length).orElseThrow();
            byte[] pcm = Arrays.copyOfRange(wav, h.headerLength(), (int) Math.min(wav.length, h.headerLength() + h.dataLength()));
            int frame = h.format().sampleRate() / 50 * h.format().bytesPerFrame();
            Streams s = new Streams(n);
            var async = CallServiceGrpc.newStub(channel).withCallCredentials(key);
            for (int i = 0; i < n; i++) {
                Thread.ofVirtual().start(() -> {
                    try {
                        while (!s.stop.get()) {
                            s.oneCall(async, agent, pcm, frame, h.format().sampleRate());
                        }
                    } finally {
                        s.done.countDown();
                    }
                });
            }
            return s;
        }

        private void oneCall(CallServiceGrpc.CallServiceStub async, String agent, byte[] pcm, int frame, int rate) {
            CountDownLatch ended = new CountDownLatch(1);
            AtomicBoolean error = new AtomicBoolean();
            StreamObserver<StreamCallRequest> in = async.streamCall(new StreamObserver<>() {
                @Override
                public void onNext(StreamCallResponse r) {
                    if (r.hasTranscript()) {
                        transcriptEvents.increment();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error.set(true);
                    ended.countDown();
                }

                @Override
                public void onCompleted() {
                    ended.countDown();
                }
            });
            in.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agent)
                    .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFormat(AudioFormat.newBuilder()
                            .setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(rate).setChannels(1))).build());
            long t0 = System.nanoTime();
            int k = 0;
            for (int off = 0; off < pcm.length; off += frame, k++) {
                in.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(pcm, off,
                        Math.min(frame, pcm.length - off))).build());
                long wait = t0 + (k + 1) * 20_000_000L - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(Duration.ofNanos(wait));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                } else if (wait < -20_000_000L) {
                    lateFrames.increment();
                }
            }
            long hangUp = System.nanoTime();
            in.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.getDefaultInstance()).build());
            in.onCompleted();
            try {
                if (!ended.await(60, TimeUnit.SECONDS)) {
                    error.set(true);
                }
                endWaitsMs.add((System.nanoTime() - hangUp) / 1_000_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            calls.increment();
            if (error.get()) {
                failed.increment();
            }
        }

        String stop() throws InterruptedException {
            stop.set(true);
            done.await(90, TimeUnit.SECONDS);
            List<Long> waits = new ArrayList<>(endWaitsMs);
            waits.sort(null);
            return String.format("live calls: %d completed, %d failed, %d transcript events, %d frames sent late by the "
                    + "client; hang-up to ended (live transcript complete): p50 %d ms, max %d ms", calls.sum(), failed.sum(),
                    transcriptEvents.sum(), lateFrames.sum(), waits.isEmpty() ? -1 : waits.get(waits.size() / 2),
                    waits.isEmpty() ? -1 : waits.getLast());
        }
    }
}
