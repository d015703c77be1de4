package io.switchboard.bench;

import java.util.List;
import java.util.Random;

import io.switchboard.audio.Resampler;

/**
 * Cost of core/audio's Resampler on the rate changes a call makes (phone 8 kHz up to the recogniser's 16 kHz,
 * synthesised 16 kHz down to the phone, browser 48 and 44.1 kHz down to 16 kHz), fed in 20 ms chunks as a
 * call's audio arrives: seconds of audio resampled per second on one thread.
 * Usage: ./switchboard bench ResamplerBenchmark [seconds of audio per measurement, default 60]
 */
public final class ResamplerBenchmark {

    private static final List<int[]> RATES = List.of(new int[] {8000, 16_000}, new int[] {16_000, 8000},
            new int[] {48_000, 16_000}, new int[] {44_100, 16_000});

    private ResamplerBenchmark() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 60;
        for (int[] r : RATES) {
            run(r[0], r[1], 10); // warm-up: JIT
        }
        System.out.println("| from Hz | to Hz | audio s | wall ms (one thread) | × real time |");
        System.out.println("|---|---|---|---|---|");
        for (int[] r : RATES) {
            long nanos = run(r[0], r[1], seconds);
            System.out.printf("| %d | %d | %.0f | %.1f | %.0f |%n", r[0], r[1], seconds, nanos / 1e6,
                    seconds / (nanos / 1e9));
        }
    }

    /** Resamples {@code seconds} of noisy tone in 20 ms chunks; returns the time it took. */
    private static long run(int from, int to, double seconds) {
        Random random = new Random(7);
        short[] audio = new short[(int) (from * seconds)];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (short) (6000 * Math.sin(2 * Math.PI * 440 * i / from) + 1500 * random.nextGaussian());
        }
        int chunk = from / 50;
        Resampler resampler = new Resampler(from, to);
        long sink = 0;
        long start = System.nanoTime();
        for (int off = 0; off < audio.length; off += chunk) {
            sink += resampler.process(audio, off, Math.min(chunk, audio.length - off)).length;
        }
        sink += resampler.flush().length;
        long nanos = System.nanoTime() - start;
        if (sink != Math.round(seconds * to)) {
            throw new IllegalStateException("resampled " + sink + " samples for " + seconds + " s at " + to + " Hz");
        }
        return nanos;
    }
}
