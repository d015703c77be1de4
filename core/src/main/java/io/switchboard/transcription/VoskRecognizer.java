package io.switchboard.transcription;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.common.SwitchboardException;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

/**
 * Vosk (Kaldi) through its Java binding: the production engine when a model is configured. The model is
 * loaded once and shared by every stream; each stream gets its own recogniser, and at most
 * {@code maxStreams} run at once.
 */
public final class VoskRecognizer implements SpeechRecognizer {

    public static final int SAMPLE_RATE = 16_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Model model;
    private final Semaphore streams;
    private final int maxStreams;
    private final Duration maxWait;

    private VoskRecognizer(Model model, int maxStreams, Duration maxWait) {
        this.model = model;
        this.streams = new Semaphore(maxStreams);
        this.maxStreams = maxStreams;
        this.maxWait = maxWait;
    }

    /** Loads the model at {@code modelPath}, failing with where to put one when it is missing or broken. */
    public static VoskRecognizer load(String modelPath, int maxStreams, Duration maxWait) {
        if (modelPath == null || modelPath.isBlank()) {
            throw new IllegalStateException("transcription.engine is vosk but transcription.vosk.model-path is empty; "
                    + "download a model from https://alphacephei.com/vosk/models, unpack it and set "
                    + "transcription.vosk.model-path (env TRANSCRIPTION_VOSK_MODEL_PATH) to its directory");
        }
        Path dir = Path.of(modelPath);
        if (!Files.isDirectory(dir.resolve("am")) || !Files.isDirectory(dir.resolve("conf"))) {
            throw new IllegalStateException("transcription.vosk.model-path " + dir + " is not an unpacked Vosk model "
                    + "(expected am/ and conf/ inside); download one from https://alphacephei.com/vosk/models");
        }
        LibVosk.setLogLevel(LogLevel.WARNINGS);
        try {
            return new VoskRecognizer(new Model(dir.toString()), Math.max(1, maxStreams), maxWait);
        } catch (IOException e) {
            throw new IllegalStateException("Vosk could not load the model in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String engine() {
        return "vosk";
    }

    @Override
    public int sampleRate() {
        return SAMPLE_RATE;
    }

    @Override
    public Duration maxWait() {
        return maxWait;
    }

    @Override
    public Session open(String language, int sourceRate, Duration wait) {
        try {
            if (!streams.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SwitchboardException.ResourceExhausted("transcription:streams", "all " + maxStreams
                        + " speech streams stayed busy for " + wait, Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a speech stream", e);
        }
        try {
            Recognizer r = new Recognizer(model, SAMPLE_RATE);
            r.setWords(true);
            r.setPartialWords(false);
            return new VoskSession(r);
        } catch (IOException | RuntimeException e) {
            streams.release();
            throw new IllegalStateException("Vosk could not start a recogniser: " + e.getMessage(), e);
        }
    }

    private final class VoskSession implements Session {
        private Recognizer recognizer;
        private String lastPartial = "";

        VoskSession(Recognizer recognizer) {
            this.recognizer = recognizer;
        }

        @Override
        public List<TranscriptEvent> accept(short[] samples, int offset, int length) {
            short[] chunk = offset == 0 && length == samples.length ? samples
                    : java.util.Arrays.copyOfRange(samples, offset, offset + length);
            List<TranscriptEvent> out = new ArrayList<>();
            if (recognizer.acceptWaveForm(chunk, chunk.length)) {
                finalEvent(recognizer.getResult(), out);
                lastPartial = "";
            } else {
                String partial = read(recognizer.getPartialResult()).path("partial").asText("").strip();
                if (!partial.isEmpty() && !partial.equals(lastPartial)) {
                    lastPartial = partial;
                    out.add(new TranscriptEvent(false, partial, Duration.ZERO, Duration.ZERO, List.of()));
                }
            }
            return out;
        }

        @Override
        public List<TranscriptEvent> finish() {
            List<TranscriptEvent> out = new ArrayList<>();
            finalEvent(recognizer.getFinalResult(), out);
            return out;
        }

        private void finalEvent(String json, List<TranscriptEvent> out) {
            JsonNode n = read(json);
            String text = n.path("text").asText("").strip();
            if (text.isEmpty()) {
                return;
            }
            List<Word> words = new ArrayList<>();
            for (JsonNode w : n.path("result")) {
                words.add(new Word(w.path("word").asText(), seconds(w.path("start").asDouble()),
                        seconds(w.path("end").asDouble()), w.path("conf").asDouble(1.0)));
            }
            out.add(new TranscriptEvent(true, text, words.isEmpty() ? Duration.ZERO : words.getFirst().start(),
                    words.isEmpty() ? Duration.ZERO : words.getLast().end(), words));
        }

        @Override
        public void close() {
            if (recognizer != null) {
                recognizer.close();
                recognizer = null;
                streams.release();
            }
        }
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("Vosk returned malformed JSON: " + json, e);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
