package io.switchboard.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.helidon.config.Config;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.PipelineStage;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.sdk.ApiKeyCredentials;

/**
 * The call pipeline against the raw recogniser, in one process and one run:
 * <ol>
 * <li>throughput: N calls streamed at once over gRPC into the dev stack (decode, live transcription per
 * channel, recording segments to S3, transcript rows to PostgreSQL), against N bare PocketSphinx sessions
 * fed the same audio; both as fast as they go, in alternating rounds;</li>
 * <li>hang-up to summary-ready latency with the in-process summariser, one call at a time and N at a time;</li>
 * <li>memory: native memory per pooled decoder (RSS) and heap per live stream.</li>
 * </ol>
 * The client runs in the same JVM as the stack, over loopback. Usage:
 * {@code ./switchboard bench PipelineBenchmark [streams] [rounds] [latency-calls]}
 */
public final class PipelineBenchmark {

    private static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");
    private static final int FRAME_SAMPLES = 320; // 20 ms at 16 kHz

    private PipelineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int latencyCalls = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        List<short[]> utterances = librivox();
        short[] clip = joinWithPauses(utterances);
        double clipSeconds = clip.length / 16_000.0;
        System.out.printf("audio: the five LibriVox utterances joined, %.1f s, 16 kHz mono; %d streams, %d cores%n",
                clipSeconds, streams, Runtime.getRuntime().availableProcessors());

        Config config = Bench.devStack("pipeline-bench", Map.of("calls.idle-timeout", "PT120S",
                "transcription.pool-size", Integer.toString(streams)));
        long rssBefore = rssBytes();
        try (PocketSphinxRecognizer raw = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"),
                streams, Duration.ofSeconds(60))) {
            decoderMemory(raw, streams, rssBefore);
        }
        try (PocketSphinxRecognizer raw = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"),
                streams, Duration.ofSeconds(60));
             DevStack stack = DevStack.start(config)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext()
                    .maxInboundMessageSize(16 << 20).build();
            try {
                Client client = Client.create(channel, stack.operatorKey());
                // warm-up: every decoder of both pools created, JIT warm
                rawThroughput(raw, clip, streams);
                pipelineThroughput(client, clip, streams);
                client.awaitAllPipelines();

                List<Client> perStream = new ArrayList<>();
                List<ManagedChannel> extra = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
                    extra.add(c);
                    perStream.add(client.over(c));
                }
                boolean separate = Boolean.getBoolean("bench.connection-per-stream");
                List<Client> used = separate ? perStream : List.of(client);
                System.out.println(separate ? "each call on a connection of its own" : "all calls on one connection");
                List<Double> rawRates = new ArrayList<>();
                List<Double> pipeRates = new ArrayList<>();
                List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    double rr = rawThroughput(raw, clip, streams);
                    double pr = pipelineThroughput(used, clip, streams);
                    client.awaitAllPipelines();
                    rawRates.add(rr);
                    pipeRates.add(pr);
                    ratios.add(pr / rr);
                    System.out.printf("round %d: raw recogniser %.2f audio-s/s, pipeline %.2f audio-s/s, ratio %.3f%n",
                            r + 1, rr, pr, pr / rr);
                }
                double rawMedian = median(rawRates);
                double pipeMedian = median(pipeRates);
                System.out.printf("THROUGHPUT %d streams, median of %d rounds: raw %.2f audio-s/s, pipeline %.2f "
                        + "audio-s/s; median per-round ratio %.3f (range %.3f-%.3f)%n", streams, rounds, rawMedian,
                        pipeMedian, median(ratios), ratios.stream().mapToDouble(d -> d).min().orElse(0),
                        ratios.stream().mapToDouble(d -> d).max().orElse(0));

                short[] one = utterances.getFirst();
                List<Long> sequential = new ArrayList<>();
                for (int i = 0; i < latencyCalls; i++) {
                    sequential.add(client.hangUpToSummaryMillis(one));
                }
                report("LATENCY hang-up -> summary, one call at a time", sequential);
                List<Long> parallel = new ArrayList<>();
                ExecutorService pool = Executors.newFixedThreadPool(streams);
                try {
                    for (int i = 0; i < Math.max(1, latencyCalls / streams); i++) {
                        List<Future<Long>> fs = new ArrayList<>();
                        for (int s = 0; s < streams; s++) {
                            fs.add(pool.submit(() -> client.hangUpToSummaryMillis(one)));
                        }
                        for (Future<Long> f : fs) {
                            parallel.add(f.get());
                        }
                    }
                } finally {
                    pool.shutdown();
                }
                report("LATENCY hang-up -> summary, " + streams + " calls at a time", parallel);

                long rssNow = rssBytes();
                System.out.printf("MEMORY process RSS %.0f MB before the recognisers and the stack, %.0f MB now "
                        + "(%d + %d decoders, the embedding model, the JVM's heap)%n",
                        rssBefore / 1e6, rssNow / 1e6, raw.decoders(), streams);
                memoryPerStream(client, streams);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        System.exit(0);
    }

    /** Native memory a pooled decoder holds (its own copy of the acoustic and language model). */
    private static void decoderMemory(SpeechRecognizer r, int streams, long rssBefore) throws IOException {
        long afterOne = rssBytes(); // load() builds the first decoder
        List<SpeechRecognizer.Session> sessions = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            sessions.add(r.open("en-US", 16_000));
        }
        long afterAll = rssBytes();
        sessions.forEach(SpeechRecognizer.Session::close);
        System.out.printf("MEMORY PocketSphinx: RSS +%.0f MB for the library and the first decoder, +%.0f MB per further "
                + "decoder (%d decoders)%n", (afterOne - rssBefore) / 1e6,
                streams > 1 ? (afterAll - afterOne) / 1e6 / (streams - 1) : 0.0, streams);
    }

    /** N bare sessions on the raw recogniser, each fed the whole clip in 20 ms chunks. */
    private static double rawThroughput(SpeechRecognizer r, short[] clip, int streams) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                fs.add(pool.submit(() -> {
                    try (SpeechRecognizer.Session session = r.open("en-US", 16_000)) {
                        for (int i = 0; i < clip.length; i += FRAME_SAMPLES) {
                            session.accept(clip, i, Math.min(FRAME_SAMPLES, clip.length - i));
                        }
                        session.finish();
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            return streams * (clip.length / 16_000.0) / wall;
        } finally {
            pool.shutdown();
        }
    }

    /** N live calls at once over gRPC, each streaming the clip as fast as the transport takes it. */
    private static double pipelineThroughput(Client client, short[] clip, int streams) throws Exception {
        return pipelineThroughput(List.of(client), clip, streams);
    }

    /** As above, stream i on clients.get(i % clients.size()): one connection for all, or one each. */
    private static double pipelineThroughput(List<Client> clients, short[] clip, int streams) throws Exception {
        byte[] pcm = pcmBytes(clip);
        // one thread per stream, as for the raw recogniser (the common pool has cores - 1 threads)
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long t0 = System.nanoTime();
            List<Future<Call>> ends = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                Client client = clients.get(s % clients.size());
                ends.add(pool.submit(() -> client.stream(pcm)));
            }
            for (Future<Call> e : ends) {
                Call c = e.get();
                if (c.getState() != Call.State.STATE_ENDED) {
                    throw new IllegalStateException("call did not end cleanly: " + c);
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            return streams * (clip.length / 16_000.0) / wall;
        } finally {
            pool.shutdown();
        }
    }

    private static void memoryPerStream(Client client, int streams) throws Exception {
        byte[] second = pcmBytes(Arrays.copyOf(librivox().getFirst(), 16_000));
        long heapBefore = usedHeapAfterGc();
        List<Client.Open> open = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            Client.Open o = client.open();
            o.send(second);
            open.add(o);
        }
        Thread.sleep(500);
        long heapDuring = usedHeapAfterGc();
        for (Client.Open o : open) {
            o.end();
        }
        System.out.printf("MEMORY per live stream (%d open, each with 1 s of audio sent, decoders already pooled): "
                + "heap %.0f KB%n", streams, (heapDuring - heapBefore) / 1024.0 / streams);
    }

    /** The API as a telephony bridge uses it, for one organisation on the Enterprise plan. */
    record Client(CallServiceGrpc.CallServiceStub async, CallServiceGrpc.CallServiceBlockingStub blocking,
                          String key, String agentId, List<String> callIds) {

        /** The same organisation over another connection. */
        Client over(ManagedChannel other) {
            return new Client(CallServiceGrpc.newStub(other).withCallCredentials(bearer(key)),
                    CallServiceGrpc.newBlockingStub(other).withCallCredentials(bearer(key)), key, agentId, callIds);
        }

        static Client create(ManagedChannel channel, String operatorKey) {
            String key = OrganizationServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(operatorKey))
                    .createOrganization(CreateOrganizationRequest.newBuilder().setName("Bench").setPlanId("enterprise")
                            .setOwnerEmail("bench@example.com").build()).getOwnerApiKey().getSecret();
            Agent agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(key))
                    .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Bench")
                            .setLanguage("en-US")).build());
            return new Client(CallServiceGrpc.newStub(channel).withCallCredentials(bearer(key)),
                    CallServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(key)), key, agent.getId(),
                    java.util.Collections.synchronizedList(new ArrayList<>()));
        }

        final class Open {
            final CompletableFuture<Call> accepted = new CompletableFuture<>();
            final CompletableFuture<Call> ended = new CompletableFuture<>();
            StreamObserver<StreamCallRequest> requests;

            void send(byte[] pcm) {
                for (int i = 0; i < pcm.length; i += FRAME_SAMPLES * 2) {
                    requests.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(pcm, i,
                            Math.min(FRAME_SAMPLES * 2, pcm.length - i))).build());
                }
            }

            Call end() {
                requests.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.getDefaultInstance()).build());
                requests.onCompleted();
                return ended.join();
            }
        }

        Open open() {
            Open o = new Open();
            o.requests = async.streamCall(new StreamObserver<>() {
                @Override
                public void onNext(StreamCallResponse r) {
                    if (r.hasAccepted()) {
                        o.accepted.complete(r.getAccepted());
                    } else if (r.hasEnded()) {
                        o.ended.complete(r.getEnded());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    o.accepted.completeExceptionally(t);
                    o.ended.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    // the ended call came in onNext
                }
            });
            o.requests.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agentId)
                    .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFromNumber("+14155550123")
                    .setToNumber("+14155550100").setFormat(AudioFormat.newBuilder()
                            .setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(16_000).setChannels(1)))
                    .build());
            callIds.add(o.accepted.join().getId());
            return o;
        }

        Call stream(byte[] pcm) {
            Open o = open();
            o.send(pcm);
            return o.end();
        }

        /**
         * Streams the audio, hangs up, and times the wait from the server's "ended" reply (live transcription
         * caught up, as it is on a call streamed in real time) until the summary stage has succeeded.
         */
        long hangUpToSummaryMillis(short[] audio) {
            Open o = open();
            o.send(pcmBytes(audio));
            Call ended = o.end();
            long t0 = System.nanoTime();
            while (true) {
                Call c = blocking.getCall(GetCallRequest.newBuilder().setId(ended.getId()).build());
                for (PipelineStage s : c.getStagesList()) {
                    if (s.getName().equals("summarize") && !s.getState().equals("running") && !s.getState().equals("pending")) {
                        if (!s.getState().equals("succeeded")) {
                            throw new IllegalStateException("summary " + s.getState() + ": " + s.getDetail());
                        }
                        return (System.nanoTime() - t0) / 1_000_000;
                    }
                }
                sleep(10);
            }
        }

        /** Waits until every call streamed so far has been through the whole pipeline. */
        void awaitAllPipelines() {
            for (String id : List.copyOf(callIds)) {
                while (blocking.getCall(GetCallRequest.newBuilder().setId(id).build()).getStagesList().stream()
                        .noneMatch(s -> s.getName().equals("usage") && s.getState().equals("succeeded"))) {
                    sleep(20);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void report(String what, List<Long> millis) {
        List<Long> sorted = millis.stream().sorted().toList();
        System.out.printf("%s (%d calls): p50 %d ms, p95 %d ms, max %d ms%n", what, sorted.size(),
                percentile(sorted, 0.50), percentile(sorted, 0.95), sorted.getLast());
    }

    private static long percentile(List<Long> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static List<short[]> librivox() throws Exception {
        List<short[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(LIBRIVOX.resolve("transcription"))) {
            String id = line.substring(line.lastIndexOf('(') + 1, line.lastIndexOf(')'));
            try (AudioInputStream in = AudioSystem.getAudioInputStream(LIBRIVOX.resolve(id + ".wav").toFile())) {
                byte[] b = in.readAllBytes();
                short[] s = new short[b.length / 2];
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
                out.add(s);
            }
        }
        return out;
    }

    private static short[] joinWithPauses(List<short[]> parts) {
        int pause = 8000;
        short[] out = new short[parts.stream().mapToInt(p -> p.length + pause).sum()];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length + pause;
        }
        return out;
    }

    static byte[] pcmBytes(short[] s) {
        ByteBuffer b = ByteBuffer.allocate(s.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(s);
        return b.array();
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }


    private static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }
}
