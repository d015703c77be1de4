package io.switchboard.server.messaging;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.Locale;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.messaging.FollowUps;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.v1.CallFollowUp;
import io.switchboard.v1.CreateFollowUpRequest;
import io.switchboard.v1.DeleteFollowUpRequest;
import io.switchboard.v1.FollowUp;
import io.switchboard.v1.FollowUpServiceGrpc;
import io.switchboard.v1.ListFollowUpsRequest;
import io.switchboard.v1.ListFollowUpsResponse;

/** Translates {@code switchboard.v1.FollowUpService} to {@link FollowUps}. */
public final class FollowUpGrpcService extends FollowUpServiceGrpc.FollowUpServiceImplBase {

    private final FollowUps followUps;

    public FollowUpGrpcService(FollowUps followUps) {
        this.followUps = followUps;
    }

    @Override
    public void createFollowUp(CreateFollowUpRequest req, StreamObserver<FollowUp> out) {
        FollowUp f = req.getFollowUp();
        String condition = switch (f.getCondition()) {
            case CONDITION_UNSPECIFIED, UNRECOGNIZED -> "";
            default -> f.getCondition().name().substring("CONDITION_".length()).toLowerCase(Locale.ROOT);
        };
        reply(out, toProto(followUps.create(Principals.current(), new FollowUps.RuleSpec(f.getCampaignId(),
                f.getAgentId(), f.getDisposition(), f.getVariable(), condition, f.getValue(), f.getTemplateId(),
                f.getFrom()))));
    }

    @Override
    public void listFollowUps(ListFollowUpsRequest req, StreamObserver<ListFollowUpsResponse> out) {
        ListFollowUpsResponse.Builder b = ListFollowUpsResponse.newBuilder();
        followUps.list(Principals.current(), req.getCampaignId(), req.getAgentId()).forEach(r -> b.addFollowUps(toProto(r)));
        reply(out, b.build());
    }

    @Override
    public void deleteFollowUp(DeleteFollowUpRequest req, StreamObserver<Empty> out) {
        followUps.delete(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    static FollowUp toProto(FollowUps.Rule r) {
        FollowUp.Builder b = FollowUp.newBuilder().setId(r.id().toString()).setDisposition(r.disposition())
                .setVariable(r.variable()).setValue(r.value()).setTemplateId(r.templateId().toString())
                .setFrom(r.from()).setCreateTime(Protos.timestamp(r.createdAt()));
        r.campaignId().ifPresent(id -> b.setCampaignId(id.toString()));
        r.agentId().ifPresent(id -> b.setAgentId(id.toString()));
        r.condition().ifPresent(c -> b.setCondition(FollowUp.Condition.valueOf("CONDITION_" + c.name())));
        return b.build();
    }

    /** A follow-up's outcome on a call, as GetCall shows it. */
    public static CallFollowUp toProto(FollowUps.Outcome o) {
        return CallFollowUp.newBuilder().setFollowUpId(o.ruleId().map(Object::toString).orElse(""))
                .setTemplateId(o.templateId().toString())
                .setMessageId(o.messageId().map(Object::toString).orElse("")).setRefusal(o.refusal())
                .setDetail(o.detail()).setCreateTime(Protos.timestamp(o.at()))
                .setTrigger(o.trigger().name().toLowerCase(Locale.ROOT)).setNodeId(o.nodeId()).build();
    }
}
