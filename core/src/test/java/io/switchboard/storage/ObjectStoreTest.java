package io.switchboard.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.Test;

/** The S3 client's batch delete, listing and server-side encryption request, against a real S3 endpoint. */
class ObjectStoreTest {

    @Test
    void listingSkipsDirectoryPlaceholdersAndBatchDeleteIgnoresMissingKeys() throws Exception {
        ObjectStore store = TestObjectStore.freshBucket();
        for (String k : List.of("a/1", "a/b/2", "a/b/3", "c/4")) {
            store.put(k, new ByteArrayInputStream(new byte[] {1, 2}), 2, "application/octet-stream", Map.of());
        }
        List<String> keys = new ArrayList<>();
        store.list("a/").forEach(o -> keys.add(o.key()));
        assertEquals(List.of("a/1", "a/b/2", "a/b/3"), keys, "objects only, no 'a/b/' directory entry");
        store.deleteAll(List.of("a/1", "a/b/2", "a/never-was"));
        keys.clear();
        store.list("").forEach(o -> keys.add(o.key()));
        assertEquals(List.of("a/b/3", "c/4"), keys);
    }

    @Test
    void aStoreThatDoesNotConfirmServerSideEncryptionIsReportedAndTheObjectKept() throws Exception {
        List<LogRecord> severe = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel() == Level.SEVERE) {
                    severe.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(ObjectStore.class.getName());
        log.addHandler(h);
        try {
            ObjectStore store = TestObjectStore.freshBucket(true);
            store.put("r.wav", new ByteArrayInputStream(new byte[] {7}), 1, "audio/wav", Map.of());
            store.put("s.wav", new ByteArrayInputStream(new byte[] {8}), 1, "audio/wav", Map.of());
            assertArrayEquals(new byte[] {7}, store.get("r.wav").readAllBytes());
            assertEquals(1, severe.size(), "reported once, not per object");
            assertTrue(severe.getFirst().getMessage().contains("does not confirm"), severe.getFirst().getMessage());
        } finally {
            log.removeHandler(h);
        }
    }
}
