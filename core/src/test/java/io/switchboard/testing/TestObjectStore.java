package io.switchboard.testing;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;

import io.switchboard.storage.ObjectStore;
import io.switchboard.storage.Uploads;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * One real S3 endpoint per test JVM (s3proxy on a temporary directory), spoken to with the MinIO client like
 * any MinIO or S3; {@link #freshBucket()} gives each test a bucket of its own.
 */
public final class TestObjectStore {

    private static final String KEY = "test-access";
    private static final String SECRET = "test-secret-key";
    private static volatile String endpoint;

    private TestObjectStore() {
    }

    public static ObjectStore freshBucket() {
        return freshBucket(false);
    }

    /** @param sse request server-side encryption (s3proxy accepts the request and does not encrypt) */
    public static ObjectStore freshBucket(boolean sse) {
        return freshBucket(sse, new Uploads(Uploads.DEFAULT_CONCURRENCY, Uploads.DEFAULT_QUEUE));
    }

    /** @param uploads the store's threads for the uploads nobody waits for (a test may hold them up) */
    public static ObjectStore freshBucket(Uploads uploads) {
        return freshBucket(false, uploads);
    }

    private static ObjectStore freshBucket(boolean sse, Uploads uploads) {
        ObjectStore s = new ObjectStore(endpoint(), KEY, SECRET, "us-east-1",
                "t-" + UUID.randomUUID().toString().substring(0, 18), sse, uploads);
        s.ensureBucket();
        return s;
    }

    private static String endpoint() {
        if (endpoint == null) {
            synchronized (TestObjectStore.class) {
                if (endpoint == null) {
                    endpoint = start();
                }
            }
        }
        return endpoint;
    }

    private static String start() {
        try {
            Path dir = Files.createTempDirectory("switchboard-s3");
            Properties props = new Properties();
            props.setProperty("jclouds.filesystem.basedir", dir.toString());
            BlobStoreContext ctx = ContextBuilder.newBuilder("filesystem").overrides(props).credentials(KEY, SECRET)
                    .build(BlobStoreContext.class);
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            S3Proxy proxy = S3Proxy.builder().blobStore(ctx.getBlobStore())
                    .endpoint(URI.create("http://127.0.0.1:" + port))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY, SECRET).build();
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
                }
                Thread.sleep(20);
            }
            return "http://127.0.0.1:" + port;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the test S3 endpoint", e);
        }
    }
}
