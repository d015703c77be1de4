package io.switchboard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.switchboard.audio.Resampler;
import io.switchboard.conversation.vad.SileroVad;
import io.switchboard.conversation.vad.VadFrame;
import io.switchboard.conversation.vad.VoiceActivityDetector;

/**
 * Silero VAD cost per 32 ms window on real speech (Debian's LibriVox recordings, at 16 kHz and resampled to
 * 8 kHz), fed in 20 ms chunks as a call's audio arrives: per-window latency percentiles on one stream, then the
 * windows per second N streams get through on N threads sharing the one ONNX session.
 * Usage: ./switchboard bench VadBenchmark [streams] [seconds of audio per measurement, default 60]
 */
public final class VadBenchmark {

    private static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");

    private VadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 60;
        short[] wide = speech();
        short[] narrow = new Resampler(16_000, 8000).process(wide, 0, wide.length);
        System.out.printf("audio: %.1f s of LibriVox speech (pocketsphinx-testdata); %d CPUs%n%n", wide.length / 16_000.0,
                Runtime.getRuntime().availableProcessors());
        try (SileroVad vad = SileroVad.load()) {
            System.out.println("| rate | windows | p50 µs | p90 µs | p99 µs | mean µs | real-time factor |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (int rate : new int[] {8000, 16_000}) {
                short[] audio = rate == 8000 ? narrow : wide;
                perWindow(vad, rate, audio, 3); // warm-up: JIT, ONNX Runtime's first runs
                long[] nanos = perWindow(vad, rate, audio, (int) Math.ceil(seconds / (audio.length / (double) rate)));
                Arrays.sort(nanos);
                double mean = Arrays.stream(nanos).average().orElse(0) / 1000;
                System.out.printf("| %d Hz | %d | %.0f | %.0f | %.0f | %.0f | %.4f |%n", rate, nanos.length,
                        nanos[nanos.length / 2] / 1000.0, nanos[nanos.length * 9 / 10] / 1000.0,
                        nanos[nanos.length * 99 / 100] / 1000.0, mean, mean / 32_000);
            }
            System.out.println();
            System.out.println("| parallel streams | rate | windows | wall s | windows per second | live channels it could serve |");
            System.out.println("|---|---|---|---|---|---|");
            for (int rate : new int[] {8000, 16_000}) {
                short[] audio = rate == 8000 ? narrow : wide;
                parallel(vad, rate, audio, streams, 1, false);
                parallel(vad, rate, audio, streams, (int) Math.ceil(seconds / (audio.length / (double) rate)), true);
            }
        }
    }

    /** Nanoseconds each window took on one stream, over {@code rounds} passes of the audio in 20 ms chunks. */
    private static long[] perWindow(SileroVad vad, int rate, short[] audio, int rounds) {
        int chunk = rate / 50;
        List<Long> out = new ArrayList<>();
        try (VoiceActivityDetector.Stream s = vad.open(rate)) {
            for (int r = 0; r < rounds; r++) {
                s.reset();
                for (int i = 0; i + chunk <= audio.length; i += chunk) {
                    long t0 = System.nanoTime();
                    List<VadFrame> f = s.accept(audio, i, chunk);
                    long t = System.nanoTime() - t0;
                    if (!f.isEmpty()) {
                        out.add(t); // a 20 ms chunk completes at most one 32 ms window
                    }
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static void parallel(SileroVad vad, int rate, short[] audio, int streams, int rounds, boolean report)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long t0 = System.nanoTime();
            List<Future<Integer>> futures = new ArrayList<>();
            for (int k = 0; k < streams; k++) {
                futures.add(pool.submit(() -> {
                    int windows = 0;
                    try (VoiceActivityDetector.Stream s = vad.open(rate)) {
                        for (int r = 0; r < rounds; r++) {
                            for (int i = 0; i < audio.length; i += rate / 50) {
                                windows += s.accept(audio, i, Math.min(rate / 50, audio.length - i)).size();
                            }
                        }
                    }
                    return windows;
                }));
            }
            long windows = 0;
            for (Future<Integer> f : futures) {
                windows += f.get();
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            if (report) {
                System.out.printf("| %d | %d Hz | %d | %.2f | %.0f | %.0f |%n", streams, rate, windows, wall, windows / wall,
                        windows / wall * 0.032);
            }
        } finally {
            pool.shutdown();
        }
    }

    private static short[] speech() throws Exception {
        List<short[]> parts = new ArrayList<>();
        int n = 0;
        try (var files = Files.list(LIBRIVOX)) {
            for (Path wav : files.filter(p -> p.toString().endsWith(".wav")).sorted().toList()) {
                short[] s = SpeechBenchmark.pcm16(wav);
                parts.add(s);
                n += s.length;
            }
        }
        if (parts.isEmpty()) {
            throw new IllegalStateException("pocketsphinx-testdata is not installed: run ./switchboard setup");
        }
        short[] out = new short[n];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
