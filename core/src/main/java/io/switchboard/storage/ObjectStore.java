package io.switchboard.storage;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.ObjectWriteResponse;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.ServerSideEncryptionS3;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import io.minio.errors.MinioException;
import io.minio.http.Method;

/**
 * The object store behind recordings and exports, spoken to over the S3 protocol with the MinIO client:
 * the embedded s3proxy in {@code dev}, MinIO or S3 in production. All I/O failures surface as
 * {@link StorageException} so callers handle one type.
 */
public final class ObjectStore {

    private static final Logger LOG = Logger.getLogger(ObjectStore.class.getName());

    private final MinioClient client;
    private final String bucket;
    private final String endpoint;
    private final boolean sse;
    private final AtomicBoolean sseUnconfirmedWarned = new AtomicBoolean();

    public ObjectStore(String endpoint, String accessKey, String secretKey, String region, String bucket) {
        this(endpoint, accessKey, secretKey, region, bucket, false);
    }

    /** @param sse ask the store to encrypt every object it stores (SSE-S3: the store's own keys) */
    public ObjectStore(String endpoint, String accessKey, String secretKey, String region, String bucket, boolean sse) {
        this.client = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey).region(region).build();
        this.bucket = bucket;
        this.endpoint = endpoint;
        this.sse = sse;
    }

    /** Reads the {@code s3} node: endpoint, access-key, secret-key, region, bucket. */
    public static ObjectStore fromConfig(Config s3) {
        String endpoint = s3.get("endpoint").asString().orElse("");
        if (endpoint.isBlank()) {
            throw new IllegalStateException("s3.endpoint is not configured (set S3_ENDPOINT)");
        }
        String sse = s3.get("server-side-encryption").asString().orElse("none").strip().toLowerCase(java.util.Locale.ROOT);
        if (!sse.equals("none") && !sse.equals("sse-s3")) {
            throw new IllegalStateException("s3.server-side-encryption must be none or sse-s3, got '" + sse + "'");
        }
        return new ObjectStore(endpoint, s3.get("access-key").asString().orElse(""),
                s3.get("secret-key").asString().orElse(""), s3.get("region").asString().orElse("us-east-1"),
                s3.get("bucket").asString().orElse("switchboard"), sse.equals("sse-s3"));
    }

    public String bucket() {
        return bucket;
    }

    public String endpoint() {
        return endpoint;
    }

    /** Whether the store answers and the bucket exists (health checks: never throws). */
    public boolean reachable() {
        try {
            return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
        } catch (Exception e) {
            return false;
        }
    }

    /** Creates the bucket if it is missing; also the start-up check that the store is reachable. */
    public void ensureBucket() {
        run(() -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
            return null;
        });
    }

    /**
     * Stores an object; with server-side encryption requested, a store that does not confirm it (no
     * {@code x-amz-server-side-encryption} in its answer) is reported once, loudly, and the object is kept.
     */
    public void put(String key, InputStream data, long size, String contentType, Map<String, String> metadata) {
        PutObjectArgs.Builder args = PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(data, size, size < 0 ? 16L * 1024 * 1024 : -1).contentType(contentType).userMetadata(metadata);
        if (sse) {
            args.sse(new ServerSideEncryptionS3());
        }
        ObjectWriteResponse r = run(() -> client.putObject(args.build()));
        if (sse && r.headers().get("x-amz-server-side-encryption") == null && !sseUnconfirmedWarned.getAndSet(true)) {
            LOG.severe("s3.server-side-encryption is sse-s3 but " + endpoint + " does not confirm encrypting objects; "
                    + "enable encryption on the store (MinIO: KMS auto-encryption; S3: bucket default encryption)");
        }
    }

    /** Whether objects are stored with server-side encryption requested. */
    public boolean serverSideEncryption() {
        return sse;
    }

    public InputStream get(String key) {
        return run(() -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()));
    }

    /** Empty-safe stat: returns null-free Optional. */
    public java.util.Optional<StatObjectResponse> stat(String key) {
        try {
            return java.util.Optional.of(client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()));
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code()) || "NoSuchObject".equals(e.errorResponse().code())) {
                return java.util.Optional.empty();
            }
            throw new StorageException("stat " + key + " failed: " + e.getMessage(), e);
        } catch (MinioException | IOException | GeneralSecurityException e) {
            throw new StorageException("stat " + key + " failed: " + e.getMessage(), e);
        }
    }

    public void delete(String key) {
        run(() -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return null;
        });
    }

    /**
     * Deletes many objects with multi-object DELETE requests (up to 1000 keys each); keys that are already
     * gone are not an error.
     */
    public void deleteAll(List<String> keys) {
        for (int from = 0; from < keys.size(); from += 1000) {
            List<DeleteObject> chunk = keys.subList(from, Math.min(keys.size(), from + 1000)).stream()
                    .map(DeleteObject::new).toList();
            run(() -> {
                for (Result<DeleteError> r : client.removeObjects(RemoveObjectsArgs.builder().bucket(bucket)
                        .objects(chunk).build())) {
                    DeleteError e = r.get();
                    if (!"NoSuchKey".equals(e.code())) {
                        throw new StorageException("delete " + e.objectName() + " failed: " + e.code() + " "
                                + e.message(), null);
                    }
                }
                return null;
            });
        }
    }

    /** An object as a listing shows it. */
    public record Listed(String key, long size, Instant lastModified) {
    }

    /**
     * Every object under {@code prefix}, in key order, fetched page by page as the caller iterates. Directory
     * placeholders some stores list (keys ending in '/', as s3proxy's filesystem backend shows) are skipped.
     */
    public Iterable<Listed> list(String prefix) {
        Iterable<Result<Item>> items = client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                .recursive(true).build());
        return () -> new Iterator<>() {
            private final Iterator<Result<Item>> it = items.iterator();
            private Listed next;

            @Override
            public boolean hasNext() {
                while (next == null && it.hasNext()) {
                    Item item = run(() -> it.next().get());
                    if (!item.isDir() && !item.objectName().endsWith("/")) {
                        next = new Listed(item.objectName(), item.size(),
                                item.lastModified() == null ? Instant.EPOCH : item.lastModified().toInstant());
                    }
                }
                return next != null;
            }

            @Override
            public Listed next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Listed l = next;
                next = null;
                return l;
            }
        };
    }

    public String presignedGet(String key, Duration ttl) {
        return run(() -> client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder().method(Method.GET)
                .bucket(bucket).object(key).expiry((int) ttl.toSeconds()).build()));
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws MinioException, IOException, GeneralSecurityException;
    }

    private <T> T run(Call<T> call) {
        try {
            return call.run();
        } catch (MinioException | IOException | GeneralSecurityException e) {
            throw new StorageException("object store " + endpoint + " bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    /** The object store failed or could not be reached. */
    public static final class StorageException extends RuntimeException {
        public StorageException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
