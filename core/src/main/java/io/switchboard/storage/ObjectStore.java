package io.switchboard.storage;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import com.google.common.collect.ImmutableMultimap;
import com.google.common.collect.Multimap;
import io.helidon.config.Config;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
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
import io.minio.messages.Part;
import io.minio.errors.MinioException;
import io.minio.http.Method;

/**
 * The object store behind recordings and exports, spoken to over the S3 protocol with the MinIO client:
 * the embedded s3proxy in {@code dev}, MinIO or S3 in production. All I/O failures surface as
 * {@link StorageException} so callers handle one type.
 *
 * <p>Every call here runs on its caller's thread and on the HTTP client's own threads, never on the common
 * ForkJoinPool: the MinIO client (8.5) starts every {@code putObject} there ({@code CompletableFuture.supplyAsync}
 * without an executor, in {@code S3Base.putObjectAsync}; its whole multipart upload too), so a put waited on a
 * pool that has one worker on a 2-core machine and that any other code may block. {@link #put} therefore sends
 * the PutObject (or multipart) requests itself through the client's request methods, which complete on OkHttp's
 * dispatcher. Uploads that must not hold up their caller go through {@link #uploads()}.
 */
public final class ObjectStore {

    private static final Logger LOG = Logger.getLogger(ObjectStore.class.getName());

    /** Objects above this are sent in parts of this size (S3 allows 10,000 parts: objects up to 156 GiB). */
    static final int PART_SIZE = 16 << 20;

    private final MinioClient client;
    private final Writer writer;
    private final Uploads uploads;
    private final String bucket;
    private final String endpoint;
    private final boolean sse;
    private final AtomicBoolean sseUnconfirmedWarned = new AtomicBoolean();

    public ObjectStore(String endpoint, String accessKey, String secretKey, String region, String bucket) {
        this(endpoint, accessKey, secretKey, region, bucket, false);
    }

    /** @param sse ask the store to encrypt every object it stores (SSE-S3: the store's own keys) */
    public ObjectStore(String endpoint, String accessKey, String secretKey, String region, String bucket, boolean sse) {
        this(endpoint, accessKey, secretKey, region, bucket, sse, new Uploads(Uploads.DEFAULT_CONCURRENCY,
                Uploads.DEFAULT_QUEUE));
    }

    /** @param uploads the threads for uploads their caller does not wait for; this store owns them ({@link #close}) */
    public ObjectStore(String endpoint, String accessKey, String secretKey, String region, String bucket, boolean sse,
                       Uploads uploads) {
        this.client = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey).region(region).build();
        this.writer = new Writer(MinioAsyncClient.builder().endpoint(endpoint).credentials(accessKey, secretKey)
                .region(region).build());
        this.uploads = uploads;
        this.bucket = bucket;
        this.endpoint = endpoint;
        this.sse = sse;
    }

    /**
     * Reads the {@code s3} node: endpoint, access-key, secret-key, region, bucket, server-side-encryption,
     * upload-concurrency, upload-queue.
     */
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
                s3.get("bucket").asString().orElse("switchboard"), sse.equals("sse-s3"),
                new Uploads(s3.get("upload-concurrency").asInt().orElse(Uploads.DEFAULT_CONCURRENCY),
                        s3.get("upload-queue").asInt().orElse(Uploads.DEFAULT_QUEUE)));
    }

    /** The threads for uploads their caller does not wait for (a live call's recording segments). */
    public Uploads uploads() {
        return uploads;
    }

    /**
     * A process's shutdown, once its live calls have ended: waits up to {@code wait} for the uploads still
     * queued or running ({@link Uploads#close}).
     *
     * @return whether every upload finished
     */
    public boolean close(Duration wait) {
        return uploads.close(wait);
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
        PutObjectArgs built = args.build(); // validates the key, and writes the headers (metadata, encryption)
        var headers = built.genHeaders();
        headers.put("Content-Type", contentType);
        ObjectWriteResponse r = run(() -> writer.put(bucket, key, data, size, headers));
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

    /**
     * The MinIO client's request methods for PutObject and multipart uploads, which its {@code putObject} reaches
     * only through the common ForkJoinPool: called here on the caller's thread, their futures complete on
     * OkHttp's dispatcher threads. (The client is made for extending this way: its copy constructor is protected.)
     */
    private static final class Writer extends MinioAsyncClient {
        private static final Multimap<String, String> NO_PARAMETERS = ImmutableMultimap.of();

        Writer(MinioAsyncClient client) {
            super(client);
        }

        /** Lets the HTTP client's threads go (they are daemons; nothing calls this before the process ends). */
        @Override
        public void close() {
            try {
                super.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the object store's client failed", e);
            }
        }

        ObjectWriteResponse put(String bucket, String key, InputStream in, long size,
                                Multimap<String, String> headers)
                throws MinioException, IOException, GeneralSecurityException {
            byte[] first = in.readNBytes(partLength(size, 0));
            if (size >= 0 ? size <= PART_SIZE : first.length < PART_SIZE) {
                requireSize(key, size, first.length);
                return await(putObjectAsync(bucket, null, key, first, first.length, headers, NO_PARAMETERS));
            }
            String uploadId = await(createMultipartUploadAsync(bucket, null, key, headers, NO_PARAMETERS)).result()
                    .uploadId();
            try {
                List<Part> parts = new ArrayList<>();
                long sent = 0;
                for (byte[] part = first; part.length > 0; part = in.readNBytes(partLength(size, sent))) {
                    int n = parts.size() + 1;
                    parts.add(new Part(n, await(uploadPartAsync(bucket, null, key, part, part.length, uploadId, n,
                            NO_PARAMETERS, NO_PARAMETERS)).etag()));
                    sent += part.length;
                }
                requireSize(key, size, sent);
                return await(completeMultipartUploadAsync(bucket, null, key, uploadId, parts.toArray(Part[]::new),
                        NO_PARAMETERS, NO_PARAMETERS));
            } catch (MinioException | IOException | GeneralSecurityException | RuntimeException e) {
                try {
                    await(abortMultipartUploadAsync(bucket, null, key, uploadId, NO_PARAMETERS, NO_PARAMETERS));
                } catch (MinioException | IOException | GeneralSecurityException | RuntimeException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
        }

        /** The next part's length: a whole part, or what is left of a known size. */
        private static int partLength(long size, long sent) {
            return size < 0 ? PART_SIZE : (int) Math.min(PART_SIZE, size - sent);
        }

        private static void requireSize(String key, long size, long read) throws IOException {
            if (size >= 0 && read != size) {
                throw new IOException("object " + key + " was declared " + size + " bytes long but its stream gave "
                        + read);
            }
        }

        private <T> T await(CompletableFuture<T> pending) throws MinioException, IOException, GeneralSecurityException {
            try {
                return pending.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the object store", e);
            } catch (ExecutionException e) {
                throwEncapsulatedException(e);
                throw new IOException(e.getCause());
            }
        }
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
