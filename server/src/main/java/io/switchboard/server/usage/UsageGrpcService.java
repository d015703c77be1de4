package io.switchboard.server.usage;

import static io.switchboard.server.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import io.switchboard.common.SwitchboardException;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.usage.UsageService;
import io.switchboard.v1.GetUsageRequest;
import io.switchboard.v1.GetUsageResponse;
import io.switchboard.v1.UsageBucket;
import io.switchboard.v1.UsageServiceGrpc;
import io.switchboard.v1.UsageTotals;

/** Translates {@code switchboard.v1.UsageService} to {@link UsageService}. */
public final class UsageGrpcService extends UsageServiceGrpc.UsageServiceImplBase {

    private final UsageService usage;

    public UsageGrpcService(UsageService usage) {
        this.usage = usage;
    }

    @Override
    public void getUsage(GetUsageRequest req, StreamObserver<GetUsageResponse> out) {
        UsageService.Granularity g = switch (req.getGranularity()) {
            case GRANULARITY_UNSPECIFIED, GRANULARITY_DAY -> UsageService.Granularity.DAY;
            case GRANULARITY_MONTH -> UsageService.Granularity.MONTH;
            case UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument("granularity",
                    "unknown value " + req.getGranularityValue());
        };
        UsageService.Report report = usage.report(Principals.current(),
                Protos.optionalInstant(req.hasStartTime(), req.getStartTime()),
                Protos.optionalInstant(req.hasEndTime(), req.getEndTime()), g);
        GetUsageResponse.Builder b = GetUsageResponse.newBuilder().setTotals(totals(report.totals()));
        for (UsageService.Bucket bucket : report.buckets()) {
            b.addBuckets(UsageBucket.newBuilder().setStartTime(Protos.timestamp(bucket.start()))
                    .setEndTime(Protos.timestamp(bucket.end())).setTotals(totals(bucket.totals())));
        }
        reply(out, b.build());
    }

    private static UsageTotals totals(UsageService.Totals t) {
        return UsageTotals.newBuilder().setCalls(t.calls()).setCallMilliseconds(t.callMs())
                .setTranscribedMilliseconds(t.transcribedMs()).setLlmInputTokens(t.llmInputTokens())
                .setLlmOutputTokens(t.llmOutputTokens()).setBillableCallMinutes(t.billableCallMinutes())
                .setSmsSegments(t.smsSegments()).setWhatsappMessages(t.whatsappMessages()).build();
    }
}
