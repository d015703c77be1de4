package io.switchboard.server.calls;

import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.LiveEvents;
import io.switchboard.calls.Origin;
import io.switchboard.common.Notifications;
import io.switchboard.conversation.StoredConversations;
import io.switchboard.conversation.TurnLatency;
import io.switchboard.live.LiveCalls;
import io.switchboard.server.ApiHarness;
import io.switchboard.server.Listener;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.talk.TalkTokens;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignStats;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetCampaignStatsRequest;
import io.switchboard.v1.LatencyBucket;
import io.switchboard.v1.TurnLatency.Builder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each agent reply's latency, kept as the conversation reports it ({@link StoredConversations#latency}), comes back
 * with its call (GetCall) beside the variables its turn filled, and as the campaign's latency distribution.
 */
class TurnLatencyGrpcTest {

    private ApiHarness api;
    private Notifications notifications;
    private CallGrpcService service;
    private SwitchboardServer server;
    private ManagedChannel channel;
    private Fixtures.Tenant acme;
    private CallService calls;
    private StoredConversations records;
    private String agentId;
    private String campaignId;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        acme = api.fixtures.tenant("Acme", "growth");
        var creds = bearer(acme.ownerKey());
        agentId = AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds).createAgent(
                CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Party").setLanguage("en-US")).build()).getId();
        String list = ContactServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds).createContactList(
                CreateContactListRequest.newBuilder().setContactList(ContactList.newBuilder().setName("Guests")).build()).getId();
        campaignId = CampaignServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds).createCampaign(
                CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder().setName("RSVP").setAgentId(agentId)
                        .setContactListId(list).setCallerId("+14155550100")).build()).getId();
        var plane = api.fixtures.plane;
        calls = api.fixtures.calls(TestObjectStore.freshBucket());
        records = new StoredConversations(calls, plane.agents(), plane.contacts(), plane.campaigns(), plane.doNotCall(),
                plane.usage());
        // the harness's server has no call service: one with it, over the same database
        LiveEvents events = new LiveEvents(plane.database().dsl(), plane.contentSeal());
        notifications = Notifications.start(plane.database().dataSource());
        service = new CallGrpcService(calls, LiveCalls.builder(calls, events)
                .eventEncoding(CallGrpcService::eventEncoding).languages(plane.agents()).build(), events, notifications, 16,
                new TalkTokens(plane.database().dsl(), plane.clock(), plane.audit()));
        server = SwitchboardServer.builder().controlPlane(plane).listener(Listener.plaintext("127.0.0.1", 0))
                .calls(service).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void tearDown() {
        channel.shutdownNow();
        server.close();
        service.close();
        notifications.close();
        api.close();
    }

    private Call call() {
        return calls.open(acme.owner(), new CallSpec(agentId, campaignId, "", Call.Direction.OUTBOUND, "+14155550100",
                "+14155550123", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), Origin.CARRIER);
    }

    private static io.switchboard.v1.TurnLatency latency(int turn, long callerEnd, long endpointing, long recognizer,
                                                         long machineDetection, long decision, long firstAudio,
                                                         long total, String... variables) {
        Builder b = io.switchboard.v1.TurnLatency.newBuilder().setTurn(turn);
        b.setCallerEndOffset(ms(callerEnd)).setEndpointing(ms(endpointing)).setRecognizer(ms(recognizer))
                .setMachineDetection(ms(machineDetection)).setDecision(ms(decision)).setFirstAudio(ms(firstAudio)).setTotal(ms(total));
        return b.addAllVariables(List.of(variables)).build();
    }

    private static com.google.protobuf.Duration ms(long ms) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
    }

    @Test
    void getCallGivesEachReplysLatencyPartsAndTheVariablesItsTurnFilled() {
        Call c = call();
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("coming", true);
        records.outcome(c, vars, Optional.empty());
        records.latency(c, new TurnLatency(1, 500, 20, 310, 41, 30, 901, 4_200)); // held for the machine verdict
        records.latency(c, new TurnLatency(1, 999, 999, 0, 999, 999, 3_996, 4_200)); // the same turn again: the first stays
        vars.put("people", new java.math.BigDecimal(3));
        records.outcome(c, vars, Optional.of("confirmed"));
        records.latency(c, new TurnLatency(2, 1_500, 0, 0, 12, 25, 1_537, 9_750));
        records.latency(c, new TurnLatency(3, 500, 100, 0, 5, 20, 625, 12_000));

        var stub = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(acme.ownerKey()));
        var got = stub.getCall(GetCallRequest.newBuilder().setId(c.id().toString()).build());
        assertEquals(List.of(latency(1, 4_200, 500, 20, 310, 41, 30, 901, "coming"),
                latency(2, 9_750, 1_500, 0, 0, 12, 25, 1_537, "people"),
                latency(3, 12_000, 500, 100, 0, 5, 20, 625)), got.getTurnLatenciesList());

        Fixtures.Tenant globex = api.fixtures.tenant("Globex", "growth");
        var other = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(globex.ownerKey()));
        var e = assertThrows(StatusRuntimeException.class, () -> other.getCall(GetCallRequest.newBuilder()
                .setId(c.id().toString()).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void campaignStatsGiveTheReplyLatencyDistributionOverItsCalls() {
        Call first = call();
        Call second = call();
        records.latency(first, new TurnLatency(1, 500, 0, 0, 10, 30, 540, 1_000));
        records.latency(first, new TurnLatency(2, 500, 0, 0, 10, 30, 600, 5_000));
        records.latency(second, new TurnLatency(1, 500, 200, 0, 300, 200, 1_200, 1_000));
        records.latency(second, new TurnLatency(2, 2_000, 3_000, 0, 100, 900, 6_000, 9_000));
        Call elsewhere = calls.open(acme.owner(), new CallSpec(agentId, "", "", Call.Direction.INBOUND, "+14155550123",
                "+14155550100", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), Origin.CLIENT);
        records.latency(elsewhere, new TurnLatency(1, 100, 0, 0, 0, 0, 100, 500)); // not the campaign's

        CampaignStats s = CampaignServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()))
                .getCampaignStats(GetCampaignStatsRequest.newBuilder().setId(campaignId).build());
        var d = s.getReplyLatency();
        assertEquals(4, d.getCount());
        assertEquals(900, d.getP50().getNanos() / 1_000_000, "between 600 and 1200: " + d.getP50());
        List<Long> counts = d.getBucketsList().stream().map(LatencyBucket::getCount).toList();
        assertEquals(List.of(0L, 0L, 2L, 0L, 1L, 0L, 0L, 0L, 1L), counts, "≤250, ≤500, ≤750 (540, 600), ≤1000, "
                + "≤1500 (1200), ≤2000, ≤3000, ≤5000, more (6000)");
        assertEquals(750, d.getBuckets(2).getUpperBound().getNanos() / 1_000_000);
        assertEquals(false, d.getBuckets(8).hasUpperBound(), "the last bucket is open");
    }
}
