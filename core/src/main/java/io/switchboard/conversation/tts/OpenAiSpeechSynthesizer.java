package io.switchboard.conversation.tts;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Production voices from any service speaking OpenAI's {@code POST /v1/audio/speech} (OpenAI itself, and the
 * self-hosted servers that copy its API). The request is {@code {model, input, voice, response_format}} with a
 * Bearer key; the answer is the audio, streamed: {@code pcm} is headerless 24 kHz mono PCM16 little-endian,
 * {@code wav} the same with a RIFF header (for servers without raw PCM). Audio is passed on as it arrives, so
 * the first chunk plays before the service has finished the sentence. Errors come back as HTTP status plus
 * {@code {"error": {"message", "type", "code"}}}; each becomes a {@link SpeechSynthesisException} that names the
 * service and says what to do.
 */
public final class OpenAiSpeechSynthesizer implements SpeechSynthesizer {

    /** OpenAI's documented rate for {@code response_format: pcm}. */
    public static final int PCM_RATE = 24_000;
    /** OpenAI's built-in voices (they speak the language of the text). */
    public static final List<String> OPENAI_VOICES = List.of("alloy", "ash", "ballad", "coral", "echo", "fable",
            "nova", "onyx", "sage", "shimmer", "verse");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_BODY = 16 * 1024;

    public enum Format {
        PCM, WAV
    }

    /**
     * @param baseUrl the API root, e.g. {@code https://api.openai.com/v1} ({@code /audio/speech} is appended)
     * @param apiKey  sent as {@code Authorization: Bearer}; empty sends none (local servers)
     * @param timeout how long to wait for the response to start
     */
    public record Settings(String baseUrl, String apiKey, String model, List<String> voices, Format format,
                           Duration timeout) {
        public Settings {
            if (baseUrl.isBlank()) {
                throw new IllegalArgumentException("tts.openai.base-url is required");
            }
            if (model.isBlank()) {
                throw new IllegalArgumentException("tts.openai.model is required");
            }
            voices = List.copyOf(voices);
            if (voices.isEmpty()) {
                throw new IllegalArgumentException("tts.openai.voices lists no voice");
            }
        }
    }

    private final Settings settings;
    private final URI endpoint;
    private final HttpClient http;
    private final List<Voice> voices;

    public OpenAiSpeechSynthesizer(Settings settings) {
        this.settings = settings;
        String base = settings.baseUrl().endsWith("/") ? settings.baseUrl() : settings.baseUrl() + "/";
        this.endpoint = URI.create(base).resolve("audio/speech");
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
        this.voices = settings.voices().stream()
                .map(v -> new Voice("openai", v, "mul", Voice.Gender.UNKNOWN, PCM_RATE)).toList();
    }

    @Override
    public String engine() {
        return "openai";
    }

    @Override
    public List<Voice> voices() {
        return voices;
    }

    @Override
    public SpeechStream synthesize(String voice, String sentence, int sampleRate) {
        SpeechSynthesizer.checkRequest(this, voice, sentence, sampleRate);
        if (sentence.isBlank()) {
            return PcmStream.empty(PCM_RATE, sampleRate);
        }
        ObjectNode body = JSON.createObjectNode().put("model", settings.model()).put("input", sentence)
                .put("voice", voice).put("response_format", settings.format().name().toLowerCase(Locale.ROOT));
        HttpRequest.Builder req = HttpRequest.newBuilder(endpoint).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (!settings.apiKey().isBlank()) {
            req.header("Authorization", "Bearer " + settings.apiKey());
        }
        CompletableFuture<HttpResponse<InputStream>> response = http.sendAsync(req.build(),
                HttpResponse.BodyHandlers.ofInputStream());
        return new PcmStream(PCM_RATE, sampleRate) {
            private final byte[] scratch = new byte[8192];
            private volatile InputStream audio;

            @Override
            protected int read(short[] into) throws IOException {
                if (audio == null) {
                    audio = open(response);
                }
                return PcmStream.readPcm16(audio, scratch, into);
            }

            @Override
            protected SpeechSynthesisException failure(IOException e) {
                return new SpeechSynthesisException(SpeechSynthesisException.Kind.UNAVAILABLE, "speech service "
                        + endpoint + " broke off the audio: " + e.getMessage(), Optional.empty(), e);
            }

            @Override
            protected void stop() {
                response.cancel(true);
                InputStream a = audio;
                if (a != null) {
                    try {
                        a.close(); // aborts the exchange
                    } catch (IOException ignored) {
                        // the stream is being abandoned
                    }
                }
            }
        };
    }

    /** Waits for the response; the audio stream when it is 200, else the service's error as an exception. */
    private InputStream open(CompletableFuture<HttpResponse<InputStream>> pending) throws IOException {
        HttpResponse<InputStream> r;
        try {
            r = pending.get();
        } catch (CancellationException e) {
            throw new IOException("cancelled", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            String why = c instanceof HttpTimeoutException ? "no answer within " + settings.timeout()
                    : c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
            throw new SpeechSynthesisException(SpeechSynthesisException.Kind.UNAVAILABLE,
                    "speech service " + endpoint + " could not be reached (" + why + ")", Optional.empty(), c);
        }
        if (r.statusCode() != 200) {
            String detail;
            try (InputStream in = r.body()) {
                detail = errorMessage(new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8));
            }
            throw error(r.statusCode(), detail, r.headers().firstValue("Retry-After"));
        }
        if (settings.format() == Format.WAV) {
            PcmStream.WavStart start = PcmStream.readWavHeader(r.body(), "speech service " + endpoint);
            if (start.format().sampleRate() != PCM_RATE) {
                throw new IOException("speech service " + endpoint + " sent " + start.format().sampleRate()
                        + " Hz audio; " + PCM_RATE + " expected");
            }
            return start.audio();
        }
        return r.body();
    }

    private SpeechSynthesisException error(int status, String detail, Optional<String> retryAfter) {
        String where = "speech service " + endpoint + " answered " + status + ": " + detail;
        return switch (status) {
            case 401, 403 -> new SpeechSynthesisException(SpeechSynthesisException.Kind.UNAUTHENTICATED,
                    where + " (check tts.openai.api-key)");
            case 429 -> new SpeechSynthesisException(SpeechSynthesisException.Kind.RATE_LIMITED,
                    where + " (rate limit or quota)", retryAfter.flatMap(OpenAiSpeechSynthesizer::seconds), null);
            default -> status >= 500
                    ? new SpeechSynthesisException(SpeechSynthesisException.Kind.UNAVAILABLE, where)
                    : new SpeechSynthesisException(SpeechSynthesisException.Kind.REJECTED,
                            where + " (check tts.openai.model and tts.openai.voices)");
        };
    }

    private static Optional<Duration> seconds(String header) {
        try {
            return Optional.of(Duration.ofMillis(Math.round(Double.parseDouble(header.strip()) * 1000)));
        } catch (NumberFormatException e) {
            return Optional.empty(); // an HTTP date; not worth parsing for a hint
        }
    }

    /** OpenAI's {@code error.message}, or the body itself when it is not that shape. */
    static String errorMessage(String body) {
        try {
            JsonNode m = JSON.readTree(body).path("error").path("message");
            if (m.isTextual() && !m.asText().isBlank()) {
                return m.asText();
            }
        } catch (IOException notJson) {
            // fall through to the raw body
        }
        String b = body.strip();
        return b.isEmpty() ? "(no body)" : b.length() > 300 ? b.substring(0, 300) + "…" : b;
    }

    @Override
    public void close() {
        http.close();
    }
}
