package io.switchboard.live;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.transcription.Expectation;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;

/**
 * A live call's transcription: one recogniser session per channel, opened in the agent's language without
 * waiting for a decoder (a call must not stall its audio: with none free, the call goes on and the worker
 * transcribes its recording afterwards).
 *
 * <p>The decoding is handed to a thread of its own, in the order the call hands audio in, and the call's thread does
 * not wait for it: a recogniser's work comes in bursts (the end of an utterance is a second pass over it, and a
 * grammar pass over an expected answer, up to a few hundred ms), during which the call must go on hearing the caller
 * — its turn-taking, barge-in and the endpointing wait that this work is meant to fit inside. (That thread is a
 * virtual one: the native decoding itself runs on the recogniser's own decoding threads, {@code DecodingThreads}.)
 * Events come back through {@link #take}, which the call calls on its own thread when the {@link Listener} says some
 * are ready. The decoding may fall behind by at most {@link #MAX_BEHIND_MS} of audio: past that, handing audio in
 * waits, so that on a starved machine the call's hearing waits for its words (as it did when it decoded itself)
 * rather than run seconds ahead of them, deciding turns and barge-ins on words not decoded yet. Its other methods are
 * for the call's one thread.
 */
public final class LiveTranscriber implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LiveTranscriber.class.getName());

    /**
     * The most audio the decoding may have waiting: an utterance's end (a few hundred ms of work, with the caller's
     * audio going on) fits; a decoder starved for seconds holds the call up instead.
     */
    public static final long MAX_BEHIND_MS = 500;

    /** The longest the call waits for its decoding, to hand audio in or to finish: then it goes on without it. */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);

    /** One event of one channel; {@code seq} numbers a channel's final events from 0. */
    public record ChannelEvent(int channel, TranscriptEvent event, int seq) {
    }

    /** How the call hears of the decoding thread's work. */
    public interface Listener {
        /** Work was handed to the decoding thread (called on the call's thread, before the work can be done). */
        void submitted();

        /** Work handed in is done: its events, or its failure, wait for {@link #take} (called on the decoding thread). */
        void decoded();
    }

    /** A piece of decoding's events, or how it failed (a RuntimeException or an Error: the native recogniser's). */
    private record Decoded(List<ChannelEvent> events, Throwable failure) {
    }

    private final List<SpeechRecognizer.Session> sessions = new ArrayList<>();
    private final int[] finals;
    private final String engine;
    private final Listener listener;
    private final ConcurrentLinkedQueue<Decoded> decoded = new ConcurrentLinkedQueue<>();
    private ExecutorService decoding;
    private volatile boolean live;
    private long rate = 16_000; // samples per second of the audio handed in (the recogniser's rate)
    private final Object behindLock = new Object();
    private long behindSamples; // audio handed in and not decoded yet (guarded by behindLock)

    private LiveTranscriber(String engine, int channels, Listener listener) {
        this.engine = engine;
        this.finals = new int[channels];
        this.listener = listener;
    }

    /**
     * Opens {@code channels} sessions in {@code language} for audio captured at {@code sourceRate}; without a
     * recogniser, or with no decoder free, the transcriber is off ({@link #live()} false) and ignores audio.
     */
    public static LiveTranscriber open(Optional<SpeechRecognizer> recognizer, String language, int channels,
                                       int sourceRate, String call, Listener listener) {
        LiveTranscriber t = new LiveTranscriber(recognizer.map(SpeechRecognizer::engine).orElse(""), channels,
                listener);
        if (recognizer.isEmpty()) {
            return t;
        }
        try {
            for (int c = 0; c < channels; c++) {
                t.sessions.add(recognizer.get().open(language, sourceRate, Duration.ZERO));
            }
            t.rate = recognizer.get().sampleRate();
            t.decoding = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("live-decode").factory());
            t.live = true;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "no live transcription for call " + call + ": " + e.getMessage());
            t.close();
        }
        return t;
    }

    /** Whether the call is being transcribed as it goes (so far without a failure). */
    public boolean live() {
        return live;
    }

    public String engine() {
        return engine;
    }

    /** Hands each channel's samples (at the recogniser's rate) to the decoding; their events come through {@link #take}. */
    public void accept(short[][] pcm) {
        if (!live || decoding == null || pcm.length == 0) {
            return;
        }
        long samples = pcm[0].length;
        synchronized (behindLock) {
            long giveUp = System.nanoTime() + MAX_WAIT.toNanos();
            while (behindSamples > 0 && (behindSamples + samples) * 1000 / rate > MAX_BEHIND_MS && live) {
                long left = giveUp - System.nanoTime();
                if (left <= 0) {
                    // a decoding this stuck must not stop the call's hearing, hang-up and end with it
                    LOG.warning("the live decoding made no room in " + MAX_WAIT.toSeconds() + " s ("
                            + behindSamples * 1000 / rate + " ms of audio behind); the call goes on without waiting");
                    break;
                }
                try {
                    behindLock.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            behindSamples += samples;
        }
        submit(() -> {
            try {
                return feed(pcm, false);
            } finally {
                synchronized (behindLock) {
                    behindSamples -= samples;
                    behindLock.notifyAll();
                }
            }
        });
    }

    /** Audio handed in and not decoded yet, in ms. */
    long behindMs() {
        synchronized (behindLock) {
            return behindSamples * 1000 / rate;
        }
    }

    /**
     * The speaker on {@code channel} has finished their turn: that channel's utterance under way ends now
     * ({@link SpeechRecognizer.Session#endpoint}), after the audio already handed in, so its final text comes
     * without waiting for the recogniser's own end of speech.
     */
    public void endpoint(int channel) {
        if (channel >= 0 && channel < sessions.size()) {
            submit(() -> {
                List<ChannelEvent> out = new ArrayList<>();
                numbered(channel, sessions.get(channel).endpoint(), out);
                return out;
            });
        }
    }

    /**
     * What every channel's next answer is likely made of ({@link SpeechRecognizer.Session#expect}), from the audio
     * handed in after this call: in turn with it, so a decoding running behind does not apply it to earlier speech.
     */
    public void expect(Expectation expectation) {
        submit(() -> {
            sessions.forEach(s -> s.expect(expectation));
            return List.of();
        });
    }

    /**
     * The events decoded since the last take, in order; a failure of the decoding is thrown here, on the call's
     * thread, as it was when the decoding ran there.
     */
    public List<ChannelEvent> take() {
        List<ChannelEvent> out = new ArrayList<>();
        for (Decoded d = decoded.poll(); d != null; d = decoded.poll()) {
            if (d.failure() instanceof RuntimeException e) {
                live = false;
                throw e;
            } else if (d.failure() instanceof Error e) {
                live = false;
                throw e;
            }
            out.addAll(d.events());
        }
        return out;
    }

    /**
     * Feeds the last samples and ends every channel's utterance, once everything handed in before is decoded; returns
     * every event not yet taken. The transcriber is closed afterwards.
     */
    public List<ChannelEvent> finish(short[][] tail) {
        try {
            if (!live || decoding == null) {
                return take();
            }
            Future<List<ChannelEvent>> last = decoding.submit(() -> feed(tail, true));
            List<ChannelEvent> out = take();
            out.addAll(waitFor(last));
            out.addAll(take());
            return out;
        } catch (RuntimeException e) {
            live = false; // the recording is transcribed by the worker instead
            throw e;
        } finally {
            close();
        }
    }

    private static List<ChannelEvent> waitFor(Future<List<ChannelEvent>> work) {
        try {
            return work.get(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the live decoding did not finish within " + MAX_WAIT.toSeconds()
                    + " s; the worker transcribes the recording", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the live transcript was finished", e);
        }
    }

    private void submit(Supplier<List<ChannelEvent>> work) {
        if (!live || decoding == null) {
            return; // off, failed, or closed
        }
        listener.submitted();
        try {
            decoding.execute(() -> {
                try {
                    decoded.add(new Decoded(work.get(), null));
                } catch (RuntimeException | Error e) {
                    decoded.add(new Decoded(List.of(), e));
                } finally {
                    listener.decoded();
                }
            });
        } catch (RejectedExecutionException e) {
            listener.decoded(); // closed meanwhile: nothing to decode, nothing to wait for
        }
    }

    /** On the decoding thread. */
    private List<ChannelEvent> feed(short[][] pcm, boolean last) {
        List<ChannelEvent> out = new ArrayList<>();
        for (int c = 0; c < sessions.size(); c++) {
            List<TranscriptEvent> events = new ArrayList<>(sessions.get(c).accept(pcm[c], 0, pcm[c].length));
            if (last) {
                events.addAll(sessions.get(c).finish());
            }
            numbered(c, events, out);
        }
        return out;
    }

    /** {@code channel}'s events to {@code out}, its finals numbered in order (on the decoding thread). */
    private void numbered(int channel, List<TranscriptEvent> events, List<ChannelEvent> out) {
        for (TranscriptEvent e : events) {
            out.add(new ChannelEvent(channel, e, e.isFinal() ? finals[channel]++ : -1));
        }
    }

    /**
     * Returns the decoders to their pool once the decoding handed in so far is over (a decoder is never back in the
     * pool while this call's thread still decodes with it).
     */
    @Override
    public void close() {
        ExecutorService d = decoding;
        decoding = null;
        if (d != null) {
            d.shutdown();
            try {
                if (!d.awaitTermination(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warning("the live decoding did not stop within " + MAX_WAIT.toSeconds() + " s; its decoders "
                            + "go back to the pool when it does");
                    List<SpeechRecognizer.Session> later = List.copyOf(sessions);
                    sessions.clear();
                    Thread.ofVirtual().name("live-decode-close").start(() -> {
                        try {
                            if (d.awaitTermination(1, TimeUnit.HOURS)) {
                                later.forEach(SpeechRecognizer.Session::close);
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        sessions.forEach(SpeechRecognizer.Session::close);
        sessions.clear();
    }
}
