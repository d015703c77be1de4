package io.switchboard.sdk;

import java.util.Objects;
import java.util.concurrent.Executor;

import io.grpc.CallCredentials;
import io.grpc.Metadata;

/**
 * Sends a Switchboard API key with every call, as {@code authorization: Bearer <key>}:
 * {@code AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(ApiKeyCredentials.of(key))}.
 */
public final class ApiKeyCredentials extends CallCredentials {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final String key;

    private ApiKeyCredentials(String key) {
        this.key = key;
    }

    /** Credentials for an API key ({@code sb_…}, as CreateApiKey or the bootstrap printed it). */
    public static ApiKeyCredentials of(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isBlank()) {
            throw new IllegalArgumentException("the API key is empty");
        }
        return new ApiKeyCredentials(key.strip());
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, "Bearer " + key);
        applier.apply(m);
    }
}
