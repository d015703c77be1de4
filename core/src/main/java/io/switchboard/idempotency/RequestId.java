package io.switchboard.idempotency;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.Ids;

/**
 * A create request's client-chosen {@code request_id} (AIP-155) with the SHA-256 of the request it came with
 * (serialized with {@code request_id} cleared), or {@link #NONE} when the client sent none.
 */
public final class RequestId {

    public static final RequestId NONE = new RequestId(null, new byte[0]);

    private final UUID id;
    private final byte[] requestSha256;

    private RequestId(UUID id, byte[] requestSha256) {
        this.id = id;
        this.requestSha256 = requestSha256;
    }

    /**
     * @param text             the {@code request_id} field; empty for none
     * @param canonicalRequest the request serialized deterministically with {@code request_id} cleared
     * @throws io.switchboard.common.SwitchboardException.InvalidArgument naming {@code request_id} if it is not a UUID
     */
    public static RequestId of(String text, byte[] canonicalRequest) {
        Optional<UUID> id = Ids.parseOptional("request_id", text);
        return id.map(u -> new RequestId(u, sha256(canonicalRequest))).orElse(NONE);
    }

    public Optional<UUID> id() {
        return Optional.ofNullable(id);
    }

    boolean sameRequest(byte[] storedSha256) {
        return MessageDigest.isEqual(requestSha256, storedSha256);
    }

    byte[] requestSha256() {
        return Arrays.copyOf(requestSha256, requestSha256.length);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return id == null ? "none" : id.toString();
    }
}
