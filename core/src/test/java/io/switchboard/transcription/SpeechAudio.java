package io.switchboard.transcription;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.switchboard.audio.G711;
import io.switchboard.audio.Resampler;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Real speech for tests: Debian's pocketsphinx-testdata recordings with their transcripts, and sentences
 * synthesised by espeak-ng and resampled by sox. Missing packages fail loudly with the command to fix it.
 */
public final class SpeechAudio {

    public static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");

    private SpeechAudio() {
    }

    public record Utterance(String id, String transcript, short[] samples) {
    }

    /** The five LibriVox utterances of pocketsphinx-testdata, 16 kHz mono. */
    public static List<Utterance> librivox() throws Exception {
        Path transcription = LIBRIVOX.resolve("transcription");
        if (!Files.exists(transcription)) {
            throw new AssertionError("pocketsphinx-testdata is not installed: run ./switchboard setup");
        }
        List<Utterance> out = new ArrayList<>();
        for (String line : Files.readAllLines(transcription)) {
            int open = line.lastIndexOf('(');
            String id = line.substring(open + 1, line.lastIndexOf(')'));
            String text = line.substring(0, open).replace("<s>", "").replace("</s>", "").strip();
            out.add(new Utterance(id, text, pcm16(LIBRIVOX.resolve(id + ".wav"))));
        }
        return out;
    }

    /** A sentence spoken by espeak-ng, as a 16-bit mono WAV at {@code rate}, written to {@code dir}. */
    public static Path espeak(Path dir, String text, int rate) throws Exception {
        Path raw = dir.resolve("espeak-" + Integer.toHexString(text.hashCode()) + ".wav");
        Path out = dir.resolve("speech-" + Integer.toHexString(text.hashCode()) + "-" + rate + ".wav");
        run("espeak-ng", "-v", "en-us", "-s", "150", "-w", raw.toString(), text);
        run("sox", raw.toString(), "-r", Integer.toString(rate), "-c", "1", "-b", "16", "-e", "signed-integer", out.toString());
        return out;
    }

    /** espeak-ng saying {@code text} at a phone's 8 kHz: made at 16 kHz, then Switchboard's resampler. */
    public static short[] espeak8k(Path dir, String text) throws Exception {
        return resample(pcm16(espeak(dir, text, 16_000)), 16_000, 8_000);
    }

    /**
     * {@code text} said by {@code voice} ("flite:rms", "espeak:en-us": the engine, then its voice at its own
     * defaults), as 16 kHz 16-bit mono samples; the files are written to {@code dir}.
     */
    public static short[] spoken(Path dir, String voice, String text) throws Exception {
        String name = voice.replace(':', '-') + "-" + Integer.toHexString(text.hashCode());
        Path raw = dir.resolve(name + ".wav");
        Path out = dir.resolve(name + "-16k.wav");
        String[] engine = voice.split(":");
        if (engine[0].equals("flite")) {
            run("flite", "-voice", engine[1], "-t", text, "-o", raw.toString());
        } else {
            run("espeak-ng", "-v", engine[1], "-w", raw.toString(), text);
        }
        run("sox", raw.toString(), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", out.toString());
        return pcm16(out);
    }

    public static void run(String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " is not installed: run ./switchboard setup", e);
        }
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + output);
        }
    }

    /** Decodes a WAV with the JDK's own parser into PCM16 mono samples. */
    public static short[] pcm16(Path wav) throws IOException, UnsupportedAudioFileException {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(wav.toFile())) {
            AudioFormat f = in.getFormat();
            if (f.getChannels() != 1 || f.getSampleSizeInBits() != 16 || f.getEncoding() != AudioFormat.Encoding.PCM_SIGNED) {
                throw new IllegalArgumentException(wav + " is not 16-bit signed mono: " + f);
            }
            byte[] bytes = in.readAllBytes();
            short[] s = new short[bytes.length / 2];
            ByteBuffer.wrap(bytes).order(f.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                    .asShortBuffer().get(s);
            return s;
        }
    }

    /**
     * 16 kHz speech as a phone line carries it: down to 8 kHz, through G.711 μ-law and back, then up to
     * 16 kHz again, all with Switchboard's own resampler and codec.
     */
    public static short[] throughPhoneLine(short[] wide) {
        short[] narrow = resample(wide, 16_000, 8_000);
        for (int i = 0; i < narrow.length; i++) {
            narrow[i] = G711.ulawToLinear(G711.linearToUlaw(narrow[i]));
        }
        return resample(narrow, 8_000, 16_000);
    }

    /** The whole of {@code in} at another rate, tail included, with Switchboard's resampler. */
    public static short[] resample(short[] in, int from, int to) {
        Resampler r = new Resampler(from, to);
        return concat(r.process(in, 0, in.length), r.flush());
    }

    private static short[] concat(short[] a, short[] b) {
        short[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Everything a session says for these samples fed in chunks of {@code chunk}: the final texts joined. */
    public static Result transcribe(SpeechRecognizer r, short[] samples, int chunk) {
        return transcribe(r, samples, chunk, r.sampleRate());
    }

    /** As {@link #transcribe(SpeechRecognizer, short[], int)}, for audio captured at {@code sourceRate}. */
    public static Result transcribe(SpeechRecognizer r, short[] samples, int chunk, int sourceRate) {
        List<TranscriptEvent> events = new ArrayList<>();
        try (SpeechRecognizer.Session s = r.open("en-US", sourceRate)) {
            for (int i = 0; i < samples.length; i += chunk) {
                events.addAll(s.accept(samples, i, Math.min(chunk, samples.length - i)));
            }
            events.addAll(s.finish());
        }
        return new Result(events);
    }

    public record Result(List<TranscriptEvent> events) {
        public String finalText() {
            return String.join(" ", events.stream().filter(TranscriptEvent::isFinal).map(TranscriptEvent::text).toList());
        }

        public List<Word> words() {
            return events.stream().filter(TranscriptEvent::isFinal).flatMap(e -> e.words().stream()).toList();
        }
    }
}
