package io.switchboard.server.retention;

import static io.switchboard.server.grpc.Replies.reply;

import java.util.Locale;
import java.util.Optional;

import io.grpc.stub.StreamObserver;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.retention.LegalHold;
import io.switchboard.retention.LegalHolds;
import io.switchboard.retention.PolicyChanges;
import io.switchboard.retention.RetentionService;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.server.plans.PlanGrpcService;
import io.switchboard.v1.ClassImpact;
import io.switchboard.v1.Deletion;
import io.switchboard.v1.DryRunPlanChangeRequest;
import io.switchboard.v1.ExpiryCount;
import io.switchboard.v1.GetEffectivePolicyRequest;
import io.switchboard.v1.HoldScope;
import io.switchboard.v1.ImpactedItem;
import io.switchboard.v1.ListDeletionsRequest;
import io.switchboard.v1.ListDeletionsResponse;
import io.switchboard.v1.ListLegalHoldsRequest;
import io.switchboard.v1.ListLegalHoldsResponse;
import io.switchboard.v1.ListUpcomingExpiriesRequest;
import io.switchboard.v1.PlaceLegalHoldRequest;
import io.switchboard.v1.PlanChangeImpact;
import io.switchboard.v1.ReleaseLegalHoldRequest;
import io.switchboard.v1.RetentionServiceGrpc;
import io.switchboard.v1.UpcomingExpiries;

/** Translates {@code switchboard.v1.RetentionService} to {@link RetentionService} and {@link LegalHolds}. */
public final class RetentionGrpcService extends RetentionServiceGrpc.RetentionServiceImplBase {

    private final RetentionService retention;
    private final LegalHolds holds;

    public RetentionGrpcService(RetentionService retention, LegalHolds holds) {
        this.retention = retention;
        this.holds = holds;
    }

    @Override
    public void getEffectivePolicy(GetEffectivePolicyRequest req, StreamObserver<io.switchboard.v1.EffectivePolicy> out) {
        reply(out, PlanGrpcService.toProto(retention.effectivePolicy(Principals.current())));
    }

    @Override
    public void listUpcomingExpiries(ListUpcomingExpiriesRequest req, StreamObserver<UpcomingExpiries> out) {
        RetentionService.Upcoming u = retention.upcoming(Principals.current(), req.getDays());
        UpcomingExpiries.Builder b = UpcomingExpiries.newBuilder().setFrom(Protos.timestamp(u.from())).setDays(u.days());
        u.counts().forEach(c -> b.addCounts(toProto(c)));
        u.overdue().forEach(c -> b.addOverdue(toProto(c)));
        reply(out, b.build());
    }

    @Override
    public void dryRunPlanChange(DryRunPlanChangeRequest req, StreamObserver<PlanChangeImpact> out) {
        PolicyChanges.Report r = retention.dryRunPlanChange(Principals.current(), req.getPlanId());
        PlanChangeImpact.Builder b = PlanChangeImpact.newBuilder().setFromPlanId(r.fromPlanId()).setToPlanId(r.toPlanId())
                .setChangeTime(Protos.timestamp(r.at())).setGraceEnds(Protos.timestamp(r.graceEnds()))
                .setItemsTruncated(r.itemsTruncated());
        for (PolicyChanges.ClassImpact i : r.impacts()) {
            b.addImpacts(ClassImpact.newBuilder().setDataClass(PlanGrpcService.toProto(i.dataClass()))
                    .setFrom(PlanGrpcService.toProto(i.from())).setTo(PlanGrpcService.toProto(i.to()))
                    .setItems(i.items()).setShortened(i.shortened()).setExtended(i.extended())
                    .setDeletedByGraceEnd(i.goneByGraceEnd()).setDeletedBecauseOfChange(i.goneBecauseOfChange())
                    .setHeld(i.held()));
        }
        for (PolicyChanges.Item i : r.items()) {
            b.addItems(ImpactedItem.newBuilder().setDataClass(PlanGrpcService.toProto(i.dataClass()))
                    .setCallId(i.callId().map(Object::toString).orElse("")).setItems(i.items())
                    .setDeletedAt(Protos.timestamp(i.deletedAt())));
        }
        reply(out, b.build());
    }

    @Override
    public void placeLegalHold(PlaceLegalHoldRequest req, StreamObserver<io.switchboard.v1.LegalHold> out) {
        reply(out, toProto(holds.place(Principals.current(), Protos.fromProto(req.getScope(), "HOLD_SCOPE_",
                LegalHold.Scope.class), req.getResourceId(), req.getReason())));
    }

    @Override
    public void releaseLegalHold(ReleaseLegalHoldRequest req, StreamObserver<io.switchboard.v1.LegalHold> out) {
        reply(out, toProto(holds.release(Principals.current(), req.getId(), req.getReason())));
    }

    @Override
    public void listLegalHolds(ListLegalHoldsRequest req, StreamObserver<ListLegalHoldsResponse> out) {
        Page<LegalHold> page = holds.list(Principals.current(), req.getIncludeReleased(), req.getPageSize(),
                req.getPageToken());
        ListLegalHoldsResponse.Builder b = ListLegalHoldsResponse.newBuilder();
        page.items().forEach(h -> b.addHolds(toProto(h)));
        page.nextPageToken().ifPresent(b::setNextPageToken);
        reply(out, b.build());
    }

    @Override
    public void listDeletions(ListDeletionsRequest req, StreamObserver<ListDeletionsResponse> out) {
        if (req.getDataClassValue() != 0 && PlanGrpcService.dataClass(req.getDataClass()).isEmpty()) {
            throw new SwitchboardException.InvalidArgument("data_class", "is not a data class this server knows");
        }
        var filter = new RetentionService.DeletionFilter(PlanGrpcService.dataClass(req.getDataClass()),
                req.getResourceId().isEmpty() ? Optional.empty() : Optional.of(req.getResourceId()),
                Protos.optionalInstant(req.hasFrom(), req.getFrom()), Protos.optionalInstant(req.hasTo(), req.getTo()));
        Page<RetentionService.Deletion> page = retention.deletions(Principals.current(), filter, req.getPageSize(),
                req.getPageToken());
        ListDeletionsResponse.Builder b = ListDeletionsResponse.newBuilder();
        for (RetentionService.Deletion d : page.items()) {
            b.addDeletions(Deletion.newBuilder().setId(d.id()).setDataClass(d.dataClass())
                    .setResourceType(d.resourceType()).setResourceId(d.resourceId()).setItems(d.items())
                    .setDueTime(Protos.timestamp(d.dueAt())).setDeleteTime(Protos.timestamp(d.deletedAt()))
                    .setReason(d.reason()).setPlanId(d.planId()));
        }
        page.nextPageToken().ifPresent(b::setNextPageToken);
        reply(out, b.build());
    }

    private static ExpiryCount toProto(RetentionService.DayCount c) {
        return ExpiryCount.newBuilder().setDataClass(PlanGrpcService.toProto(c.dataClass())).setDay(c.day().toString())
                .setItems(c.items()).setHeld(c.held()).build();
    }

    static io.switchboard.v1.LegalHold toProto(LegalHold h) {
        io.switchboard.v1.LegalHold.Builder b = io.switchboard.v1.LegalHold.newBuilder().setId(h.id().toString())
                .setScope(HoldScope.valueOf("HOLD_SCOPE_" + h.scope().name().toUpperCase(Locale.ROOT)))
                .setResourceId(h.resourceId().toString()).setReason(h.reason())
                .setPlacedByApiKeyId(h.placedBy().map(Object::toString).orElse(""))
                .setPlaceTime(Protos.timestamp(h.placedAt())).setActive(h.active())
                .setReleasedByApiKeyId(h.releasedBy().map(Object::toString).orElse(""))
                .setReleaseReason(h.releaseReason());
        h.releasedAt().ifPresent(t -> b.setReleaseTime(Protos.timestamp(t)));
        return b.build();
    }
}
