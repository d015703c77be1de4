package io.switchboard.server.webhooks;

import static io.switchboard.server.grpc.Replies.reply;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.v1.CreateWebhookEndpointRequest;
import io.switchboard.v1.CreateWebhookEndpointResponse;
import io.switchboard.v1.DeleteWebhookEndpointRequest;
import io.switchboard.v1.ListWebhookDeliveriesRequest;
import io.switchboard.v1.ListWebhookDeliveriesResponse;
import io.switchboard.v1.ListWebhookEndpointsRequest;
import io.switchboard.v1.ListWebhookEndpointsResponse;
import io.switchboard.v1.ReplayWebhookDeliveryRequest;
import io.switchboard.v1.WebhookServiceGrpc;
import io.switchboard.webhooks.WebhookDelivery;
import io.switchboard.webhooks.WebhookEndpoint;
import io.switchboard.webhooks.WebhookEvent;
import io.switchboard.webhooks.Webhooks;

/** Translates {@code switchboard.v1.WebhookService} to {@link Webhooks}. */
public final class WebhookGrpcService extends WebhookServiceGrpc.WebhookServiceImplBase {

    private final Webhooks webhooks;

    public WebhookGrpcService(Webhooks webhooks) {
        this.webhooks = webhooks;
    }

    @Override
    public void createWebhookEndpoint(CreateWebhookEndpointRequest req, StreamObserver<CreateWebhookEndpointResponse> out) {
        WebhookEndpoint.Created c = webhooks.create(Principals.current(), req.getUrl(), req.getEventsList(),
                req.getDescription(),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()));
        reply(out, CreateWebhookEndpointResponse.newBuilder().setEndpoint(toProto(c.endpoint())).setSecret(c.secret())
                .build());
    }

    @Override
    public void listWebhookEndpoints(ListWebhookEndpointsRequest req, StreamObserver<ListWebhookEndpointsResponse> out) {
        Page<WebhookEndpoint> page = webhooks.list(Principals.current(), req.getPageSize(), req.getPageToken());
        ListWebhookEndpointsResponse.Builder b = ListWebhookEndpointsResponse.newBuilder();
        page.items().forEach(e -> b.addEndpoints(toProto(e)));
        page.nextPageToken().ifPresent(b::setNextPageToken);
        reply(out, b.build());
    }

    @Override
    public void deleteWebhookEndpoint(DeleteWebhookEndpointRequest req, StreamObserver<Empty> out) {
        webhooks.delete(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public void listWebhookDeliveries(ListWebhookDeliveriesRequest req, StreamObserver<ListWebhookDeliveriesResponse> out) {
        ListWebhookDeliveriesResponse.Builder b = ListWebhookDeliveriesResponse.newBuilder();
        webhooks.deliveries(Principals.current(), req.getEndpointId(), req.getLimit()).forEach(d -> b.addDeliveries(toProto(d)));
        reply(out, b.build());
    }

    @Override
    public void replayWebhookDelivery(ReplayWebhookDeliveryRequest req, StreamObserver<io.switchboard.v1.WebhookDelivery> out) {
        reply(out, toProto(webhooks.replay(Principals.current(), req.getId())));
    }

    static io.switchboard.v1.WebhookEndpoint toProto(WebhookEndpoint e) {
        return io.switchboard.v1.WebhookEndpoint.newBuilder().setId(e.id().toString()).setUrl(e.url())
                .addAllEvents(e.events().stream().map(WebhookEvent::type).toList()).setDescription(e.description())
                .setCreateTime(Protos.timestamp(e.createdAt())).build();
    }

    static io.switchboard.v1.WebhookDelivery toProto(WebhookDelivery d) {
        io.switchboard.v1.WebhookDelivery.Builder b = io.switchboard.v1.WebhookDelivery.newBuilder()
                .setId(d.id().toString()).setEndpointId(d.endpointId().toString()).setEventId(d.eventId().toString())
                .setEventType(d.eventType()).setPayload(d.payload())
                .setState(io.switchboard.v1.WebhookDelivery.State.valueOf("STATE_" + d.state().name()))
                .setAttempts(d.attempts()).setLastStatus(d.lastStatus().orElse(0)).setLastError(d.lastError())
                .setCreateTime(Protos.timestamp(d.createdAt()));
        d.nextAttemptAt().ifPresent(t -> b.setNextAttemptTime(Protos.timestamp(t)));
        d.deliveredAt().ifPresent(t -> b.setDeliverTime(Protos.timestamp(t)));
        return b.build();
    }
}
