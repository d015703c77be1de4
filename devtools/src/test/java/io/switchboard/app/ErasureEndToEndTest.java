package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.Softphone;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.EraseContactRequest;
import io.switchboard.v1.Erasure;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.ListCallsRequest;
import io.switchboard.v1.ListDialAttemptsRequest;
import io.switchboard.v1.PrivacyServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Erasing a contact while one of its calls is live: the call is hung up first, so the person hears it end
 * (a StreamCall client gets the ended message; a carrier call is ended through the carrier's REST API, here
 * the dev softphone), and the erasure then goes through.
 */
class ErasureEndToEndTest {

    private static final Path SPEECH =
            Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");

    @TempDir
    static Path home;
    private static DevStack stack;
    private static Softphone phone;
    private static ManagedChannel channel;
    private static String key;
    private static String agentId;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dialer.tick-interval", "PT0.2S", "dialer.sync-interval", "PT0.5S"));
        phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata installed?"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
        key = TestStacks.organization(channel, stack.operatorKey(), "Acme", "growth");
        agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Caller")
                        .setLanguage("en-US")).build()).getId();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    private static ContactServiceGrpc.ContactServiceBlockingStub contacts() {
        return ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    private static CallServiceGrpc.CallServiceBlockingStub calls() {
        return CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    private static Erasure erase(String contactId) {
        return PrivacyServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .withDeadlineAfter(2, TimeUnit.MINUTES)
                .eraseContact(EraseContactRequest.newBuilder().setContactId(contactId).build());
    }

    private static void await(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void aLiveStreamCallIsHungUpThenTheContactIsErased() throws Exception {
        String number = "+14155550177";
        String contact = contacts().createContact(CreateContactRequest.newBuilder().setContact(
                Contact.newBuilder().setPhoneNumber(number).setTimeZone("America/Los_Angeles")).build()).getId();
        ToneCall call = new ToneCall(CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key)),
                agentId, number);
        Call accepted = call.accepted.get(30, TimeUnit.SECONDS);
        call.seconds(3);

        Erasure erased = erase(contact);

        Call ended = call.ended.get(30, TimeUnit.SECONDS);
        assertTrue(ended.getEndReason().contains("erased"), "the caller was told the call ended: " + ended.getEndReason());
        assertEquals(Call.State.STATE_ENDED, ended.getState());
        assertEquals(1, erased.getCallsAnonymised());
        assertTrue(erased.getRecordingObjectsDeleted() >= 1, "its audio went: " + erased);
        Call after = calls().getCall(GetCallRequest.newBuilder().setId(accepted.getId()).build());
        assertEquals("", after.getFromNumber(), "the person's number is gone from the call log");
        assertTrue(!after.hasRecording());
    }

    @Test
    void aLiveStreamCallOnAnotherServerIsHungUpThereThenTheContactIsErased() throws Exception {
        String number = "+14155550178";
        String contact = contacts().createContact(CreateContactRequest.newBuilder().setContact(
                Contact.newBuilder().setPhoneNumber(number).setTimeZone("America/Los_Angeles")).build()).getId();
        try (DevStack.ExtraServer other = stack.startExtraServer()) {
            ManagedChannel toOther = NettyChannelBuilder.forAddress("127.0.0.1", other.port()).usePlaintext().build();
            try {
                ToneCall call = new ToneCall(CallServiceGrpc.newStub(toOther).withCallCredentials(TestStacks.bearer(key)),
                        agentId, number);
                Call accepted = call.accepted.get(30, TimeUnit.SECONDS);
                call.seconds(3);

                Erasure erased = erase(contact); // through the first server, which does not hold the call

                Call ended = call.ended.get(30, TimeUnit.SECONDS);
                assertTrue(ended.getEndReason().contains("erased"), "the caller on the other server was told: "
                        + ended.getEndReason());
                assertEquals(1, erased.getCallsAnonymised());
                Call after = calls().getCall(GetCallRequest.newBuilder().setId(accepted.getId()).build());
                assertEquals("", after.getFromNumber(), "the person's number is gone from the call log");
            } finally {
                toOther.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aLiveCarrierCallIsHungUpThroughTheCarrierThenTheContactIsErased() throws Exception {
        String number = "+12125550177";
        // the callee talks for half a minute: the call is live when the erasure comes
        byte[] speech = Softphone.mulaw8k(Files.readAllBytes(SPEECH));
        byte[] longer = new byte[speech.length * 4];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(speech, 0, longer, i * speech.length, speech.length);
        }
        phone.script(number, new Softphone.Behaviour.Answer(longer, Duration.ZERO, false));
        String list = contacts().createContactList(CreateContactListRequest.newBuilder().setContactList(
                io.switchboard.v1.ContactList.newBuilder().setName("Erasure")).build()).getId();
        String contact = contacts().createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder()
                .setPhoneNumber(number).setTimeZone("Etc/GMT").addListIds(list)).build()).getId();
        var campaigns = CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                .setName("Erasure").setAgentId(agentId).setContactListId(list).setCallerId("+14155550100")
                .setCallingWindow(io.switchboard.v1.CallingWindow.newBuilder().setStartLocalTime("00:00").setEndLocalTime("23:59")))
                .build());
        campaigns.startCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
        ListCallsRequest live = ListCallsRequest.newBuilder().setCampaignId(c.getId()).build();
        await("the carrier call to be live", Duration.ofSeconds(60), () -> calls().listCalls(live).getCallsList()
                .stream().anyMatch(x -> x.getState() == Call.State.STATE_ACTIVE));
        String callId = calls().listCalls(live).getCalls(0).getId();
        ListDialAttemptsRequest attempts = ListDialAttemptsRequest.newBuilder().setCampaignId(c.getId()).build();
        await("the call to be linked to its dial attempt", Duration.ofSeconds(10), () -> campaigns
                .listDialAttempts(attempts).getAttemptsList().stream().anyMatch(a -> a.getCallId().equals(callId)));

        Erasure erased = erase(contact);

        assertEquals(1, phone.hangUpRequests().size(), "hung up through the carrier's REST API");
        Call after = calls().getCall(GetCallRequest.newBuilder().setId(callId).build());
        assertTrue(after.getState() != Call.State.STATE_ACTIVE, "the call ended before the erasure");
        assertEquals("", after.getToNumber(), "the person's number is gone from the call log");
        assertTrue(!after.hasRecording());
        assertEquals(1, erased.getCallsAnonymised());
        List<Softphone.PlacedCall> placed = phone.history().stream().filter(p -> p.to().equals(number)).toList();
        assertEquals(1, placed.size());
    }
}
