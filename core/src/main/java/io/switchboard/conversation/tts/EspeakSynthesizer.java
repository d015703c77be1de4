package io.switchboard.conversation.tts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * espeak-ng, the second local engine: over a hundred languages, robotic but intelligible. Each sentence runs
 * {@code espeak-ng --stdout} as a process and streams its WAV output as it is written, so the first chunk is
 * out before the sentence is finished; cancelling kills the process. The voices are the languages the
 * installation lists ({@code espeak-ng --voices}), named by their language code: {@code espeak:en-us}.
 */
public final class EspeakSynthesizer implements SpeechSynthesizer {

    /** espeak-ng always produces 22,050 Hz mono PCM16. */
    static final int SAMPLE_RATE = 22_050;
    /** espeak-ng's own speaking rate. */
    public static final int DEFAULT_WORDS_PER_MINUTE = 175;

    private final String command;
    private final int wordsPerMinute;
    private final List<Voice> voices;

    private EspeakSynthesizer(String command, int wordsPerMinute, List<Voice> voices) {
        this.command = command;
        this.wordsPerMinute = wordsPerMinute;
        this.voices = voices;
    }

    /**
     * Runs {@code command --voices} to learn the installed voices.
     *
     * @param command        the espeak-ng executable ("espeak-ng" to search the PATH)
     * @param wordsPerMinute speaking rate, 80 to 450
     */
    public static EspeakSynthesizer load(String command, int wordsPerMinute) {
        if (wordsPerMinute < 80 || wordsPerMinute > 450) {
            throw new IllegalStateException("tts.espeak.words-per-minute must be 80 to 450, got " + wordsPerMinute);
        }
        String listing;
        try {
            Process p = new ProcessBuilder(command, "--voices").redirectErrorStream(true).start();
            p.getOutputStream().close();
            listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("'" + command + " --voices' failed: " + listing.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("espeak-ng could not be run as '" + command + "' (" + e.getMessage()
                    + "). Install Debian's espeak-ng (./switchboard setup does), set tts.espeak.command, or leave "
                    + "espeak out of tts.engines", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing espeak-ng's voices", e);
        }
        List<Voice> voices = parseVoices(listing);
        if (voices.isEmpty()) {
            throw new IllegalStateException("'" + command + " --voices' listed no voices; is espeak-ng-data installed?");
        }
        return new EspeakSynthesizer(command, wordsPerMinute, voices);
    }

    /** Whether {@code command} can be found (on the PATH when it has no '/'). */
    public static boolean installed(String command) {
        if (command.contains("/")) {
            return java.nio.file.Files.isExecutable(java.nio.file.Path.of(command));
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code espeak-ng --voices} prints a header, then one voice a line: priority, language code, age/gender
     * ({@code --/M}), name, file, other languages. A language listed twice keeps its first line.
     */
    static List<Voice> parseVoices(String listing) {
        List<Voice> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String line : listing.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 4 || f[0].equals("Pty") || !f[0].matches("\\d+")) {
                continue;
            }
            String language = f[1];
            String gender = f[2].contains("/") ? f[2].substring(f[2].indexOf('/') + 1) : "";
            if (seen.add(language)) {
                out.add(new Voice("espeak", language, java.util.Locale.forLanguageTag(language).toLanguageTag(),
                        Voice.gender(gender), SAMPLE_RATE));
            }
        }
        return List.copyOf(out);
    }

    @Override
    public String engine() {
        return "espeak";
    }

    @Override
    public List<Voice> voices() {
        return voices;
    }

    @Override
    public SpeechStream synthesize(String voice, String sentence, int sampleRate) {
        SpeechSynthesizer.checkRequest(this, voice, sentence, sampleRate);
        if (sentence.isBlank()) {
            return PcmStream.empty(SAMPLE_RATE, sampleRate);
        }
        Process process;
        try {
            // the text goes through stdin, so a sentence starting with '-' is not read as an option
            process = new ProcessBuilder(command, "--stdout", "-v", voice, "-s", Integer.toString(wordsPerMinute))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(sentence.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new SpeechSynthesisException(SpeechSynthesisException.Kind.ENGINE,
                    "espeak-ng could not be started as '" + command + "': " + e.getMessage(), Optional.empty(), e);
        }
        Process p = process;
        return new PcmStream(SAMPLE_RATE, sampleRate) {
            private final byte[] scratch = new byte[8192];
            private InputStream audio;

            @Override
            protected int read(short[] into) throws IOException {
                if (audio == null) {
                    PcmStream.WavStart start = PcmStream.readWavHeader(p.getInputStream(), "espeak-ng");
                    if (start.format().sampleRate() != SAMPLE_RATE) {
                        throw new IOException("espeak-ng wrote " + start.format().sampleRate() + " Hz audio; "
                                + SAMPLE_RATE + " expected");
                    }
                    audio = start.audio();
                }
                int n = PcmStream.readPcm16(audio, scratch, into);
                if (n < 0) {
                    exited();
                }
                return n;
            }

            private void exited() throws IOException {
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new IOException("espeak-ng closed its output but did not exit");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while espeak-ng exited", e);
                }
                if (p.exitValue() != 0) {
                    throw new IOException("espeak-ng exited with status " + p.exitValue() + " (voice " + voice + ")");
                }
            }

            @Override
            protected void stop() {
                p.destroyForcibly();
            }
        };
    }
}
