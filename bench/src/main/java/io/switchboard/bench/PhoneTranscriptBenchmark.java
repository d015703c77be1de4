package io.switchboard.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

import io.switchboard.audio.Resampler;
import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;
import io.switchboard.transcription.WordErrorRate;

/**
 * Are phone transcripts reproducible? Twenty short sentences squeezed through an 8 kHz μ-law line by sox
 * (ten real voices from Debian's pocketsphinx-testdata, ten synthesised by flite and espeak-ng, three of
 * them spoken digits), brought back to 16 kHz by Switchboard's own resampler as a live call is, and
 * transcribed: first each by a freshly loaded recogniser (the first call after start), then all of them
 * one after another, {@code passes} times, through one long-lived pool (the tenth and the sixtieth call).
 * A recogniser that keeps state between streams gives each pass a different word error rate and
 * transcripts that differ from the fresh ones. Usage: ./switchboard bench PhoneTranscriptBenchmark [passes] [pool]
 */
public final class PhoneTranscriptBenchmark {

    private static final Path DATA = Path.of("/usr/share/pocketsphinx/test/data");
    private static final Path MODEL = Path.of("/usr/share/pocketsphinx/model/en-us");
    private static final List<String> FLITE = List.of(
            "my account number is four seven one nine two eight three",
            "please call me back tomorrow morning",
            "i want to cancel my order",
            "the meeting is at three thirty on friday",
            "can you repeat that please");
    private static final List<String> ESPEAK = List.of(
            "my phone number is five five five two six one eight",
            "yes i would like to speak to an agent",
            "the code is nine zero four one",
            "i did not receive the package",
            "thank you very much goodbye");

    private PhoneTranscriptBenchmark() {
    }

    /** A sentence as the recogniser gets it from a phone call: 16 kHz samples of 8 kHz μ-law audio. */
    record Clip(String name, String reference, short[] samples) {
    }

    public static void main(String[] args) throws Exception {
        int passes = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int pool = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        List<Clip> clips = corpus(Files.createTempDirectory("phone-bench"));
        int words = clips.stream().mapToInt(c -> WordErrorRate.words(c.reference()).size()).sum();
        System.out.printf("%d sentences, %d words, %.1f s of 8 kHz mu-law audio%n%n", clips.size(), words,
                clips.stream().mapToDouble(c -> c.samples().length / 16_000.0).sum());

        List<String> fresh = new ArrayList<>();
        for (Clip c : clips) {
            try (PocketSphinxRecognizer r = load(1)) {
                fresh.add(transcribe(r, c));
            }
        }
        System.out.println("| run | WER | sentences unlike the fresh transcript | digits sentences: words wrong |");
        System.out.println("|---|---:|---:|---|");
        row("each sentence on a freshly loaded recogniser", clips, fresh, fresh);
        try (PocketSphinxRecognizer r = load(pool)) {
            for (int p = 1; p <= passes; p++) {
                List<String> hyps = new ArrayList<>();
                for (Clip c : clips) {
                    hyps.add(transcribe(r, c));
                }
                row("pass " + p + " through one pool of " + pool + " (calls " + ((p - 1) * clips.size() + 1) + "–"
                        + p * clips.size() + ")", clips, hyps, fresh);
            }
        }
        System.out.println();
        for (int i = 0; i < clips.size(); i++) {
            System.out.printf("%-10s ref: %s%n%-10s hyp: %s%n", clips.get(i).name(), clips.get(i).reference(), "",
                    fresh.get(i));
        }
    }

    private static PocketSphinxRecognizer load(int pool) {
        return PocketSphinxRecognizer.load("", MODEL, pool, Duration.ofMinutes(1));
    }

    private static void row(String run, List<Clip> clips, List<String> hyps, List<String> fresh) {
        int errors = 0;
        int words = 0;
        int unlike = 0;
        List<String> digits = new ArrayList<>();
        for (int i = 0; i < clips.size(); i++) {
            Clip c = clips.get(i);
            int e = WordErrorRate.errors(c.reference(), hyps.get(i));
            errors += e;
            words += WordErrorRate.words(c.reference()).size();
            if (!hyps.get(i).equals(fresh.get(i))) {
                unlike++;
            }
            if (c.reference().matches(".*(number|code) is.*")) {
                digits.add(e + "/" + WordErrorRate.words(c.reference()).size());
            }
        }
        System.out.printf("| %s | %.3f | %d of %d | %s |%n", run, (double) errors / words, unlike, clips.size(),
                String.join(", ", digits));
    }

    private static List<Clip> corpus(Path tmp) throws Exception {
        List<Clip> clips = new ArrayList<>();
        for (String line : Files.readAllLines(DATA.resolve("librivox/transcription"))) {
            int open = line.lastIndexOf('(');
            String id = line.substring(open + 1, line.lastIndexOf(')'));
            clips.add(phone(tmp, "librivox-" + id.substring(id.length() - 4), text(line, open),
                    DATA.resolve("librivox/" + id + ".wav")));
        }
        for (String line : Files.readAllLines(DATA.resolve("cards/cards.transcription"))) {
            int open = line.lastIndexOf('(');
            String id = line.substring(open + 1, line.lastIndexOf(')'));
            clips.add(phone(tmp, "cards-" + id, text(line, open), DATA.resolve("cards/" + id + ".wav")));
        }
        List<String> voices = List.of("slt", "rms", "awb");
        for (int i = 0; i < FLITE.size(); i++) {
            Path wav = tmp.resolve("flite-" + i + ".wav");
            SpeechBenchmark.run("flite", "-voice", voices.get(i % voices.size()), "-t", FLITE.get(i), "-o", wav.toString());
            clips.add(phone(tmp, "flite-" + i, FLITE.get(i), wav));
        }
        for (int i = 0; i < ESPEAK.size(); i++) {
            Path wav = tmp.resolve("espeak-" + i + ".wav");
            SpeechBenchmark.run("espeak-ng", "-v", "en-us", "-s", "150", "-w", wav.toString(), ESPEAK.get(i));
            clips.add(phone(tmp, "espeak-" + i, ESPEAK.get(i), wav));
        }
        return clips;
    }

    private static String text(String line, int open) {
        return line.substring(0, open).replace("<s>", "").replace("</s>", "").strip();
    }

    /** Through an 8 kHz μ-law line (sox), then back to 16 kHz with the live call's resampler. */
    private static Clip phone(Path tmp, String name, String reference, Path source) throws Exception {
        Path ulaw = tmp.resolve(name + "-8k-ulaw.wav");
        Path narrow = tmp.resolve(name + "-8k.wav");
        SpeechBenchmark.run("sox", source.toString(), "-r", "8000", "-c", "1", "-e", "u-law", ulaw.toString());
        SpeechBenchmark.run("sox", ulaw.toString(), "-b", "16", "-e", "signed-integer", narrow.toString());
        short[] s8 = SpeechBenchmark.pcm16(narrow);
        Resampler up = new Resampler(8000, PocketSphinxRecognizer.SAMPLE_RATE);
        short[] a = up.process(s8, 0, s8.length);
        short[] b = up.flush();
        short[] s16 = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s16, a.length, b.length);
        return new Clip(name, reference, s16);
    }

    private static String transcribe(SpeechRecognizer r, Clip c) {
        return SpeechBenchmark.transcribe(r, c.samples(), 8000);
    }
}
