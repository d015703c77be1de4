package io.switchboard.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;
import io.switchboard.transcription.WordErrorRate;

/**
 * Word error rate and real-time factor of the default recogniser on real speech: Debian's LibriVox test
 * recordings, espeak-ng sentences at 16 kHz, and the same sentences squeezed through an 8 kHz μ-law phone
 * line by sox; then aggregate throughput of N parallel streams. Usage: ./switchboard bench SpeechBenchmark [streams]
 */
public final class SpeechBenchmark {

    private static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");
    private static final List<String> SENTENCES = List.of(
            "please call me back tomorrow morning about the insurance quote",
            "i would like to cancel my subscription at the end of the month",
            "the delivery arrived two days late and the box was damaged",
            "can you send the invoice to my work email address",
            "yes i am interested in the premium plan for my team");

    private SpeechBenchmark() {
    }

    /** A clip at 16 kHz; {@code sourceRate} is what it was captured at (8000: it went through a phone line). */
    record Clip(String reference, short[] samples, int sourceRate) {
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        Path tmp = Files.createTempDirectory("speech-bench");
        List<Clip> librivox = new ArrayList<>();
        List<Clip> librivoxPhone = new ArrayList<>();
        for (String line : Files.readAllLines(LIBRIVOX.resolve("transcription"))) {
            int open = line.lastIndexOf('(');
            String id = line.substring(open + 1, line.lastIndexOf(')'));
            String text = line.substring(0, open).replace("<s>", "").replace("</s>", "").strip();
            librivox.add(new Clip(text, pcm16(LIBRIVOX.resolve(id + ".wav")), 16_000));
            Path ulaw = tmp.resolve(id + "-8k-ulaw.wav");
            Path back = tmp.resolve(id + "-phone-16k.wav");
            run("sox", LIBRIVOX.resolve(id + ".wav").toString(), "-r", "8000", "-c", "1", "-e", "u-law", ulaw.toString());
            run("sox", ulaw.toString(), "-r", "16000", "-b", "16", "-e", "signed-integer", back.toString());
            librivoxPhone.add(new Clip(text, pcm16(back), 8000));
        }
        List<Clip> espeak = new ArrayList<>();
        List<Clip> phone = new ArrayList<>();
        for (int i = 0; i < SENTENCES.size(); i++) {
            Path raw = tmp.resolve("s" + i + ".wav");
            Path wide = tmp.resolve("s" + i + "-16k.wav");
            Path ulaw = tmp.resolve("s" + i + "-8k-ulaw.wav");
            Path back = tmp.resolve("s" + i + "-phone-16k.wav");
            run("espeak-ng", "-v", "en-us", "-s", "150", "-w", raw.toString(), SENTENCES.get(i));
            run("sox", raw.toString(), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", wide.toString());
            run("sox", raw.toString(), "-r", "8000", "-c", "1", "-e", "u-law", ulaw.toString());
            run("sox", ulaw.toString(), "-r", "16000", "-b", "16", "-e", "signed-integer", back.toString());
            espeak.add(new Clip(SENTENCES.get(i), pcm16(wide), 16_000));
            phone.add(new Clip(SENTENCES.get(i), pcm16(back), 8000));
        }
        try (PocketSphinxRecognizer r = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"),
                Math.max(1, streams), Duration.ofMinutes(5))) {
            transcribe(r, librivox.getFirst()); // warm-up: first decoder, page cache
            System.out.printf("| corpus | utterances | audio s | WER | real-time factor (1 stream) |%n|---|---|---|---|---|%n");
            report(r, "LibriVox (pocketsphinx-testdata), 16 kHz", librivox);
            report(r, "espeak-ng, 16 kHz", espeak);
            report(r, "espeak-ng via 8 kHz mu-law", phone);
            report(r, "LibriVox via 8 kHz mu-law", librivoxPhone);

            List<Clip> all = new ArrayList<>(librivox);
            double audio = all.stream().mapToDouble(c -> c.samples().length / 16_000.0).sum() * streams;
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                fs.add(pool.submit(() -> all.forEach(c -> transcribe(r, c))));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
            System.out.printf("%n| parallel streams | audio s | wall s | audio seconds per wall second |%n|---|---|---|---|%n");
            System.out.printf("| %d | %.1f | %.1f | %.2f |%n", streams, audio, wall, audio / wall);
        }
    }

    private static void report(SpeechRecognizer r, String name, List<Clip> clips) {
        int errors = 0;
        int words = 0;
        double audio = 0;
        long nanos = 0;
        for (Clip c : clips) {
            long t0 = System.nanoTime();
            String hyp = transcribe(r, c);
            nanos += System.nanoTime() - t0;
            errors += WordErrorRate.errors(c.reference(), hyp);
            words += WordErrorRate.words(c.reference()).size();
            audio += c.samples().length / 16_000.0;
        }
        System.out.printf("| %s | %d | %.1f | %.3f | %.3f |%n", name, clips.size(), audio, (double) errors / words,
                nanos / 1e9 / audio);
    }

    private static String transcribe(SpeechRecognizer r, Clip c) {
        return transcribe(r, c.samples(), c.sourceRate());
    }

    /** The final transcript of {@code samples} (from a {@code sourceRate} source), fed 320 samples at a time. */
    static String transcribe(SpeechRecognizer r, short[] samples, int sourceRate) {
        List<String> finals = new ArrayList<>();
        try (SpeechRecognizer.Session s = r.open("en-US", sourceRate)) {
            for (int i = 0; i < samples.length; i += 320) {
                s.accept(samples, i, Math.min(320, samples.length - i)).stream()
                        .filter(TranscriptEvent::isFinal).forEach(e -> finals.add(e.text()));
            }
            s.finish().stream().filter(TranscriptEvent::isFinal).forEach(e -> finals.add(e.text()));
        }
        return String.join(" ", finals);
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        }
    }

    static short[] pcm16(Path wav) throws Exception {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(wav.toFile())) {
            byte[] b = in.readAllBytes();
            short[] s = new short[b.length / 2];
            ByteBuffer.wrap(b).order(in.getFormat().isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                    .asShortBuffer().get(s);
            return s;
        }
    }
}
