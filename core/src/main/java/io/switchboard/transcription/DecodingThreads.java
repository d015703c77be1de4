package io.switchboard.transcription;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Logger;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Runs every session's decoding on a bounded set of platform threads that the operating system schedules
 * after everything else in the process. A recogniser's native code never yields: decoded on virtual threads,
 * a few live calls held the carrier threads that also serve the API, and with three calls decoding on two
 * cores unary p99 went from 86 ms to 574 ms. Here the caller's thread (a live call's virtual thread, a
 * worker's stage) hands each chunk over and waits, unmounted; the decoding threads lower their own Linux nice
 * value, so when the API and decoding want the same core the API wins, and decoding takes what is left.
 * One thread per pooled decoder: a session holds a decoder, so no session waits for a thread.
 */
public final class DecodingThreads implements SpeechRecognizer {

    private static final Logger LOG = Logger.getLogger(DecodingThreads.class.getName());

    private final SpeechRecognizer engine;
    private final ExecutorService threads;

    private DecodingThreads(SpeechRecognizer engine, ExecutorService threads) {
        this.engine = engine;
        this.threads = threads;
    }

    /**
     * @param count decoding threads (the engine's pool size)
     * @param nice  the Linux nice value the threads give themselves, 0 (as the API) to 19 (only idle time
     *              when the API is busy); raising one's own nice value needs no privilege
     */
    public static DecodingThreads wrap(SpeechRecognizer engine, int count, int nice) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(Math.max(1, count), r -> Thread.ofPlatform().daemon()
                .name("speech-decoder-" + n.incrementAndGet()).unstarted(() -> {
                    lowerPriority(nice);
                    r.run();
                }));
        return new DecodingThreads(engine, threads);
    }

    /** The C library calls that set one thread's scheduling priority (per thread on Linux, see setpriority(2)). */
    interface LibC extends Library {
        int gettid();

        int setpriority(int which, int who, int prio);
    }

    private static final int PRIO_PROCESS = 0;

    static void lowerPriority(int nice) {
        if (nice <= 0) {
            return;
        }
        try {
            LibC c = Native.load("c", LibC.class);
            if (c.setpriority(PRIO_PROCESS, c.gettid(), Math.min(19, nice)) != 0) {
                LOG.warning("speech decoding runs at normal priority: setpriority failed (errno "
                        + Native.getLastError() + ")");
            }
        } catch (UnsatisfiedLinkError e) {
            LOG.warning("speech decoding runs at normal priority: " + e.getMessage());
        }
    }

    @Override
    public String engine() {
        return engine.engine();
    }

    @Override
    public int sampleRate() {
        return engine.sampleRate();
    }

    @Override
    public Duration maxWait() {
        return engine.maxWait();
    }

    @Override
    public Session open(String language, int sourceRate, Duration wait) {
        // waiting for a decoder happens on the caller's thread; only decoding takes a decoding thread
        Session s = engine.open(language, sourceRate, wait);
        return new Session() {
            @Override
            public List<TranscriptEvent> accept(short[] samples, int offset, int length) {
                return onDecodingThread(() -> s.accept(samples, offset, length));
            }

            @Override
            public void expect(Expectation expectation) {
                s.expect(expectation);
            }

            @Override
            public List<TranscriptEvent> endpoint() {
                return onDecodingThread(s::endpoint);
            }

            @Override
            public List<TranscriptEvent> finish() {
                return onDecodingThread(s::finish);
            }

            @Override
            public void close() {
                onDecodingThread(() -> {
                    s.close();
                    return List.of();
                });
            }
        };
    }

    /**
     * Runs {@code work} on a decoding thread and waits for it, to the end even when interrupted: a session is
     * fed from one thread at a time, so nothing else may touch it while its decoding runs.
     */
    private List<TranscriptEvent> onDecodingThread(Supplier<List<TranscriptEvent>> work) {
        Future<List<TranscriptEvent>> f = threads.submit(work::get);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        threads.shutdown();
        engine.close();
    }
}
