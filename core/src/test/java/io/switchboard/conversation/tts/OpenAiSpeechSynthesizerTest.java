package io.switchboard.conversation.tts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.audio.Resampler;
import io.switchboard.audio.Wav;
import io.switchboard.audio.AudioFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible adapter against a local server speaking {@code POST /v1/audio/speech} as OpenAI does:
 * Bearer key, JSON request, the audio streamed back in chunks (24 kHz PCM16 little-endian, or WAV), and its
 * errors as {@code {"error": {...}}} with 401, 429 and 500. The audio it serves is real speech (Flite's slt at
 * 24 kHz), so what comes out is checked sample for sample against what went in, resampled.
 */
class OpenAiSpeechSynthesizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static short[] speech24k;

    private HttpServer server;
    private final LinkedBlockingQueue<Recorded> requests = new LinkedBlockingQueue<>();
    /** What the next request gets; tests set it. */
    private volatile Handler reply;

    interface Handler {
        void handle(HttpExchange x) throws IOException;
    }

    record Recorded(String method, String path, String authorization, String contentType, JsonNode body) {
    }

    @BeforeAll
    static void speech() {
        try (FliteSynthesizer flite = FliteSynthesizer.load("")) {
            short[] at16k = flite.synthesize("slt", LocalSynthesizersTest.SENTENCE, 16_000).readAll();
            Resampler up = new Resampler(16_000, 24_000);
            short[] a = up.process(at16k, 0, at16k.length);
            short[] b = up.flush();
            speech24k = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, speech24k, a.length, b.length);
        }
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/audio/speech", x -> {
            try (x) {
                requests.add(new Recorded(x.getRequestMethod(), x.getRequestURI().getPath(),
                        x.getRequestHeaders().getFirst("Authorization"), x.getRequestHeaders().getFirst("Content-Type"),
                        JSON.readTree(x.getRequestBody())));
                reply.handle(x);
            } catch (IOException e) {
                // the client went away (cancel)
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private OpenAiSpeechSynthesizer synthesizer(OpenAiSpeechSynthesizer.Format format) {
        return new OpenAiSpeechSynthesizer(new OpenAiSpeechSynthesizer.Settings(
                "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "sk-test-key", "gpt-4o-mini-tts",
                OpenAiSpeechSynthesizer.OPENAI_VOICES, format, Duration.ofSeconds(10)));
    }

    private static byte[] littleEndian(short[] pcm) {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : pcm) {
            b.putShort(s);
        }
        return b.array();
    }

    /** Streams the bytes with chunked transfer encoding, in odd-sized pieces (so samples straddle writes). */
    private static void stream(HttpExchange x, String contentType, byte[] bytes) throws IOException {
        x.getResponseHeaders().set("Content-Type", contentType);
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            for (int i = 0; i < bytes.length; i += 4801) {
                out.write(bytes, i, Math.min(4801, bytes.length - i));
                out.flush();
            }
        }
    }

    private static void error(HttpExchange x, int status, String type, String code, String message) throws IOException {
        byte[] body = ("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,"
                + "\"code\":" + (code == null ? "null" : "\"" + code + "\"") + "}}").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, body.length);
        x.getResponseBody().write(body);
    }

    private static short[] expected(int rate) {
        Resampler r = new Resampler(24_000, rate);
        short[] a = r.process(speech24k, 0, speech24k.length);
        short[] b = r.flush();
        short[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void pcmIsRequestedWithTheKeyAndStreamedBackResampled() throws Exception {
        reply = x -> stream(x, "audio/pcm", littleEndian(speech24k));
        try (OpenAiSpeechSynthesizer openai = synthesizer(OpenAiSpeechSynthesizer.Format.PCM)) {
            for (int rate : List.of(8000, 16_000)) {
                short[] got = openai.synthesize("coral", "Please call me back.", rate).readAll();
                assertArrayEquals(expected(rate), got, "at " + rate + " Hz");
                Recorded r = requests.poll(5, TimeUnit.SECONDS);
                assertEquals("POST", r.method());
                assertEquals("/v1/audio/speech", r.path());
                assertEquals("Bearer sk-test-key", r.authorization());
                assertEquals("application/json", r.contentType());
                assertEquals("gpt-4o-mini-tts", r.body().path("model").asText());
                assertEquals("Please call me back.", r.body().path("input").asText());
                assertEquals("coral", r.body().path("voice").asText());
                assertEquals("pcm", r.body().path("response_format").asText());
            }
        }
    }

    @Test
    void wavIsReadPastItsHeader() throws Exception {
        reply = x -> {
            byte[] pcm = littleEndian(speech24k);
            byte[] wav = new byte[Wav.HEADER_SIZE + pcm.length];
            System.arraycopy(Wav.header(new AudioFormat(AudioFormat.Encoding.PCM16, 24_000, 1,
                    AudioFormat.Container.WAV), pcm.length), 0, wav, 0, Wav.HEADER_SIZE);
            System.arraycopy(pcm, 0, wav, Wav.HEADER_SIZE, pcm.length);
            stream(x, "audio/wav", wav);
        };
        try (OpenAiSpeechSynthesizer openai = synthesizer(OpenAiSpeechSynthesizer.Format.WAV)) {
            assertArrayEquals(expected(16_000), openai.synthesize("alloy", "Hello.", 16_000).readAll());
            assertEquals("wav", requests.poll(5, TimeUnit.SECONDS).body().path("response_format").asText());
        }
    }

    @Test
    void aRefusedKeyIsUnauthenticatedWithTheServicesMessage() {
        reply = x -> error(x, 401, "invalid_request_error", "invalid_api_key",
                "Incorrect API key provided: sk-test-key.");
        try (OpenAiSpeechSynthesizer openai = synthesizer(OpenAiSpeechSynthesizer.Format.PCM)) {
            SpeechStream s = openai.synthesize("alloy", "Hello.", 8000);
            var e = assertThrows(SpeechSynthesisException.class, s::next);
            assertEquals(SpeechSynthesisException.Kind.UNAUTHENTICATED, e.kind());
            assertTrue(e.getMessage().contains("answered 401: Incorrect API key provided")
                    && e.getMessage().contains("tts.openai.api-key"), e.getMessage());
        }
    }

    @Test
    void aRateLimitIsRateLimitedWithTheRetryAfterHint() {
        reply = x -> {
            x.getResponseHeaders().set("Retry-After", "2");
            error(x, 429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini-tts.");
        };
        try (OpenAiSpeechSynthesizer openai = synthesizer(OpenAiSpeechSynthesizer.Format.PCM)) {
            var e = assertThrows(SpeechSynthesisException.class, () -> openai.synthesize("alloy", "Hello.", 8000).next());
            assertEquals(SpeechSynthesisException.Kind.RATE_LIMITED, e.kind());
            assertEquals(Optional.of(Duration.ofSeconds(2)), e.retryAfter());
            assertTrue(e.getMessage().contains("Rate limit reached"), e.getMessage());
        }
    }

    @Test
    void aServerErrorIsUnavailableAndABadModelIsRejected() {
        try (OpenAiSpeechSynthesizer openai = synthesizer(OpenAiSpeechSynthesizer.Format.PCM)) {
            reply = x -> error(x, 500, "server_error", null, "The server had an error while processing your request.");
            var e = assertThrows(SpeechSynthesisException.class, () -> openai.synthesize("alloy", "Hello.", 8000).next());
            assertEquals(SpeechSynthesisException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().contains("answered 500: The server had an error"), e.getMessage());

            reply = x -> error(x, 400, "invalid_request_error", "model_not_found", "The model `tts-9` does not exist.");
            var bad = assertThrows(SpeechSynthesisException.class, () -> openai.synthesize("alloy", "Hello.", 8000).next());
            assertEquals(SpeechSynthesisException.Kind.REJECTED, bad.kind());
            assertTrue(bad.getMessage().contains("does not exist") && bad.getMessage().contains("tts.openai.model"),
                    bad.getMessage());

            reply = x -> {
                x.sendResponseHeaders(502, -1);
            };
            var empty = assertThrows(SpeechSynthesisException.class, () -> openai.synthesize("alloy", "Hello.", 8000).next());
            assertTrue(empty.getMessage().contains("answered 502: (no body)"), empty.getMessage());
        }
    }

    @Test
    void anUnreachableServiceIsUnavailable() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (OpenAiSpeechSynthesizer openai = new OpenAiSpeechSynthesizer(new OpenAiSpeechSynthesizer.Settings(
                "http://127.0.0.1:" + closedPort + "/v1", "k", "tts-1", List.of("alloy"),
                OpenAiSpeechSynthesizer.Format.PCM, Duration.ofSeconds(5)))) {
            var e = assertThrows(SpeechSynthesisException.class, () -> openai.synthesize("alloy", "Hello.", 8000).next());
            assertEquals(SpeechSynthesisException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().contains("could not be reached"), e.getMessage());
            var voice = assertThrows(Voices.UnknownVoice.class, () -> openai.synthesize("nova", "Hello.", 8000));
            assertTrue(voice.getMessage().contains("openai has no voice 'nova'; it has alloy"), voice.getMessage());
        }
    }

    @Test
    void cancelFromAnotherThreadEndsAReadBlockedOnTheService() throws Exception {
        CountDownLatch firstSent = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        reply = x -> {
            x.sendResponseHeaders(200, 0);
            OutputStream out = x.getResponseBody();
            out.write(littleEndian(java.util.Arrays.copyOf(speech24k, 2400)));
            out.flush();
            firstSent.countDown();
            try {
                release.await(); // the service stalls mid-sentence
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (OpenAiSpeechSynthesizer openai = synthesizer(OpenAiSpeechSynthesizer.Format.PCM)) {
            SpeechStream s = openai.synthesize("alloy", LocalSynthesizersTest.SENTENCE, 8000);
            CompletableFuture<Integer> samples = new CompletableFuture<>();
            java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
            Thread reader = new Thread(() -> {
                for (Optional<short[]> c = s.next(); c.isPresent(); c = s.next()) {
                    got.addAndGet(c.get().length);
                }
                samples.complete(got.get());
            });
            reader.start();
            firstSent.await();
            // once the reader has had audio and waits on the socket for more, barge-in cancels from here
            while (got.get() == 0 || reader.getState() != Thread.State.WAITING
                    && reader.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            s.cancel();
            int read = samples.get(60, TimeUnit.SECONDS); // a hang guard, not a speed check
            assertTrue(read > 0 && read <= 800, read + " samples: the 100 ms sent, not more");
            assertEquals(Optional.empty(), s.next());
        } finally {
            release.countDown();
        }
    }
}
