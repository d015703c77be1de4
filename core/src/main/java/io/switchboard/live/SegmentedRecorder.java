package io.switchboard.live;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

import io.switchboard.common.SwitchboardException;
import io.switchboard.storage.ObjectStore;

/**
 * A call's audio on its way to the object store, in numbered segments of about {@code segmentBytes}. While
 * the store is down the audio stays buffered, and the next segment tries again with more, up to
 * {@code maxBuffered} bytes; past it the call is refused with UNAVAILABLE, never silently dropped. At the end
 * of the call what is buffered must be stored: {@link #finish} keeps trying for the store grace.
 *
 * <p>Used by one thread at a time (the call's own); it holds no lock, so its retries block only its call.
 */
public final class SegmentedRecorder {

    private static final Logger LOG = Logger.getLogger(SegmentedRecorder.class.getName());
    private static final long RETRY_MILLIS = 500;

    /** Where segment {@code n} of the call goes (the call's row counts it). */
    @FunctionalInterface
    public interface SegmentStore {
        void store(int n, byte[] audio);
    }

    private final SegmentStore store;
    private final String call;
    private final int segmentBytes;
    private final long maxBuffered;
    private final Duration grace;
    private final LongSupplier nanoTime;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private int segments;
    private long downSince; // nanoTime of the first failed store of the current outage, 0 if none
    private int nextTry; // the buffered size at which the next store is tried

    /**
     * @param call         the call's id, for the log
     * @param maxBuffered  audio bytes kept while the store is down before the call is refused
     * @param grace        how long {@link #finish} keeps trying to store what is buffered
     */
    public SegmentedRecorder(SegmentStore store, String call, int segmentBytes, long maxBuffered, Duration grace) {
        this(store, call, segmentBytes, maxBuffered, grace, System::nanoTime);
    }

    SegmentedRecorder(SegmentStore store, String call, int segmentBytes, long maxBuffered, Duration grace,
                      LongSupplier nanoTime) {
        this.store = store;
        this.call = call;
        this.segmentBytes = segmentBytes;
        this.maxBuffered = maxBuffered;
        this.grace = grace;
        this.nanoTime = nanoTime;
        this.nextTry = segmentBytes;
    }

    /**
     * A recorder for a finished recording sent in chunks (an upload): there is no caller to keep waiting, so a
     * store's failure is thrown as it is, the audio not stored staying buffered.
     */
    public static SegmentedRecorder unbuffered(SegmentStore store, String call, int segmentBytes) {
        return new SegmentedRecorder(store, call, segmentBytes, -1, Duration.ZERO);
    }

    /** Segment bytes for {@code seconds} of audio of {@code bytesPerSecond}, at least 4 KiB. */
    public static int segmentBytes(int seconds, int bytesPerSecond) {
        return Math.max(4096, seconds * bytesPerSecond);
    }

    /**
     * Appends audio; stores a segment once enough is buffered.
     *
     * @throws SwitchboardException.Unavailable when the store has been down for more than {@code maxBuffered}
     *                                          bytes of audio
     */
    public void write(byte[] audio, int offset, int length) {
        buffer.write(audio, offset, length);
        if (buffer.size() >= nextTry) {
            if (maxBuffered < 0) {
                flush();
            } else {
                tryStore();
            }
        }
    }

    public void write(byte[] audio) {
        write(audio, 0, audio.length);
    }

    /** Segments stored so far. */
    public int segments() {
        return segments;
    }

    /** Bytes buffered, not yet stored. */
    public int buffered() {
        return buffer.size();
    }

    /** Whether the last store failed (the audio since is buffered). */
    public boolean storeDown() {
        return downSince != 0;
    }

    /** Stores what is buffered now, once; a store's failure is thrown as it is and the audio stays buffered. */
    public void flush() {
        if (buffer.size() == 0) {
            return;
        }
        store.store(segments, buffer.toByteArray());
        segments++;
        buffer.reset();
        nextTry = segmentBytes;
    }

    private void tryStore() {
        try {
            flush();
            if (downSince != 0) {
                LOG.info("object store back for call " + call + "; the audio buffered meanwhile is stored");
                downSince = 0;
            }
        } catch (ObjectStore.StorageException e) {
            if (downSince == 0) {
                downSince = nanoTime.getAsLong();
                LOG.warning("object store unavailable for call " + call + "; buffering its audio: " + e.getMessage());
            }
            // not again at every frame: once another segment's worth has arrived
            nextTry = buffer.size() + segmentBytes;
            if (buffer.size() > maxBuffered) {
                throw new SwitchboardException.Unavailable("object storage has been unavailable for "
                        + (nanoTime.getAsLong() - downSince) / 1_000_000_000L + " s and " + buffer.size()
                        + " bytes of this call's audio are waiting; the call was ended, the audio stored before"
                        + " the outage is kept", Duration.ofSeconds(5));
            }
        }
    }

    /**
     * At the end of the call: stores what is buffered, trying again for the store grace.
     *
     * @throws SwitchboardException.Unavailable when the store stayed down for the whole grace (the audio not
     *                                          stored is dropped; what was stored before is kept)
     */
    public void finish() {
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
