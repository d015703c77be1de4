package io.switchboard.live;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

import io.switchboard.common.SwitchboardException;
import io.switchboard.storage.ObjectStore;

/**
 * A call's audio on its way to the object store, in numbered segments of about {@code segmentBytes}. The call's
 * thread only cuts segments: each is handed to the store's upload threads ({@link io.switchboard.storage.Uploads})
 * and the call goes on with its audio while it is stored. One segment of a call is on its way at a time, so
 * they are stored and counted in order; what arrives meanwhile is buffered and goes with the next one.
 *
 * <p>While the store is down (or the uploads refuse more work) the audio stays buffered, and the next segment
 * tries again with more, up to {@code maxBuffered} bytes; past it (the store down, or so slow that this much
 * waits) the call is refused with UNAVAILABLE, never silently dropped. At the end of the call what is buffered
 * or on its way must be stored: {@link #finish} waits for it, and keeps trying for the store grace.
 *
 * <p>Used by one thread at a time (the call's own); the upload threads only run {@link SegmentStore#store} and
 * report how it went, which the call's thread reads at its next write.
 */
public final class SegmentedRecorder {

    private static final Logger LOG = Logger.getLogger(SegmentedRecorder.class.getName());
    private static final long RETRY_MILLIS = 500;

    /** Where segment {@code n} of the call goes (the call's row counts it). */
    @FunctionalInterface
    public interface SegmentStore {
        void store(int n, byte[] audio);
    }

    /** One segment handed to the upload threads: they complete {@code done}, the call's thread settles it. */
    private static final class Upload {
        final int n;
        final byte[] audio;
        final long since;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        volatile boolean abandoned; // the call gave up on it: not to be started any more

        Upload(int n, byte[] audio, long since) {
            this.n = n;
            this.audio = audio;
            this.since = since;
        }
    }

    private enum Settled { NOTHING, STORED, FAILED }

    private final SegmentStore store;
    private final Executor uploads; // null: the store is called on the caller's thread (unbuffered)
    private final String call;
    private final int segmentBytes;
    private final long maxBuffered;
    private final Duration grace;
    private final LongSupplier nanoTime;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private Upload upload; // on its way (or back, not yet settled); null if none
    private int segments;
    private long downSince; // nanoTime of the first failed store of the current outage, 0 if none
    private int nextTry; // the buffered size at which the next store is tried

    /**
     * @param uploads      where segments are stored, off the call's thread (the object store's upload threads)
     * @param call         the call's id, for the log
     * @param maxBuffered  audio bytes kept while the store is down (or this slow) before the call is refused
     * @param grace        how long {@link #finish} keeps trying to store what is buffered
     */
    public SegmentedRecorder(SegmentStore store, Executor uploads, String call, int segmentBytes, long maxBuffered,
                             Duration grace) {
        this(store, uploads, call, segmentBytes, maxBuffered, grace, System::nanoTime);
    }

    SegmentedRecorder(SegmentStore store, Executor uploads, String call, int segmentBytes, long maxBuffered,
                      Duration grace, LongSupplier nanoTime) {
        this.store = store;
        this.uploads = uploads;
        this.call = call;
        this.segmentBytes = segmentBytes;
        this.maxBuffered = maxBuffered;
        this.grace = grace;
        this.nanoTime = nanoTime;
        this.nextTry = segmentBytes;
    }

    /**
     * A recorder for a finished recording sent in chunks (an upload): there is no caller to keep waiting, so
     * segments are stored on the caller's thread and a store's failure is thrown as it is, the audio not stored
     * staying buffered.
     */
    public static SegmentedRecorder unbuffered(SegmentStore store, String call, int segmentBytes) {
        return new SegmentedRecorder(store, null, call, segmentBytes, -1, Duration.ZERO);
    }

    /** Segment bytes for {@code seconds} of audio of {@code bytesPerSecond}, at least 4 KiB. */
    public static int segmentBytes(int seconds, int bytesPerSecond) {
        return Math.max(4096, seconds * bytesPerSecond);
    }

    /**
     * Appends audio; hands a segment to the uploads once enough is buffered and none is on its way.
     *
     * @throws SwitchboardException.Unavailable when more than {@code maxBuffered} bytes of audio wait for the
     *                                          store (down, or this slow)
     */
    public void write(byte[] audio, int offset, int length) {
        buffer.write(audio, offset, length);
        if (uploads == null) {
            if (buffer.size() >= nextTry) {
                flush();
            }
            return;
        }
        settle();
        if (upload == null && buffer.size() >= nextTry) {
            handOff();
            settle();
        }
        // the bound of audio waiting for the store: all of it while the store is down; while a segment is on its
        // way, what queued up behind it (as much as the call's backlog would have held had it waited itself)
        long waiting = downSince != 0 ? buffered() : upload != null ? buffer.size() : 0;
        if (waiting > maxBuffered) {
            throw refusal(buffered());
        }
    }

    public void write(byte[] audio) {
        write(audio, 0, audio.length);
    }

    /** Segments stored so far (as the call's thread last learnt). */
    public int segments() {
        return segments;
    }

    /** Bytes buffered or on their way, not yet known to be stored. */
    public int buffered() {
        return buffer.size() + (upload == null ? 0 : upload.audio.length);
    }

    /** Whether the last store failed (the audio since is buffered). */
    public boolean storeDown() {
        return downSince != 0;
    }

    /**
     * The unbuffered recorder's store: stores what is buffered now, once, on this thread; a store's failure is
     * thrown as it is and the audio stays buffered.
     */
    public void flush() {
        if (uploads != null) {
            throw new IllegalStateException("a live recorder stores through its uploads: finish() it");
        }
        if (buffer.size() == 0) {
            return;
        }
        store.store(segments, buffer.toByteArray());
        segments++;
        buffer.reset();
        nextTry = segmentBytes;
    }

    private void handOff() {
        Upload u = new Upload(segments, buffer.toByteArray(), nanoTime.getAsLong());
        buffer.reset();
        upload = u;
        try {
            uploads.execute(() -> run(u));
        } catch (RuntimeException refused) { // the uploads are full or closed: as if the store were down
            u.done.completeExceptionally(refused instanceof ObjectStore.StorageException ? refused
                    : new ObjectStore.StorageException("uploads refused the segment: " + refused.getMessage(), refused));
        }
    }

    /** On an upload thread. */
    private void run(Upload u) {
        if (u.abandoned) {
            u.done.cancel(false);
            return;
        }
        try {
            store.store(u.n, u.audio);
            u.done.complete(null);
        } catch (RuntimeException | Error e) {
            u.done.completeExceptionally(e);
            throw e; // counted as an upload failure
        }
    }

    /**
     * Learns how the segment on its way went: stored, it is counted; failed, its audio goes back in front of what
     * came since, to be tried again with it.
     *
     * @throws RuntimeException the store's failure other than the object store's own (the call ends; the audio
     *                          stays buffered for {@link #finish})
     */
    private Settled settle() {
        Upload u = upload;
        if (u == null || !u.done.isDone()) {
            return Settled.NOTHING;
        }
        upload = null;
        Throwable failure = null;
        try {
            u.done.join();
        } catch (CompletionException e) {
            failure = e.getCause();
        }
        if (failure == null) {
            segments++;
            if (downSince != 0) {
                LOG.info("object store back for call " + call + "; the audio buffered meanwhile is stored");
                downSince = 0;
            }
            return Settled.STORED;
        }
        byte[] since = buffer.toByteArray();
        buffer.reset();
        buffer.writeBytes(u.audio);
        buffer.writeBytes(since);
        // not again at every frame: once another segment's worth has arrived
        nextTry = buffer.size() + segmentBytes;
        if (failure instanceof ObjectStore.StorageException e) {
            if (downSince == 0) {
                downSince = nanoTime.getAsLong();
                LOG.warning("object store unavailable for call " + call + "; buffering its audio: " + e.getMessage());
            }
            return Settled.FAILED;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(failure);
    }

    private SwitchboardException.Unavailable refusal(long waiting) {
        String why = downSince != 0
                ? "object storage has been unavailable for " + (nanoTime.getAsLong() - downSince) / 1_000_000_000L + " s"
                : "object storage has been storing one segment of this call for "
                        + (nanoTime.getAsLong() - upload.since) / 1_000_000_000L + " s";
        return new SwitchboardException.Unavailable(why + " and " + waiting + " bytes of this call's audio are waiting;"
                + " the call was ended, the audio stored before the outage is kept", Duration.ofSeconds(5));
    }

    /**
     * At the end of the call: waits for the segment on its way and stores what is buffered, trying again for the
     * store grace.
     *
     * @throws SwitchboardException.Unavailable when the store stayed down (or did not answer) for the whole grace
     *                                          (the audio not stored is dropped; what was stored before is kept)
     */
    public void finish() {
        if (uploads == null) {
            finishUnbuffered();
            return;
        }
        long deadline = nanoTime.getAsLong() + grace.toNanos();
        while (true) {
            Settled s = settle();
            if (upload == null && buffer.size() == 0) {
                return;
            }
            if (nanoTime.getAsLong() - deadline >= 0 && (s == Settled.FAILED || upload != null)) {
                int lost = buffered();
                if (upload != null) {
                    upload.abandoned = true; // if it is stored after all, the ended call's row does not count it
                    upload = null;
                }
                buffer.reset();
                throw new SwitchboardException.Unavailable("object storage stayed unavailable for "
                        + grace.toSeconds() + " s after the call ended; its last " + lost + " bytes of audio"
                        + " could not be stored (the audio before them is kept)", Duration.ofSeconds(5));
            }
            try {
                if (upload != null) {
                    upload.done.get(Math.max(1, deadline - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
                } else {
                    if (s == Settled.FAILED) {
                        Thread.sleep(RETRY_MILLIS);
                    }
                    handOff();
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | CancellationException | TimeoutException settledNext) {
                // settled (or given up) at the top of the loop
            }
        }
    }

    private void finishUnbuffered() {
        long deadline = nanoTime.getAsLong() + grace.toNanos();
        while (true) {
            try {
                flush();
                return;
            } catch (ObjectStore.StorageException e) {
                if (nanoTime.getAsLong() - deadline >= 0) {
                    int lost = buffer.size();
                    buffer.reset();
                    throw new SwitchboardException.Unavailable("object storage stayed unavailable for "
                            + grace.toSeconds() + " s after the call ended; its last " + lost + " bytes of audio"
                            + " could not be stored (the audio before them is kept)", Duration.ofSeconds(5));
                }
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
