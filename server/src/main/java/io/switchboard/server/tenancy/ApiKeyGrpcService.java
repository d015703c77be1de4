package io.switchboard.server.tenancy;

import static io.switchboard.server.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.ApiKey;
import io.switchboard.tenancy.ApiKeyService;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreatedApiKey;
import io.switchboard.v1.GetApiKeyRequest;
import io.switchboard.v1.ListApiKeysRequest;
import io.switchboard.v1.ListApiKeysResponse;
import io.switchboard.v1.RevokeApiKeyRequest;

/**
 * Translates {@code switchboard.v1.ApiKeyService} to {@link ApiKeyService}. Only {@link #toProto(ApiKey.Created)}
 * ever puts a secret on the wire.
 */
public final class ApiKeyGrpcService extends ApiKeyServiceGrpc.ApiKeyServiceImplBase {

    private final ApiKeyService keys;

    public ApiKeyGrpcService(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    public void createApiKey(CreateApiKeyRequest req, StreamObserver<CreatedApiKey> out) {
        reply(out, toProto(keys.create(Principals.current(), req.getName(), UserGrpcService.roleOrNull(req.getRole()),
                req.getUserId(), Protos.optionalInstant(req.hasExpireTime(), req.getExpireTime()),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()))));
    }

    @Override
    public void listApiKeys(ListApiKeysRequest req, StreamObserver<ListApiKeysResponse> out) {
        Page<ApiKey> page = keys.list(Principals.current(), req.getPageSize(), req.getPageToken(),
                req.getIncludeRevoked());
        reply(out, ListApiKeysResponse.newBuilder()
                .addAllApiKeys(page.items().stream().map(ApiKeyGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void getApiKey(GetApiKeyRequest req, StreamObserver<io.switchboard.v1.ApiKey> out) {
        reply(out, toProto(keys.get(Principals.current(), req.getId())));
    }

    @Override
    public void revokeApiKey(RevokeApiKeyRequest req, StreamObserver<io.switchboard.v1.ApiKey> out) {
        reply(out, toProto(keys.revoke(Principals.current(), req.getId())));
    }

    public static CreatedApiKey toProto(ApiKey.Created c) {
        return CreatedApiKey.newBuilder().setApiKey(toProto(c.apiKey())).setSecret(c.secret()).build();
    }

    public static io.switchboard.v1.ApiKey toProto(ApiKey k) {
        io.switchboard.v1.ApiKey.Builder b = io.switchboard.v1.ApiKey.newBuilder()
                .setId(k.id().toString()).setName(k.name()).setPrefix(k.prefix()).setRole(Protos.role(k.role()))
                .setCreateTime(Protos.timestamp(k.createdAt())).setPlatformOperator(k.platformOperator());
        k.userId().ifPresent(u -> b.setUserId(u.toString()));
        k.lastUsedAt().ifPresent(t -> b.setLastUsedTime(Protos.timestamp(t)));
        k.revokedAt().ifPresent(t -> b.setRevokeTime(Protos.timestamp(t)));
        k.expiresAt().ifPresent(t -> b.setExpireTime(Protos.timestamp(t)));
        return b.build();
    }
}
