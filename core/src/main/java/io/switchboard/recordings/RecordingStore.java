package io.switchboard.recordings;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.Wav;
import io.switchboard.storage.ObjectStore;

/**
 * Call audio in object storage. During a call its bytes go up as numbered segment objects, each a plain
 * PUT of a few seconds of audio, so a crash of the server loses at most the segment being filled; after
 * the call the worker assembles them, in order, behind a WAV header into one object and records its
 * SHA-256. Segments, not S3 multipart parts: a multipart part must be at least 5 MiB, which is eleven
 * minutes of 8 kHz μ-law — far more than we are willing to lose.
 */
public final class RecordingStore {

    public static final String CONTENT_TYPE = "audio/wav";

    private final ObjectStore store;

    public RecordingStore(ObjectStore store) {
        this.store = store;
    }

    /** Where a live call's segments are stored from, off the call's thread: the object store's upload threads. */
    public io.switchboard.storage.Uploads uploads() {
        return store.uploads();
    }

    public static String segmentKey(UUID org, UUID call, int n) {
        return "recordings/" + org + "/" + call + "/segments/" + String.format("%06d", n);
    }

    public static String recordingKey(UUID org, UUID call) {
        return "recordings/" + org + "/" + call + ".wav";
    }

    public void writeSegment(UUID org, UUID call, int n, byte[] audio) {
        store.put(segmentKey(org, call, n), new ByteArrayInputStream(audio), audio.length, "application/octet-stream",
                Map.of());
    }

    public record Assembled(String key, long bytes, String sha256) {
    }

    /**
     * Writes segments {@code 0..segments-1} behind a WAV header as one object, then deletes the segments.
     * Safe to repeat: until the caller records the result, the segments are still there to assemble from.
     */
    public Assembled assemble(UUID org, UUID call, AudioFormat format, int segments, long audioBytes) {
        String key = recordingKey(org, call);
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<InputStream> parts = new ArrayList<>();
        parts.add(new ByteArrayInputStream(Wav.header(format, audioBytes)));
        for (int i = 0; i < segments; i++) {
            int n = i;
            parts.add(new LazyStream(() -> store.get(segmentKey(org, call, n))));
        }
        long size = Wav.HEADER_SIZE + audioBytes;
        try (InputStream in = new DigestInputStream(new SequenceInputStream(Collections.enumeration(parts)), sha)) {
            store.put(key, in, size, CONTENT_TYPE, Map.of("call-id", call.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("assembling recording " + key + " failed", e);
        }
        return new Assembled(key, size, HexFormat.of().formatHex(sha.digest()));
    }

    public void deleteSegments(UUID org, UUID call, int segments) {
        store.deleteAll(segmentKeys(org, call, segments));
    }

    public static List<String> segmentKeys(UUID org, UUID call, int segments) {
        List<String> keys = new ArrayList<>(segments);
        for (int i = 0; i < segments; i++) {
            keys.add(segmentKey(org, call, i));
        }
        return keys;
    }

    /** Deletes many objects in few requests (retention sweeps); ones already gone are not an error. */
    public void deleteAll(List<String> keys) {
        store.deleteAll(keys);
    }

    /** Deletes an assembled recording (retention, erasure); deleting one that is gone is not an error. */
    public void delete(String key) {
        store.delete(key);
    }

    /** Objects under {@code prefix} (the reconciler compares them with the calls table). */
    public Iterable<ObjectStore.Listed> list(String prefix) {
        return store.list(prefix);
    }

    public InputStream open(String key) {
        return store.get(key);
    }

    public String presignedGet(String key, Duration ttl) {
        return store.presignedGet(key, ttl);
    }

    /** Opens its object only when first read, so assembling a long call holds one segment stream at a time. */
    private static final class LazyStream extends InputStream {
        private final java.util.function.Supplier<InputStream> opener;
        private InputStream in;

        LazyStream(java.util.function.Supplier<InputStream> opener) {
            this.opener = opener;
        }

        private InputStream in() {
            if (in == null) {
                in = opener.get();
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            return in().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in().read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }
}
