package io.switchboard.server.messaging;

import static io.switchboard.server.ApiHarness.bearer;
import static io.switchboard.server.GrpcAssertions.detail;
import static io.switchboard.server.GrpcAssertions.fails;
import static io.switchboard.server.GrpcAssertions.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.server.Listener;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.GetMessageRequest;
import io.switchboard.v1.ListConsentEventsRequest;
import io.switchboard.v1.ListMessagesRequest;
import io.switchboard.v1.ListOptOutsRequest;
import io.switchboard.v1.ListThreadsRequest;
import io.switchboard.v1.Message;
import io.switchboard.v1.MessageChannel;
import io.switchboard.v1.MessageStatus;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.SendMessageRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The messaging API and the carrier's signed webhooks on a real server over real PostgreSQL. */
class MessagingApiTest {

    private static final String TOKEN = "carrier-auth-token";
    private static final String PUBLIC = "https://switchboard.example";
    private static final String SENDER = "+14155550100";

    private Fixtures f;
    private SwitchboardServer server;
    private ManagedChannel channel;
    private MessagingServiceGrpc.MessagingServiceBlockingStub api;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        server = SwitchboardServer.builder().controlPlane(f.plane)
                .messagingCarrier(new MessagingWebhooks(TOKEN, URI.create(PUBLIC), f.plane.messaging()))
                .listener(Listener.plaintext("127.0.0.1", 0)).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        api = MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(acme.ownerKey()));
        api.addSender(AddSenderRequest.newBuilder().setAddress(SENDER).build());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    /** POSTs a carrier webhook, signed with {@code token} (none when null) over the public URL. */
    private HttpResponse<String> webhook(String pathAndQuery, Map<String, List<String>> form, String token)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(form)));
        if (token != null) {
            b.header(TwilioSignature.HEADER, TwilioSignature.sign(token, PUBLIC + pathAndQuery, form));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, List<String>> inbound(String sid, String from, String body) {
        Map<String, List<String>> form = new LinkedHashMap<>();
        form.put("MessageSid", List.of(sid));
        form.put("SmsSid", List.of(sid));
        form.put("AccountSid", List.of("AC" + "0".repeat(32)));
        form.put("From", List.of(from));
        form.put("To", List.of(SENDER));
        form.put("Body", List.of(body));
        form.put("NumMedia", List.of("0"));
        return form;
    }

    private Message sendTo(String to, String body) {
        return api.sendMessage(SendMessageRequest.newBuilder().setTo(to).setFrom(SENDER).setBody(body).build());
    }

    @Test
    void carrierWebhooksAreRefusedUnlessSignedWithTheAccountsToken() throws Exception {
        var form = inbound("SM" + "1".repeat(32), "+12125550123", "hello");
        assertEquals(403, webhook("/messaging/twilio/inbound", form, null).statusCode(), "unsigned");
        assertEquals(403, webhook("/messaging/twilio/inbound", form, "another-token").statusCode(), "wrong token");
        assertEquals(0, api.listThreads(ListThreadsRequest.getDefaultInstance()).getThreadsCount(), "nothing stored");
        assertEquals(403, webhook("/messaging/twilio/status?message_id=" + java.util.UUID.randomUUID(),
                Map.of("MessageStatus", List.of("delivered")), null).statusCode());

        HttpResponse<String> ok = webhook("/messaging/twilio/inbound", form, TOKEN);
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("<Response></Response>"), ok.body());
        Message in = api.listMessages(ListMessagesRequest.newBuilder().setContactPhone("+12125550123").build())
                .getMessages(0);
        assertEquals("hello", in.getBody());
        assertEquals(MessageStatus.MESSAGE_STATUS_RECEIVED, in.getStatus());
        assertEquals(404, webhook("/messaging/twilio/inbound", new LinkedHashMap<>(Map.of("MessageSid",
                List.of("SM2"), "From", List.of("+12125550123"), "To", List.of("+14155550999"), "Body",
                List.of("hi"))), TOKEN).statusCode(), "a number nobody owns");
    }

    @Test
    void signedStatusCallbacksMoveAMessageForwardOnly() throws Exception {
        Message m = sendTo("+12125550123", "hi");
        String path = "/messaging/twilio/status?message_id=" + m.getId();
        Map<String, List<String>> sent = new LinkedHashMap<>(Map.of("MessageSid", List.of("SM" + "9".repeat(32)),
                "MessageStatus", List.of("sent"), "AccountSid", List.of("AC1")));
        assertEquals(204, webhook(path, sent, TOKEN).statusCode());
        Map<String, List<String>> delivered = new LinkedHashMap<>(sent);
        delivered.put("MessageStatus", List.of("delivered"));
        assertEquals(204, webhook(path, delivered, TOKEN).statusCode());
        assertEquals(204, webhook(path, sent, TOKEN).statusCode(), "a late callback is accepted and ignored");
        Message now = api.getMessage(GetMessageRequest.newBuilder().setId(m.getId()).build());
        assertEquals(MessageStatus.MESSAGE_STATUS_DELIVERED, now.getStatus());
        assertEquals("SM" + "9".repeat(32), now.getCarrierSid());
        assertEquals(400, webhook("/messaging/twilio/status", sent, TOKEN).statusCode(), "no message_id");
        assertEquals(404, webhook("/messaging/twilio/status?message_id=" + java.util.UUID.randomUUID(), sent, TOKEN)
                .statusCode());
        Map<String, List<String>> bad = new LinkedHashMap<>(sent);
        bad.put("MessageStatus", List.of("teleported"));
        HttpResponse<String> r = webhook(path, bad, TOKEN);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("MessageStatus"), r.body());
    }

    @Test
    void aStopTextedToTheCarrierBlocksTheNextSendWithReasonOptedOut() throws Exception {
        sendTo("+12125550123", "first");
        assertEquals(200, webhook("/messaging/twilio/inbound", inbound("SM" + "2".repeat(32), "+12125550123", "Stop"),
                TOKEN).statusCode());
        var e = fails(Status.Code.FAILED_PRECONDITION, () -> sendTo("+12125550123", "second"));
        assertEquals("OPTED_OUT", detail(e, ErrorInfo.class).orElseThrow().getReason());
        assertEquals("+12125550123", api.listOptOuts(ListOptOutsRequest.getDefaultInstance()).getOptOuts(0).getPhoneNumber());
        assertEquals("STOP", api.listConsentEvents(ListConsentEventsRequest.newBuilder().setPhoneNumber("+12125550123")
                .build()).getEvents(0).getWords());
        var thread = api.listThreads(ListThreadsRequest.getDefaultInstance()).getThreads(0);
        assertTrue(thread.getOptedOut());
        assertEquals(MessageChannel.MESSAGE_CHANNEL_SMS, thread.getLastChannel());
        assertEquals(3, thread.getMessages(), "the text, the STOP and its one confirmation");
    }

    @Test
    void badRequestsNameTheirFields() {
        invalid(List.of("to", "body", "from"), () -> api.sendMessage(SendMessageRequest.newBuilder().setTo("x").build()));
        invalid(List.of("contact_phone"), () -> api.listMessages(ListMessagesRequest.getDefaultInstance()));
        invalid(List.of("address"), () -> api.addSender(AddSenderRequest.newBuilder().setAddress("sms:1").build()));
        fails(Status.Code.ALREADY_EXISTS, () -> api.addSender(AddSenderRequest.newBuilder().setAddress(SENDER).build()));
    }
}
