package io.switchboard.server.tenancy;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.Optional;

import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.common.UpdateMask;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.tenancy.Organization;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.v1.CloseOrganizationRequest;
import io.switchboard.v1.CloseOrganizationResponse;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.CreateOrganizationResponse;
import io.switchboard.v1.GetOrganizationRequest;
import io.switchboard.v1.ListOrganizationsRequest;
import io.switchboard.v1.ListOrganizationsResponse;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.ReopenOrganizationRequest;
import io.switchboard.v1.UpdateOrganizationRequest;

/** Translates {@code switchboard.v1.OrganizationService} to {@link OrganizationService}. */
public final class OrganizationGrpcService extends OrganizationServiceGrpc.OrganizationServiceImplBase {

    private final OrganizationService organizations;

    public OrganizationGrpcService(OrganizationService organizations) {
        this.organizations = organizations;
    }

    @Override
    public void createOrganization(CreateOrganizationRequest req, StreamObserver<CreateOrganizationResponse> out) {
        OrganizationService.Created c = organizations.create(Principals.current(), req.getName(), req.getPlanId(),
                req.getOwnerEmail(), req.getOwnerDisplayName(),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()));
        reply(out, CreateOrganizationResponse.newBuilder()
                .setOrganization(toProto(c.organization()))
                .setOwner(UserGrpcService.toProto(c.owner()))
                .setOwnerApiKey(ApiKeyGrpcService.toProto(c.ownerKey()))
                .build());
    }

    @Override
    public void listOrganizations(ListOrganizationsRequest req, StreamObserver<ListOrganizationsResponse> out) {
        Page<Organization> page = organizations.list(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListOrganizationsResponse.newBuilder()
                .addAllOrganizations(page.items().stream().map(OrganizationGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void getOrganization(GetOrganizationRequest req, StreamObserver<io.switchboard.v1.Organization> out) {
        reply(out, toProto(organizations.get(Principals.current())));
    }

    @Override
    public void updateOrganization(UpdateOrganizationRequest req, StreamObserver<io.switchboard.v1.Organization> out) {
        UpdateMask mask = UpdateMask.of(req.getUpdateMask().getPathsList(), OrganizationService.UPDATABLE);
        io.switchboard.v1.Organization o = req.getOrganization();
        reply(out, toProto(organizations.update(Principals.current(), new OrganizationService.Changes(
                mask.has("name") ? Optional.of(o.getName()) : Optional.empty(),
                mask.has("hipaa_mode") ? Optional.of(o.getHipaaMode()) : Optional.empty(),
                mask.has("messaging_help_text") ? Optional.of(o.getMessagingHelpText()) : Optional.empty(),
                mask.has("confirm_opt_out") ? Optional.of(o.getConfirmOptOut()) : Optional.empty()))));
    }

    @Override
    public void closeOrganization(CloseOrganizationRequest req, StreamObserver<CloseOrganizationResponse> out) {
        reply(out, CloseOrganizationResponse.newBuilder().setPurgeTime(Protos.timestamp(
                organizations.close(Principals.current(), req.getConfirmName()))).build());
    }

    @Override
    public void reopenOrganization(ReopenOrganizationRequest req, StreamObserver<io.switchboard.v1.Organization> out) {
        reply(out, toProto(organizations.reopen(Principals.current(), req.getOrganizationId())));
    }

    public static io.switchboard.v1.Organization toProto(Organization o) {
        return io.switchboard.v1.Organization.newBuilder()
                .setId(o.id().toString()).setName(o.name()).setPlanId(o.planId()).setHipaaMode(o.hipaaMode())
                .setCreateTime(Protos.timestamp(o.createdAt())).setUpdateTime(Protos.timestamp(o.updatedAt()))
                .setMessagingHelpText(o.messagingHelpText()).setConfirmOptOut(o.confirmOptOut())
                .build();
    }
}
