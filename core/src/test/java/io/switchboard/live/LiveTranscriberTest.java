package io.switchboard.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;

/**
 * The live transcriber decodes on a thread of its own, with the real PocketSphinx recogniser and recorded speech
 * (pocketsphinx-testdata): the call's thread hands audio in and is never held by the decoding, however long an
 * utterance's end takes, and gets the same events, in the same order, as decoding on its own thread gave.
 */
@Timeout(120) // a decoding that held the caller's thread would hang a test rather than fail it
class LiveTranscriberTest {

    private static PocketSphinxRecognizer recognizer;
    private static short[] speech;

    @BeforeAll
    static void load() throws Exception {
        recognizer = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"), 2,
                Duration.ofSeconds(60));
        speech = SpeechAudio.librivox().getFirst().samples();
    }

    @AfterAll
    static void close() {
        recognizer.close();
    }

    /** Counts the listener's calls; {@link #decodedOnce} waits for the next piece of decoding to be done. */
    static final class Counting implements LiveTranscriber.Listener {
        final AtomicInteger submitted = new AtomicInteger();
        final Semaphore decoded = new Semaphore(0);

        @Override
        public void submitted() {
            submitted.incrementAndGet();
        }

        @Override
        public void decoded() {
            decoded.release();
        }

        void decodedOnce() throws InterruptedException {
            assertTrue(decoded.tryAcquire(60, TimeUnit.SECONDS), "the decoding finished its piece");
        }
    }

    /** The real recogniser, with every session call's thread noted and an utterance's end that can be held. */
    static final class Observed implements SpeechRecognizer {
        final Set<Thread> decodedOn = ConcurrentHashMap.newKeySet();
        final CountDownLatch endHeld = new CountDownLatch(1);
        final CountDownLatch endReached = new CountDownLatch(1);
        volatile boolean holdEnd;
        volatile boolean failNext;
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public String engine() {
            return recognizer.engine();
        }

        @Override
        public int sampleRate() {
            return recognizer.sampleRate();
        }

        @Override
        public Duration maxWait() {
            return recognizer.maxWait();
        }

        @Override
        public Session open(String language, int sourceRate, Duration wait) {
            Session real = recognizer.open(language, sourceRate, wait);
            return new Session() {
                @Override
                public List<TranscriptEvent> accept(short[] samples, int offset, int length) {
                    decodedOn.add(Thread.currentThread());
                    if (failNext) {
                        throw new IllegalStateException("the decoder broke");
                    }
                    return real.accept(samples, offset, length);
                }

                @Override
                public List<TranscriptEvent> endpoint() {
                    decodedOn.add(Thread.currentThread());
                    if (holdEnd) {
                        endReached.countDown();
                        try {
                            endHeld.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return real.endpoint();
                }

                @Override
                public List<TranscriptEvent> finish() {
                    decodedOn.add(Thread.currentThread());
                    return real.finish();
                }

                @Override
                public void close() {
                    closed.incrementAndGet();
                    real.close();
                }
            };
        }

        @Override
        public void close() {
        }
    }

    private static List<short[]> frames(short[] audio) {
        List<short[]> out = new ArrayList<>();
        for (int i = 0; i < audio.length; i += 320) { // 20 ms at 16 kHz
            out.add(Arrays.copyOfRange(audio, i, Math.min(audio.length, i + 320)));
        }
        return out;
    }

    private static List<String> finals(List<LiveTranscriber.ChannelEvent> events) {
        return events.stream().filter(e -> e.event().isFinal()).map(e -> e.event().text()).toList();
    }

    @Test
    void theSameEventsInTheSameOrderAsDecodingOnTheCallsThreadGave() throws Exception {
        List<String> direct = new ArrayList<>();
        try (SpeechRecognizer.Session s = recognizer.open("en-US", 16_000)) {
            for (short[] f : frames(speech)) {
                s.accept(f, 0, f.length).stream().filter(TranscriptEvent::isFinal).forEach(e -> direct.add(e.text()));
            }
            s.finish().forEach(e -> direct.add(e.text()));
        }
        assertFalse(direct.isEmpty(), "the recording has words");

        Observed observed = new Observed();
        Counting listener = new Counting();
        LiveTranscriber t = LiveTranscriber.open(Optional.of(observed), "en-US", 1, 16_000, "test", listener);
        assertTrue(t.live());
        List<LiveTranscriber.ChannelEvent> events = new ArrayList<>();
        for (short[] f : frames(speech)) {
            t.accept(new short[][] {f});
            events.addAll(t.take()); // whatever is ready by now, as the call takes it
        }
        events.addAll(t.finish(new short[][] {new short[0]}));

        assertEquals(direct, finals(events), "the same finals, in order");
        List<Integer> seqs = events.stream().filter(e -> e.event().isFinal()).map(LiveTranscriber.ChannelEvent::seq)
                .toList();
        assertEquals(java.util.stream.IntStream.range(0, seqs.size()).boxed().toList(), seqs, "numbered in order");
        assertFalse(observed.decodedOn.contains(Thread.currentThread()), "no decoding on the call's thread");
        assertEquals(1, observed.closed.get(), "the decoder went back to its pool once");
        assertTrue(t.live(), "a finished transcript is still a live one (the call says its stage succeeded)");
    }

    @Test
    void aLongEndOfUtteranceDoesNotHoldTheCallsThreadUntilTheDecodingIsTooFarBehind() throws Exception {
        Observed observed = new Observed();
        Counting listener = new Counting();
        LiveTranscriber t = LiveTranscriber.open(Optional.of(observed), "en-US", 1, 16_000, "test", listener);
        List<short[]> frames = frames(speech);
        int half = frames.size() / 2;
        for (short[] f : frames.subList(0, half)) {
            t.accept(new short[][] {f});
        }
        observed.holdEnd = true;
        t.endpoint(0); // the turn is over: the utterance's end takes as long as the latch holds it
        assertTrue(observed.endReached.await(60, TimeUnit.SECONDS));
        int within = (int) (LiveTranscriber.MAX_BEHIND_MS / 20) - 1;
        for (short[] f : frames.subList(half, half + within)) {
            t.accept(new short[][] {f}); // the caller goes on talking: handing audio in does not wait for the end
        }
        assertTrue(t.behindMs() > LiveTranscriber.MAX_BEHIND_MS - 60, "behind by " + t.behindMs() + " ms");

        // more than the bound behind: the call's thread waits for the decoding
        Thread feeder = Thread.ofPlatform().start(() -> {
            for (short[] f : frames.subList(half + within, frames.size())) {
                t.accept(new short[][] {f});
            }
        });
        while (feeder.getState() != Thread.State.TIMED_WAITING && feeder.getState() != Thread.State.WAITING) {
            assertTrue(feeder.isAlive(), "the feeder waits for the decoding rather than run ahead of it");
            Thread.sleep(5);
        }
        assertTrue(t.behindMs() <= LiveTranscriber.MAX_BEHIND_MS, "behind by " + t.behindMs() + " ms");
        observed.endHeld.countDown();
        feeder.join();
        List<LiveTranscriber.ChannelEvent> after = new ArrayList<>(t.finish(new short[][] {new short[0]}));

        assertFalse(finals(after).isEmpty(), "the held end's final came once it was done");
        assertEquals(listener.submitted.get(), listener.decoded.availablePermits(), "every piece handed in was decoded");
        assertFalse(observed.decodedOn.contains(Thread.currentThread()));
        assertFalse(observed.decodedOn.contains(feeder));
        assertEquals(1, observed.closed.get());
    }

    @Test
    void aFailureOfTheDecodingIsThrownOnTheCallsThreadAndTheRestIsIgnored() throws Exception {
        Observed observed = new Observed();
        Counting listener = new Counting();
        LiveTranscriber t = LiveTranscriber.open(Optional.of(observed), "en-US", 1, 16_000, "test", listener);
        observed.failNext = true;
        t.accept(new short[][] {frames(speech).getFirst()});
        listener.decodedOnce();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::take);
        assertEquals("the decoder broke", e.getMessage());
        assertFalse(t.live(), "the worker transcribes the recording instead");
        t.accept(new short[][] {frames(speech).get(1)});
        assertEquals(1, listener.submitted.get(), "nothing more is handed to a failed decoding");
        t.close();
        assertEquals(1, observed.closed.get(), "the decoder still goes back to its pool");
    }
}
