package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.Softphone;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.GetMessageRequest;
import io.switchboard.v1.Message;
import io.switchboard.v1.MessageStatus;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.SendMessageRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox survives kill -9: a worker in a JVM of its own ({@code Main worker}, against the stack's embedded
 * PostgreSQL by its port) hands queued texts to the dev softphone (the carrier, over Twilio's Messages API) and is
 * killed with SIGKILL in the middle of the batch, leases held and possibly one request on the wire. A second worker
 * finishes the batch: every text reaches the carrier exactly once (each body, each message id's carrier sid), none
 * is lost.
 */
class OutboxWorkerKilledTest {

    private static final String SENDER = "+14155550100";
    private static final int TEXTS = 30;

    @TempDir
    static Path home;
    private static DevStack stack;
    private static Softphone phone;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.worker", "false"));
        phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata installed?"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    /** The worker's settings: the softphone as its carrier, texts paced so that a batch takes a few seconds. */
    private static Map<String, String> worker() {
        return Map.of("telephony.twilio.api-url", phone.apiUrl().toString(),
                "telephony.twilio.account-sid", phone.accountSid(), "telephony.twilio.auth-token", phone.authToken(),
                "telephony.public-url", "http://127.0.0.1:" + stack.grpcPort(),
                "messaging.per-sender-interval", "PT0.1S", "worker.lease", "PT2S", "worker.concurrency", "4",
                "worker.poll-interval", "PT0.2S");
    }

    /** Waits (a worker JVM starts slowly on a loaded machine), failing with the worker's log. */
    private static void await(String what, WorkerProcess worker, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        try {
            TestCampaigns.await(what, Duration.ofSeconds(120), done);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + carried().size() + " texts carried; worker log:\n"
                    + worker.log(), e);
        }
    }

    private static List<Softphone.Text> carried() {
        return phone.texts().stream().filter(t -> t.direction().equals("outbound-api")).toList();
    }

    @Test
    void aWorkerKilledMidBatchLosesNoTextAndTheNextSendsNoneTwice() throws Exception {
        String key = TestStacks.organization(channel, stack.operatorKey(), "Outboxco", "growth");
        var texts = MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        texts.addSender(AddSenderRequest.newBuilder().setAddress(SENDER).build());
        String contact = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder()
                        .setPhoneNumber("+14155550188").setTimeZone(TestCampaigns.zoneAt(10, 18))).build()).getId();
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= TEXTS; i++) {
            ids.add(texts.sendMessage(SendMessageRequest.newBuilder().setContactId(contact).setFrom(SENDER)
                    .setBody("Outbox text " + i + " of " + TEXTS).build()).getId());
        }

        try (WorkerProcess first = WorkerProcess.start(stack, worker())) {
            await("the first worker is part-way through the batch", first,
                    () -> carried().size() >= TEXTS / 3 || !first.isAlive());
            assertTrue(first.isAlive(), first.log());
            first.kill();
        }
        int beforeKill = carried().size();
        assertTrue(beforeKill < TEXTS, "killed mid-batch, " + beforeKill + " of " + TEXTS + " sent");

        try (WorkerProcess second = WorkerProcess.start(stack, worker())) {
            await("the second worker finishes the batch", second, () -> ids.stream()
                    .allMatch(id -> texts.getMessage(GetMessageRequest.newBuilder().setId(id).build()).getStatus()
                            == MessageStatus.MESSAGE_STATUS_DELIVERED) || !second.isAlive());
            assertTrue(second.isAlive(), second.log());
        }

        List<Message> messages = ids.stream().map(id -> texts.getMessage(GetMessageRequest.newBuilder().setId(id)
                .build())).toList();
        Map<String, Long> bodies = carried().stream().collect(Collectors.groupingBy(Softphone.Text::body,
                Collectors.counting()));
        assertEquals(messages.stream().collect(Collectors.toMap(Message::getBody, m -> 1L)), bodies,
                "each text reached the carrier exactly once");
        Map<String, Softphone.Text> bySid = carried().stream().collect(Collectors.toMap(Softphone.Text::sid,
                Function.identity()));
        for (Message m : messages) {
            Softphone.Text t = bySid.get(m.getCarrierSid());
            assertEquals(m.getBody(), t == null ? "(no such carrier sid " + m.getCarrierSid() + ")" : t.body(),
                    "message " + m.getId() + " records the sid the carrier gave its text");
        }
        assertEquals(TEXTS, Set.copyOf(messages.stream().map(Message::getCarrierSid).toList()).size());
    }
}
