package io.switchboard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.helidon.config.Config;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.Call;

/**
 * Does memory stay flat over long use? One dev stack in this JVM (API server with live transcription, worker,
 * embedded PostgreSQL and S3) takes {@code calls} short calls one after another, each a LibriVox sentence
 * streamed as fast as it goes and run through the whole pipeline; every {@code every} calls, once the
 * pipeline has caught up, the process's used heap after GC and its resident set size are printed. The client
 * runs in the same JVM, so the heap includes its (small, per-call) state too.
 * Usage: ./switchboard bench SoakBenchmark [calls] [every]
 */
public final class SoakBenchmark {

    private SoakBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int every = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Config config = Bench.devStack("soak-bench", Map.of("dev.softphone.enabled", "false"));
        byte[] pcm = PipelineBenchmark.pcmBytes(SpeechAudioFiles.librivox(1));
        try (DevStack stack = DevStack.start(config)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
            try {
                PipelineBenchmark.Client client = PipelineBenchmark.Client.create(channel, stack.operatorKey());
                System.out.printf("%.1f s of 16 kHz speech per call%n", pcm.length / 32_000.0);
                System.out.println("| calls | heap after GC MB | RSS MB | s per call |");
                System.out.println("|---:|---:|---:|---:|");
                System.out.printf("| 0 | %.1f | %.1f | |%n", PipelineBenchmark.usedHeapAfterGc() / 1e6,
                        PipelineBenchmark.rssBytes() / 1e6);
                long t0 = System.nanoTime();
                for (int i = 1; i <= calls; i++) {
                    Call ended = client.stream(pcm);
                    if (ended.getState() != Call.State.STATE_ENDED) {
                        throw new IllegalStateException("call " + i + " ended " + ended.getState());
                    }
                    if (i % every == 0) {
                        client.awaitAllPipelines();
                        client.callIds().clear();
                        double perCall = (System.nanoTime() - t0) / 1e9 / every;
                        System.out.printf("| %d | %.1f | %.1f | %.2f |%n", i, PipelineBenchmark.usedHeapAfterGc() / 1e6,
                                PipelineBenchmark.rssBytes() / 1e6, perCall);
                        t0 = System.nanoTime();
                    }
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** pocketsphinx-testdata's LibriVox utterances, as PCM16 at 16 kHz. */
    static final class SpeechAudioFiles {
        static short[] librivox(int index) throws Exception {
            Path dir = Path.of("/usr/share/pocketsphinx/test/data/librivox");
            String line = Files.readAllLines(dir.resolve("fileids")).get(index).strip();
            try (var in = javax.sound.sampled.AudioSystem.getAudioInputStream(dir.resolve(line + ".wav").toFile())) {
                byte[] b = in.readAllBytes();
                short[] s = new short[b.length / 2];
                java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
                return s;
            }
        }
    }
}
