package io.switchboard.server.plans;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import io.grpc.stub.StreamObserver;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.Plan;
import io.switchboard.plans.PlanLimits;
import io.switchboard.plans.PlanOverrides;
import io.switchboard.plans.PlanService;
import io.switchboard.plans.RetentionPeriod;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.v1.GetEffectivePolicyRequest;
import io.switchboard.v1.GetOrganizationPlanRequest;
import io.switchboard.v1.ListPlansRequest;
import io.switchboard.v1.ListPlansResponse;
import io.switchboard.v1.OrganizationPlan;
import io.switchboard.v1.PlanChange;
import io.switchboard.v1.PlanServiceGrpc;
import io.switchboard.v1.RetentionRule;
import io.switchboard.v1.SetOrganizationPlanRequest;
import io.switchboard.v1.SetPlanOverridesRequest;

/**
 * Translates {@code switchboard.v1.PlanService} to {@link PlanService}. Retention periods travel as the
 * proto's oneof (ISO 8601 text or unlimited); the domain parses and validates them.
 */
public final class PlanGrpcService extends PlanServiceGrpc.PlanServiceImplBase {

    private final PlanService plans;

    public PlanGrpcService(PlanService plans) {
        this.plans = plans;
    }

    @Override
    public void listPlans(ListPlansRequest req, StreamObserver<ListPlansResponse> out) {
        reply(out, ListPlansResponse.newBuilder()
                .addAllPlans(plans.catalog().plans().stream().map(PlanGrpcService::toProto).toList()).build());
    }

    @Override
    public void getOrganizationPlan(GetOrganizationPlanRequest req, StreamObserver<OrganizationPlan> out) {
        reply(out, toProto(plans.get(Principals.current())));
    }

    @Override
    public void setOrganizationPlan(SetOrganizationPlanRequest req, StreamObserver<OrganizationPlan> out) {
        reply(out, toProto(plans.setPlan(Principals.current(), req.getPlanId())));
    }

    @Override
    public void setPlanOverrides(SetPlanOverridesRequest req, StreamObserver<OrganizationPlan> out) {
        reply(out, toProto(plans.setOverrides(Principals.current(), req.getOrganizationId(), input(req.getOverrides()))));
    }

    @Override
    public void getEffectivePolicy(GetEffectivePolicyRequest req, StreamObserver<io.switchboard.v1.EffectivePolicy> out) {
        reply(out, toProto(plans.effectivePolicy(Principals.current())));
    }

    public static io.switchboard.v1.EffectivePolicy toProto(EffectivePolicy p) {
        return io.switchboard.v1.EffectivePolicy.newBuilder()
                .setOrganizationId(p.organizationId().toString()).setPlanId(p.planId())
                .setLimits(toProto(p.limits())).addAllRetention(rules(p.retention()))
                .setHipaaMode(p.hipaaMode()).build();
    }

    public static io.switchboard.v1.DataClass toProto(DataClass c) {
        return io.switchboard.v1.DataClass.valueOf("DATA_CLASS_" + c.name());
    }

    static PlanOverrides.Input input(io.switchboard.v1.PlanOverrides o) {
        return new PlanOverrides.Input(
                o.hasMaxConcurrentCalls() ? OptionalInt.of(o.getMaxConcurrentCalls()) : OptionalInt.empty(),
                o.hasMaxAgents() ? OptionalInt.of(o.getMaxAgents()) : OptionalInt.empty(),
                o.hasMaxCampaigns() ? OptionalInt.of(o.getMaxCampaigns()) : OptionalInt.empty(),
                o.hasApiRequestsPerSecond() ? OptionalDouble.of(o.getApiRequestsPerSecond()) : OptionalDouble.empty(),
                o.hasApiBurst() ? OptionalInt.of(o.getApiBurst()) : OptionalInt.empty(),
                o.getRetentionList().stream().map(r -> new PlanOverrides.Input.Rule(dataClass(r.getDataClass()),
                        periodText(r.getPeriod()))).toList());
    }

    public static Optional<DataClass> dataClass(io.switchboard.v1.DataClass c) {
        return Protos.fromProto(c, "DATA_CLASS_", DataClass.class);
    }

    /** The oneof as text for {@link RetentionPeriod#parse}; empty when neither arm is set (or unlimited is false). */
    private static Optional<String> periodText(io.switchboard.v1.RetentionPeriod p) {
        return switch (p.getPeriodCase()) {
            case ISO8601 -> Optional.of(p.getIso8601());
            case UNLIMITED -> p.getUnlimited() ? Optional.of("unlimited") : Optional.empty();
            case PERIOD_NOT_SET -> Optional.empty();
        };
    }

    static io.switchboard.v1.Plan toProto(Plan p) {
        return io.switchboard.v1.Plan.newBuilder()
                .setId(p.id()).setDisplayName(p.displayName()).setLimits(toProto(p.limits()))
                .addAllRetention(rules(p.retention())).setHipaaAllowed(p.hipaaAllowed()).build();
    }

    static io.switchboard.v1.PlanLimits toProto(PlanLimits l) {
        return io.switchboard.v1.PlanLimits.newBuilder()
                .setMaxConcurrentCalls(l.maxConcurrentCalls()).setMaxAgents(l.maxAgents())
                .setMaxCampaigns(l.maxCampaigns()).setApiRequestsPerSecond(l.apiRequestsPerSecond())
                .setApiBurst(l.apiBurst()).build();
    }

    static io.switchboard.v1.PlanOverrides toProto(PlanOverrides o) {
        io.switchboard.v1.PlanOverrides.Builder b = io.switchboard.v1.PlanOverrides.newBuilder();
        o.maxConcurrentCalls().ifPresent(b::setMaxConcurrentCalls);
        o.maxAgents().ifPresent(b::setMaxAgents);
        o.maxCampaigns().ifPresent(b::setMaxCampaigns);
        o.apiRequestsPerSecond().ifPresent(b::setApiRequestsPerSecond);
        o.apiBurst().ifPresent(b::setApiBurst);
        return b.addAllRetention(rules(o.retention())).build();
    }

    static OrganizationPlan toProto(PlanService.OrganizationPlan p) {
        return OrganizationPlan.newBuilder()
                .setOrganizationId(p.organizationId().toString()).setPlan(toProto(p.plan()))
                .setOverrides(toProto(p.overrides()))
                .addAllHistory(p.history().stream().map(PlanGrpcService::toProto).toList()).build();
    }

    static PlanChange toProto(PlanService.PlanChange c) {
        return PlanChange.newBuilder()
                .setFromPlanId(c.fromPlanId().orElse("")).setToPlanId(c.toPlanId())
                .setOverrides(toProto(c.overrides()))
                .setActorApiKeyId(c.actorApiKeyId().map(Object::toString).orElse(""))
                .setChangeTime(Protos.timestamp(c.at())).build();
    }

    /** Rules in {@link DataClass} order, so clients see a stable list. */
    public static List<RetentionRule> rules(Map<DataClass, RetentionPeriod> retention) {
        return Arrays.stream(DataClass.values()).filter(retention::containsKey)
                .map(c -> RetentionRule.newBuilder()
                        .setDataClass(toProto(c))
                        .setPeriod(toProto(retention.get(c))).build())
                .toList();
    }

    public static io.switchboard.v1.RetentionPeriod toProto(RetentionPeriod p) {
        return p.unlimited() ? io.switchboard.v1.RetentionPeriod.newBuilder().setUnlimited(true).build()
                : io.switchboard.v1.RetentionPeriod.newBuilder().setIso8601(p.toString()).build();
    }
}
