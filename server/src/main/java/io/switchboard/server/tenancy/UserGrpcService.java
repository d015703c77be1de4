package io.switchboard.server.tenancy;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.Optional;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.common.UpdateMask;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.Role;
import io.switchboard.tenancy.User;
import io.switchboard.tenancy.UserService;
import io.switchboard.v1.CreateUserRequest;
import io.switchboard.v1.DeleteUserRequest;
import io.switchboard.v1.GetUserRequest;
import io.switchboard.v1.ListUsersRequest;
import io.switchboard.v1.ListUsersResponse;
import io.switchboard.v1.UpdateUserRequest;
import io.switchboard.v1.UserServiceGrpc;

/** Translates {@code switchboard.v1.UserService} to {@link UserService}. */
public final class UserGrpcService extends UserServiceGrpc.UserServiceImplBase {

    private final UserService users;

    public UserGrpcService(UserService users) {
        this.users = users;
    }

    @Override
    public void createUser(CreateUserRequest req, StreamObserver<io.switchboard.v1.User> out) {
        reply(out, toProto(users.create(Principals.current(), req.getEmail(), req.getDisplayName(),
                roleOrNull(req.getRole()),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()))));
    }

    @Override
    public void getUser(GetUserRequest req, StreamObserver<io.switchboard.v1.User> out) {
        reply(out, toProto(users.get(Principals.current(), req.getId())));
    }

    @Override
    public void listUsers(ListUsersRequest req, StreamObserver<ListUsersResponse> out) {
        Page<User> page = users.list(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListUsersResponse.newBuilder()
                .addAllUsers(page.items().stream().map(UserGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void updateUser(UpdateUserRequest req, StreamObserver<io.switchboard.v1.User> out) {
        UpdateMask mask = UpdateMask.of(req.getUpdateMask().getPathsList(), UserService.UPDATABLE);
        io.switchboard.v1.User u = req.getUser();
        reply(out, toProto(users.update(Principals.current(), u.getId(),
                mask.has("display_name") ? Optional.of(u.getDisplayName()) : Optional.empty(),
                mask.has("role") ? Optional.of(Protos.role("user.role", u.getRole())) : Optional.empty())));
    }

    @Override
    public void deleteUser(DeleteUserRequest req, StreamObserver<Empty> out) {
        users.delete(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    /** The domain role, or null for an unset one so the domain reports it with the other bad fields. */
    static Role roleOrNull(io.switchboard.v1.Role r) {
        return switch (r) {
            case ROLE_UNSPECIFIED, UNRECOGNIZED -> null;
            default -> Protos.role("role", r);
        };
    }

    public static io.switchboard.v1.User toProto(User u) {
        return io.switchboard.v1.User.newBuilder()
                .setId(u.id().toString()).setEmail(u.email()).setDisplayName(u.displayName())
                .setRole(Protos.role(u.role()))
                .setCreateTime(Protos.timestamp(u.createdAt())).setUpdateTime(Protos.timestamp(u.updatedAt()))
                .build();
    }
}
