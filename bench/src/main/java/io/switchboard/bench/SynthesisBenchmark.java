package io.switchboard.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.Voices;

/**
 * Real-time factor of each local speech synthesis voice: synthesis time over the audio's duration for five
 * sentences an agent might say, read chunk by chunk as the conversation loop does, at 16 kHz (the voice's own rate
 * for Flite: no resampling) and at 8 kHz (telephony: resampled by core/audio's Resampler); the median time to the
 * first chunk; then audio seconds per wall second with N sentences synthesised at once.
 * Usage: ./switchboard bench SynthesisBenchmark [rounds] [parallel]
 */
public final class SynthesisBenchmark {

    static final List<String> SENTENCES = List.of(
            "Hello, this is Sam from Acme Insurance, calling about the quote you asked for.",
            "Would tomorrow morning at ten o'clock work for a short call with one of our advisors?",
            "I understand, and I have removed your number from our list.",
            "Could you tell me the best email address to send the documents to?",
            "Thank you for your time today, and have a wonderful afternoon.");
    static final List<String> VOICES = List.of("flite:slt", "flite:rms", "flite:awb", "flite:kal16", "flite:kal",
            "espeak:en-us");

    private SynthesisBenchmark() {
    }

    record Run(double audioSeconds, double synthSeconds, double[] firstChunkMillis) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int parallel = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        Voices voices = Voices.installed();
        for (String v : VOICES) {
            run(voices, v, 8000, 1); // warm-up: JIT, page cache, the resampler's code
        }
        System.out.printf("| voice | rate Hz | audio s | synthesis s | real-time factor | × real time | first chunk ms (median) |%n"
                + "|---|---|---|---|---|---|---|%n");
        for (String v : VOICES) {
            for (int rate : List.of(16_000, 8000)) {
                Run r = run(voices, v, rate, rounds);
                double[] first = r.firstChunkMillis().clone();
                Arrays.sort(first);
                System.out.printf("| %s | %d | %.1f | %.3f | %.4f | %.0f | %.1f |%n", v, rate, r.audioSeconds(),
                        r.synthSeconds(), r.synthSeconds() / r.audioSeconds(), r.audioSeconds() / r.synthSeconds(),
                        first[first.length / 2]);
            }
        }
        System.out.printf("%n| voice | parallel sentences | audio s | wall s | audio seconds per wall second |%n"
                + "|---|---|---|---|---|%n");
        for (String v : List.of("flite:slt", "espeak:en-us")) {
            ExecutorService pool = Executors.newFixedThreadPool(parallel);
            long t0 = System.nanoTime();
            List<Future<Run>> runs = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                runs.add(pool.submit(() -> run(voices, v, 8000, rounds)));
            }
            double audio = 0;
            for (Future<Run> f : runs) {
                audio += f.get().audioSeconds();
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            System.out.printf("| %s | %d | %.1f | %.2f | %.1f |%n", v, parallel, audio, wall, audio / wall);
        }
    }

    static Run run(Voices voices, String voice, int rate, int rounds) {
        double audio = 0;
        double synth = 0;
        double[] first = new double[rounds * SENTENCES.size()];
        int k = 0;
        for (int round = 0; round < rounds; round++) {
            for (String sentence : SENTENCES) {
                long t0 = System.nanoTime();
                long samples = 0;
                try (SpeechStream s = voices.resolve(voice).synthesize(sentence, rate)) {
                    for (Optional<short[]> c = s.next(); c.isPresent(); c = s.next()) {
                        if (samples == 0) {
                            first[k] = (System.nanoTime() - t0) / 1e6;
                        }
                        samples += c.get().length;
                    }
                }
                synth += (System.nanoTime() - t0) / 1e9;
                audio += (double) samples / rate;
                k++;
            }
        }
        return new Run(audio, synth, first);
    }
}
