package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.Persona;
import io.switchboard.devtools.Softphone;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateFollowUpRequest;
import io.switchboard.v1.CreateMessageTemplateRequest;
import io.switchboard.v1.FollowUp;
import io.switchboard.v1.FollowUpServiceGrpc;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.ListOptOutsRequest;
import io.switchboard.v1.MessageChannel;
import io.switchboard.v1.MessageTemplate;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.GetMessageRequest;
import io.switchboard.v1.ListMessagesRequest;
import io.switchboard.v1.Message;
import io.switchboard.v1.MessageDirection;
import io.switchboard.v1.MessageStatus;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.SendMessageRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Texts through the whole dev stack: the API queues a text, the worker hands it to the dev softphone over
 * Twilio's Messages API, the softphone reports sent and delivered through signed status callbacks; the person
 * texts STOP back through the signed inbound webhook, and the next send is refused before it reaches the carrier.
 * The softphone blocks the number itself, as Twilio does (its own confirmation, then error 21610), so the
 * platform's confirmation is refused there (recorded as expected) and the person gets exactly one. A campaign
 * call's follow-up text reaches the softphone, whose scripted person texts back: the reply lands in the thread.
 */
class MessagingEndToEndTest {

    private static final String SENDER = "+14155550100";
    private static final String PERSON = "+14155550123";

    @TempDir
    static Path home;
    private static DevStack stack;
    private static Softphone phone;
    private static ManagedChannel channel;
    private static MessagingServiceGrpc.MessagingServiceBlockingStub texts;
    private static String contactId;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("messaging.per-sender-interval", "PT0.1S",
                "dialer.tick-interval", "PT0.2S", "dialer.sync-interval", "PT0.5S"));
        phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata installed?"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        key = TestStacks.organization(channel, stack.operatorKey(), "Textco", "growth");
        texts = MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        texts.addSender(AddSenderRequest.newBuilder().setAddress(SENDER).build());
        contactId = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder().setPhoneNumber(PERSON)
                        .setFirstName("Ada").setTimeZone(zoneAt(10, 18))).build()).getId();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    /** A fixed-offset zone where it is now daytime, so the calling window is open. */
    static String zoneAt(int from, int to) {
        for (int h = -12; h <= 14; h++) {
            ZoneId z = ZoneId.of(h == 0 ? "Etc/GMT" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h));
            int hour = Instant.now().atZone(z).getHour();
            if (hour >= from && hour < to) {
                return z.getId();
            }
        }
        throw new AssertionError("no zone at " + from + "-" + to);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(100);
        }
    }

    private static List<Softphone.Text> to(String number) {
        return phone.texts().stream().filter(t -> t.to().equals(number) && t.direction().equals("outbound-api")).toList();
    }

    @Test
    void aTextIsDeliveredAndAStopRepliedFromThePhoneBlocksTheNext() throws Exception {
        Message m = texts.sendMessage(SendMessageRequest.newBuilder().setContactId(contactId).setFrom(SENDER)
                .setBody("Hi Ada, here is the link: https://x.example/l").build());
        await("the softphone receives the text", () -> to(PERSON).size() == 1);
        assertEquals("Hi Ada, here is the link: https://x.example/l", to(PERSON).getFirst().body());
        await("the signed callbacks mark it delivered", () -> texts.getMessage(GetMessageRequest.newBuilder()
                .setId(m.getId()).build()).getStatus() == MessageStatus.MESSAGE_STATUS_DELIVERED);

        int status = phone.text(PERSON, SENDER, "STOP", "http://127.0.0.1:" + stack.server().port()
                + TwilioMessaging.INBOUND_PATH);
        assertEquals(200, status);
        await("the platform's confirmation is settled: the carrier refused it with 21610", () -> texts.listMessages(
                ListMessagesRequest.newBuilder().setContactId(contactId).build()).getMessagesList().stream()
                .anyMatch(x -> x.getDirection() == MessageDirection.MESSAGE_DIRECTION_OUTBOUND
                        && x.getStatus() == MessageStatus.MESSAGE_STATUS_FAILED && x.getErrorCode().equals("21610")));
        List<Softphone.Text> replies = phone.texts().stream().filter(t -> t.to().equals(PERSON)
                && !t.direction().equals("inbound")).toList();
        assertEquals(2, replies.size(), "the text, and one confirmation: " + replies);
        assertTrue(replies.get(1).body().contains("unsubscribed"), replies.get(1).body());

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> texts.sendMessage(
                SendMessageRequest.newBuilder().setContactId(contactId).setFrom(SENDER).setBody("one more").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertEquals("OPTED_OUT", StatusProto.fromThrowable(refused).getDetailsList().stream()
                .filter(a -> a.is(ErrorInfo.class)).map(a -> {
                    try {
                        return a.unpack(ErrorInfo.class).getReason();
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new AssertionError(e);
                    }
                }).findFirst().orElseThrow());
        assertEquals(1, to(PERSON).size(), "nothing after the STOP was accepted for the phone");
    }

    private static String refusalReason(StatusRuntimeException e) {
        return StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).map(a -> {
            try {
                return a.unpack(ErrorInfo.class).getReason();
            } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        }).findFirst().orElseThrow();
    }

    private static List<Message> thread(String number) {
        return texts.listMessages(ListMessagesRequest.newBuilder().setContactPhone(number).setPageSize(100).build())
                .getMessagesList();
    }

    @Test
    void aCampaignCallsFollowUpIsAnsweredFromThePhoneAndAStopReplyRefusesTheNextSend() throws Exception {
        String number = "+14155550177";
        // lines to spare: a person who runs out of lines hangs up, and on a loaded machine may do so mid-flow
        phone.persona(number, Persona.talking("Yes, I can come.", "Two.", "Yes.", "Two people.", "Thank you."));
        phone.textsBack(number, "Thanks, see you then!", "STOP");
        var creds = TestStacks.bearer(key);
        String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(creds).createAgent(
                CreateAgentRequest.newBuilder().setAgent(TestAgents.appointments("Clinic")).build()).getId();
        String template = texts.createMessageTemplate(CreateMessageTemplateRequest.newBuilder().setTemplate(
                MessageTemplate.newBuilder().setName("see-you").setChannel(MessageChannel.MESSAGE_CHANNEL_SMS)
                        .setBody("See you tomorrow, {{first_name}}. Reply STOP to opt out.")).build()).getId();
        FollowUpServiceGrpc.newBlockingStub(channel).withCallCredentials(creds).createFollowUp(CreateFollowUpRequest
                .newBuilder().setFollowUp(FollowUp.newBuilder().setAgentId(agent).setDisposition("confirmed")
                        .setTemplateId(template).setFrom(SENDER)).build());

        var attempts = new TestCampaigns(channel, key).dialOnce(agent, java.time.Duration.ofMinutes(4), number);
        await("the follow-up text reaches the softphone", () -> to(number).size() == 1);
        assertEquals("See you tomorrow, Sam. Reply STOP to opt out.", to(number).getFirst().body());
        await("the person's reply is stored in the thread", () -> thread(number).stream().anyMatch(m ->
                m.getDirection() == MessageDirection.MESSAGE_DIRECTION_INBOUND
                        && m.getBody().equals("Thanks, see you then!")));
        String callId = attempts.getFirst().getCallId();
        assertTrue(CallServiceGrpc.newBlockingStub(channel).withCallCredentials(creds).getCall(GetCallRequest
                .newBuilder().setId(callId).build()).getFollowUpsList().stream()
                .anyMatch(f -> f.getMessageId().equals(thread(number).stream().filter(m -> m.getDirection()
                        == MessageDirection.MESSAGE_DIRECTION_OUTBOUND).findFirst().orElseThrow().getId())),
                "the follow-up is recorded on the call");

        texts.sendMessage(SendMessageRequest.newBuilder().setTo(number).setFrom(SENDER)
                .setBody("Your visit is at 9:00.").build());
        await("the person texts STOP and the number is opted out", () -> texts.listOptOuts(ListOptOutsRequest
                .getDefaultInstance()).getOptOutsList().stream().anyMatch(o -> o.getPhoneNumber().equals(number)
                && o.getWords().equals("STOP")));
        await("our confirmation is settled, refused by the carrier that confirmed itself", () -> thread(number).stream()
                .anyMatch(m -> m.getStatus() == MessageStatus.MESSAGE_STATUS_FAILED && m.getErrorCode().equals("21610")
                        && m.getErrorMessage().startsWith("expected")));

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> texts.sendMessage(
                SendMessageRequest.newBuilder().setTo(number).setFrom(SENDER).setBody("Running late?").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertEquals("OPTED_OUT", refusalReason(refused));
        assertEquals(List.of("See you tomorrow, Sam. Reply STOP to opt out.", "Your visit is at 9:00."),
                to(number).stream().map(Softphone.Text::body).toList(), "nothing after the STOP reached the phone");
    }
}
