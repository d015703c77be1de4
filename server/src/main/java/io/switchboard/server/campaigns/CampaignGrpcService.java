package io.switchboard.server.campaigns;

import static io.switchboard.server.grpc.Replies.reply;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.calls.TurnTimings;
import io.switchboard.campaigns.Campaign;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.campaigns.CampaignState;
import io.switchboard.campaigns.CallingWindow;
import io.switchboard.campaigns.RetryPolicy;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.dialer.CampaignProgress;
import io.switchboard.v1.CampaignContact;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.DialAttempt;
import io.switchboard.v1.DialingRules;
import io.switchboard.v1.ListCampaignContactsRequest;
import io.switchboard.v1.ListCampaignContactsResponse;
import io.switchboard.v1.ListDialAttemptsRequest;
import io.switchboard.v1.ListDialAttemptsResponse;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.DeleteCampaignRequest;
import io.switchboard.v1.CampaignStats;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.GetCampaignStatsRequest;
import io.switchboard.v1.LatencyBucket;
import io.switchboard.v1.LatencyDistribution;
import io.switchboard.v1.ListCampaignsRequest;
import io.switchboard.v1.ListCampaignsResponse;
import io.switchboard.v1.Schedule;
import io.switchboard.v1.UpdateCampaignRequest;

/** Translates {@code switchboard.v1.CampaignService} to {@link CampaignService}. */
public final class CampaignGrpcService extends CampaignServiceGrpc.CampaignServiceImplBase {

    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);

    private final CampaignService campaigns;
    private final CampaignProgress progress;

    public CampaignGrpcService(CampaignService campaigns, CampaignProgress progress) {
        this.campaigns = campaigns;
        this.progress = progress;
    }

    @Override
    public void listCampaignContacts(ListCampaignContactsRequest req, StreamObserver<ListCampaignContactsResponse> out) {
        Page<CampaignProgress.ContactProgress> page = progress.contacts(Principals.current(), req.getCampaignId(),
                req.getState(), req.getPageSize(), req.getPageToken());
        ListCampaignContactsResponse.Builder b = ListCampaignContactsResponse.newBuilder()
                .setNextPageToken(page.nextPageToken().orElse(""));
        for (CampaignProgress.ContactProgress c : page.items()) {
            b.addContacts(CampaignContact.newBuilder().setContactId(c.contactId().toString()).setState(c.state())
                    .setAttempts(c.attempts()).setNextAttemptTime(Protos.timestamp(c.nextAttemptAt()))
                    .setLastOutcome(c.lastOutcome()).setLastReason(c.lastReason())
                    .setUpdateTime(Protos.timestamp(c.updatedAt())));
        }
        reply(out, b.build());
    }

    @Override
    public void listDialAttempts(ListDialAttemptsRequest req, StreamObserver<ListDialAttemptsResponse> out) {
        Page<CampaignProgress.AttemptView> page = progress.attempts(Principals.current(), req.getCampaignId(),
                req.getContactId(), req.getPageSize(), req.getPageToken());
        ListDialAttemptsResponse.Builder b = ListDialAttemptsResponse.newBuilder()
                .setNextPageToken(page.nextPageToken().orElse(""));
        for (CampaignProgress.AttemptView a : page.items()) {
            DialAttempt.Builder d = DialAttempt.newBuilder().setId(a.id().toString())
                    .setContactId(a.contactId().toString()).setAttempt(a.attempt()).setToNumber(a.toNumber())
                    .setState(a.state()).setOutcome(a.outcome()).setDetail(a.detail())
                    .setPlaceTime(Protos.timestamp(a.placedAt()));
            a.callId().ifPresent(id -> d.setCallId(id.toString()));
            a.answeredAt().ifPresent(t -> d.setAnswerTime(Protos.timestamp(t)));
            a.endedAt().ifPresent(t -> d.setEndTime(Protos.timestamp(t)));
            a.durationMs().ifPresent(d::setDurationMs);
            b.addAttempts(d);
        }
        reply(out, b.build());
    }

    @Override
    public void createCampaign(CreateCampaignRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.create(Principals.current(), spec(req.getCampaign()),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()))));
    }

    @Override
    public void getCampaign(GetCampaignRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.get(Principals.current(), req.getId())));
    }

    @Override
    public void getCampaignStats(GetCampaignStatsRequest req, StreamObserver<CampaignStats> out) {
        CampaignProgress.Stats s = progress.stats(Principals.current(), req.getId());
        reply(out, CampaignStats.newBuilder().setCampaignId(s.campaignId().toString()).setAttempted(s.attempted())
                .setConnected(s.connected()).setFailed(s.failed()).setActive(s.active())
                .setContactsReached(s.contactsReached()).setCallMilliseconds(s.callMs())
                .setBillableMinutes(s.billableMinutes()).putAllDispositions(s.dispositions())
                .putAllContacts(s.contacts()).putAllOutcomes(s.outcomes()).putAllRefusals(s.refusals())
                .setDialAttempts(s.dialAttempts()).setReplyLatency(latency(s.replyLatency())).build());
    }

    private static LatencyDistribution latency(TurnTimings.Distribution d) {
        LatencyDistribution.Builder b = LatencyDistribution.newBuilder().setCount(d.count())
                .setP50(Protos.duration(d.p50())).setP95(Protos.duration(d.p95())).setP99(Protos.duration(d.p99()));
        for (int i = 0; i < d.counts().size(); i++) {
            LatencyBucket.Builder bucket = LatencyBucket.newBuilder().setCount(d.counts().get(i));
            if (i < TurnTimings.BUCKETS.size()) {
                bucket.setUpperBound(Protos.duration(TurnTimings.BUCKETS.get(i)));
            }
            b.addBuckets(bucket);
        }
        return b.build();
    }

    @Override
    public void listCampaigns(ListCampaignsRequest req, StreamObserver<ListCampaignsResponse> out) {
        Optional<CampaignState> state = switch (req.getState()) {
            case STATE_UNSPECIFIED -> Optional.empty();
            case UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument("state",
                    "unknown value " + req.getStateValue());
            default -> Optional.of(state(req.getState()));
        };
        Page<Campaign> page = campaigns.list(Principals.current(), state, req.getPageSize(), req.getPageToken());
        reply(out, ListCampaignsResponse.newBuilder()
                .addAllCampaigns(page.items().stream().map(CampaignGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void updateCampaign(UpdateCampaignRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.update(Principals.current(), req.getCampaign().getId(), spec(req.getCampaign()),
                req.getUpdateMask().getPathsList())));
    }

    @Override
    public void deleteCampaign(DeleteCampaignRequest req, StreamObserver<Empty> out) {
        campaigns.delete(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public void startCampaign(CampaignTransitionRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.start(Principals.current(), req.getId())));
    }

    @Override
    public void pauseCampaign(CampaignTransitionRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.pause(Principals.current(), req.getId())));
    }

    @Override
    public void resumeCampaign(CampaignTransitionRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.resume(Principals.current(), req.getId())));
    }

    @Override
    public void completeCampaign(CampaignTransitionRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.complete(Principals.current(), req.getId())));
    }

    @Override
    public void cancelCampaign(CampaignTransitionRequest req, StreamObserver<io.switchboard.v1.Campaign> out) {
        reply(out, toProto(campaigns.cancel(Principals.current(), req.getId())));
    }

    static CampaignSpec spec(io.switchboard.v1.Campaign c) {
        Schedule s = c.getSchedule();
        io.switchboard.v1.CallingWindow w = c.getCallingWindow();
        io.switchboard.v1.RetryPolicy r = c.getRetryPolicy();
        List<RetryPolicy.Outcome> on = new ArrayList<>();
        for (io.switchboard.v1.RetryPolicy.Outcome o : r.getRetryOnList()) {
            on.add(switch (o) {
                case OUTCOME_BUSY -> RetryPolicy.Outcome.BUSY;
                case OUTCOME_NO_ANSWER -> RetryPolicy.Outcome.NO_ANSWER;
                case OUTCOME_FAILED -> RetryPolicy.Outcome.FAILED;
                case OUTCOME_VOICEMAIL -> RetryPolicy.Outcome.VOICEMAIL;
                case OUTCOME_UNSPECIFIED, UNRECOGNIZED -> null; // reported by the domain with its index
            });
        }
        Optional<Duration> delay = r.hasRetryDelay()
                ? Optional.of(Duration.ofSeconds(r.getRetryDelay().getSeconds(), r.getRetryDelay().getNanos()))
                : Optional.empty();
        return new CampaignSpec(c.getName(), c.getAgentId(), c.getContactListId(), c.getCallerId(),
                Protos.optionalInstant(s.hasStartTime(), s.getStartTime()),
                Protos.optionalInstant(s.hasEndTime(), s.getEndTime()),
                new CampaignSpec.Window(w.getStartLocalTime(), w.getEndLocalTime(), w.getDaysOfWeekList(),
                        w.getFallbackTimeZone()),
                c.getMaxConcurrency(),
                new CampaignSpec.Retry(r.getMaxAttempts(), delay, on),
                c.getDispositionCodesList(),
                new CampaignSpec.Dialing(c.getDialingRules().getRequireConsent(),
                        c.getDialingRules().getMaxAttemptsPerDay(), c.getDialingRules().getHolidaysList()));
    }

    public static io.switchboard.v1.Campaign toProto(Campaign c) {
        Schedule.Builder schedule = Schedule.newBuilder();
        c.scheduleStart().ifPresent(t -> schedule.setStartTime(Protos.timestamp(t)));
        c.scheduleEnd().ifPresent(t -> schedule.setEndTime(Protos.timestamp(t)));
        CallingWindow w = c.callingWindow();
        RetryPolicy r = c.retryPolicy();
        io.switchboard.v1.Campaign.Builder b = io.switchboard.v1.Campaign.newBuilder()
                .setId(c.id().toString()).setName(c.name()).setAgentId(c.agentId().toString())
                .setContactListId(c.contactListId().toString()).setCallerId(c.callerId())
                .setState(state(c.state()))
                .setSchedule(schedule)
                .setCallingWindow(io.switchboard.v1.CallingWindow.newBuilder()
                        .setStartLocalTime(HH_MM.format(w.start())).setEndLocalTime(HH_MM.format(w.end()))
                        .addAllDaysOfWeek(w.days().stream().map(DayOfWeek::getValue).sorted().toList())
                        .setFallbackTimeZone(w.fallbackTimeZone()))
                .setMaxConcurrency(c.maxConcurrency())
                .setRetryPolicy(io.switchboard.v1.RetryPolicy.newBuilder()
                        .setMaxAttempts(r.maxAttempts())
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                                .setSeconds(r.retryDelay().getSeconds()).setNanos(r.retryDelay().getNano()))
                        .addAllRetryOn(r.retryOn().stream().sorted()
                                .map(o -> io.switchboard.v1.RetryPolicy.Outcome.valueOf("OUTCOME_" + o.name())).toList()))
                .addAllDispositionCodes(c.dispositionCodes())
                .setDialingRules(DialingRules.newBuilder().setRequireConsent(c.dialingRules().requireConsent())
                        .setMaxAttemptsPerDay(c.dialingRules().maxAttemptsPerDay())
                        .addAllHolidays(c.dialingRules().holidays().stream().map(LocalDate::toString).toList()))
                .setCreateTime(Protos.timestamp(c.createdAt())).setUpdateTime(Protos.timestamp(c.updatedAt()));
        c.startedAt().ifPresent(t -> b.setStartTime(Protos.timestamp(t)));
        c.endedAt().ifPresent(t -> b.setEndTime(Protos.timestamp(t)));
        return b.build();
    }

    private static io.switchboard.v1.Campaign.State state(CampaignState s) {
        return io.switchboard.v1.Campaign.State.valueOf("STATE_" + s.name());
    }

    private static CampaignState state(io.switchboard.v1.Campaign.State s) {
        return CampaignState.valueOf(s.name().substring("STATE_".length()));
    }
}
