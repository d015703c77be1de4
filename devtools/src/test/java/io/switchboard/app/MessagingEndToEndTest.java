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
import io.switchboard.devtools.Softphone;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.v1.AddSenderRequest;
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
 * platform's confirmation is refused there and the person gets exactly one.
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

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("messaging.per-sender-interval", "PT0.1S"));
        phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata installed?"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        String key = TestStacks.organization(channel, stack.operatorKey(), "Textco", "growth");
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
}
