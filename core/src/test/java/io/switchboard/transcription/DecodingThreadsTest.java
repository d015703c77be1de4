package io.switchboard.transcription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class DecodingThreadsTest {

    /** Where a session's work ran: thread, and that thread's Linux nice value. */
    record Seen(String thread, boolean virtual, int nice) {
    }

    /** An engine that only notes where it is asked to work (or fails as told). */
    private static SpeechRecognizer noting(AtomicReference<Seen> seen, RuntimeException failure) {
        return new SpeechRecognizer() {
            @Override
            public String engine() {
                return "noting";
            }

            @Override
            public int sampleRate() {
                return 16_000;
            }

            @Override
            public Duration maxWait() {
                return Duration.ZERO;
            }

            @Override
            public Session open(String language, int sourceRate, Duration wait) {
                return new Session() {
                    @Override
                    public List<TranscriptEvent> accept(short[] samples, int offset, int length) {
                        Thread t = Thread.currentThread();
                        seen.set(new Seen(t.getName(), t.isVirtual(), nice()));
                        if (failure != null) {
                            throw failure;
                        }
                        return List.of();
                    }

                    @Override
                    public List<TranscriptEvent> finish() {
                        return List.of();
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public void close() {
            }
        };
    }

    /** Field 19 of /proc/thread-self/stat, counted after the command name in parentheses. */
    static int nice() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[16]);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aLiveCallsVirtualThreadHandsDecodingToALowerPriorityPlatformThread() throws Exception {
        AtomicReference<Seen> seen = new AtomicReference<>();
        try (DecodingThreads r = DecodingThreads.wrap(noting(seen, null), 2, 10)) {
            CompletableFuture<Seen> caller = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (SpeechRecognizer.Session s = r.open("en-US")) {
                    s.accept(new short[320], 0, 320);
                    caller.complete(new Seen(Thread.currentThread().getName(), Thread.currentThread().isVirtual(), nice()));
                } catch (RuntimeException e) {
                    caller.completeExceptionally(e);
                }
            });
            Seen call = caller.get();
            assertTrue(call.virtual());
            assertEquals(0, call.nice(), "the caller's own priority is untouched");
            assertFalse(seen.get().virtual(), "decoding must not hold a carrier thread of the API's virtual threads");
            assertTrue(seen.get().thread().startsWith("speech-decoder-"), seen.get().thread());
            assertEquals(10, seen.get().nice());
        }
    }

    @Test
    void niceZeroLeavesTheDecodingThreadsAtTheApisPriority() {
        AtomicReference<Seen> seen = new AtomicReference<>();
        try (DecodingThreads r = DecodingThreads.wrap(noting(seen, null), 1, 0);
             SpeechRecognizer.Session s = r.open("en-US")) {
            s.accept(new short[320], 0, 320);
        }
        assertEquals(0, seen.get().nice());
    }

    @Test
    void theEnginesRefusalReachesTheCallerAsItself() {
        var refusal = new IllegalStateException("session closed");
        try (DecodingThreads r = DecodingThreads.wrap(noting(new AtomicReference<>(), refusal), 1, 10);
             SpeechRecognizer.Session s = r.open("en-US")) {
            assertSame(refusal, assertThrows(IllegalStateException.class, () -> s.accept(new short[1], 0, 1)));
        }
    }

    @Test
    void realSpeechGetsTheSameTranscriptThroughTheDecodingThreads() throws Exception {
        short[] speech = SpeechAudio.librivox().get(1).samples();
        try (PocketSphinxRecognizer engine = PocketSphinxRecognizer.load("", PocketSphinxRecognizerTest.MODEL, 1,
                Duration.ofSeconds(30))) {
            String direct = SpeechAudio.transcribe(engine, speech, 320).finalText();
            try (DecodingThreads wrapped = DecodingThreads.wrap(engine, 1, 10)) {
                assertEquals(direct, SpeechAudio.transcribe(wrapped, speech, 320).finalText());
                assertEquals("pocketsphinx", wrapped.engine());
            }
            assertFalse(direct.isEmpty());
        }
    }
}
