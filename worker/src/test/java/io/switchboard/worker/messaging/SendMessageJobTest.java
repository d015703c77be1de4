package io.switchboard.worker.messaging;

import static io.switchboard.db.Tables.MESSAGES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.common.SwitchboardException;
import io.switchboard.messaging.Message;
import io.switchboard.messaging.MessageCarrier;
import io.switchboard.messaging.MessagingService;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.queue.Job;
import io.switchboard.queue.JobContext;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.usage.UsageService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox's consumer against a carrier speaking Twilio's Messages API on a loopback port (the boundary we
 * cannot reach), over real PostgreSQL: once sent, never twice, nothing lost to an outage or a lost answer.
 */
class SendMessageJobTest {

    private static final String ACCOUNT = "AC" + "0".repeat(32);
    private static final String TOKEN = "secret-token";
    private static final Instant NOON = ZonedDateTime.of(2026, 12, 7, 12, 0, 0, 0, ZoneId.of("America/New_York")).toInstant();

    /** Twilio's Messages resource: creates on POST (no idempotency, as at Twilio), lists on GET. */
    static final class FakeCarrier implements AutoCloseable {
        enum Mode { NORMAL, DOWN, LOSE_ANSWER }

        final HttpServer http;
        final List<Map<String, List<String>>> created = new CopyOnWriteArrayList<>();
        final List<String> idempotencyKeys = new CopyOnWriteArrayList<>();
        final Set<String> stopped = ConcurrentHashMap.newKeySet();
        final AtomicReference<Mode> mode = new AtomicReference<>(Mode.NORMAL);
        final AtomicInteger sids = new AtomicInteger();
        private final ObjectMapper json = new ObjectMapper();

        private final java.time.Clock clock;

        /** @param clock the carrier's clock (in sync with ours, as NTP keeps real ones) */
        FakeCarrier(java.time.Clock clock) throws IOException {
            this.clock = clock;
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json", this::messages);
            http.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
        }

        private void messages(HttpExchange ex) throws IOException {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (!("Basic " + Base64.getEncoder().encodeToString((ACCOUNT + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)))
                    .equals(auth)) {
                send(ex, 401, json.createObjectNode().put("code", 20003).put("message", "Authenticate"));
                return;
            }
            if (mode.get() == Mode.DOWN) {
                send(ex, 503, json.createObjectNode().put("code", 20500).put("message", "Internal Server Error"));
                return;
            }
            if (ex.getRequestMethod().equals("GET")) {
                Map<String, List<String>> q = FormEncoding.parse(ex.getRequestURI().getRawQuery());
                ObjectNode page = json.createObjectNode();
                ArrayNode list = page.putArray("messages");
                for (Map<String, List<String>> m : created) {
                    if (FormEncoding.first(m, "To").equals(FormEncoding.first(q, "To"))
                            && FormEncoding.first(m, "From").equals(FormEncoding.first(q, "From"))) {
                        list.add(json.createObjectNode().put("sid", FormEncoding.first(m, "sid"))
                                .put("body", FormEncoding.first(m, "Body")).put("status", "sent")
                                .put("date_created", FormEncoding.first(m, "date_created")));
                    }
                }
                send(ex, 200, page);
                return;
            }
            Map<String, List<String>> form = new java.util.LinkedHashMap<>(FormEncoding.parse(
                    new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            if (stopped.contains(FormEncoding.first(form, "To"))) {
                send(ex, 400, json.createObjectNode().put("code", 21610)
                        .put("message", "Attempt to send to unsubscribed recipient"));
                return;
            }
            String sid = String.format("SM%032d", sids.incrementAndGet());
            form.put("sid", List.of(sid));
            form.put("date_created", List.of(DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    ZonedDateTime.now(clock.withZone(ZoneOffset.UTC)))));
            created.add(form);
            idempotencyKeys.add(ex.getRequestHeaders().getFirst(TwilioMessaging.IDEMPOTENCY_HEADER));
            if (mode.get() == Mode.LOSE_ANSWER) {
                ex.close(); // the message exists at the carrier, but its answer never reaches us
                return;
            }
            send(ex, 201, json.createObjectNode().put("sid", sid).put("status", "queued")
                    .put("to", FormEncoding.first(form, "To")).put("num_segments", "1"));
        }

        private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
            byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    private MutableClock clock;
    private Fixtures f;
    private MessagingService messaging;
    private FakeCarrier carrier;
    private SendMessageJob job;
    private Fixtures.Tenant acme;

    @BeforeEach
    void setUp() throws IOException {
        clock = new MutableClock(NOON);
        f = Fixtures.fresh(clock);
        messaging = f.plane.messaging();
        carrier = new FakeCarrier(clock);
        job = new SendMessageJob(messaging, new TwilioMessaging(settings(carrier.url())), clock, Duration.ZERO);
        acme = f.tenant("Acme", "growth");
        messaging.addSender(acme.owner(), "+14155550100");
    }

    @AfterEach
    void tearDown() {
        carrier.close();
    }

    private static TwilioTelephony.Settings settings(URI api) {
        return new TwilioTelephony.Settings(api, ACCOUNT, TOKEN, URI.create("https://switchboard.example"),
                Duration.ofSeconds(30));
    }

    private Message send(String to, String body) {
        return messaging.send(acme.owner(), new MessagingService.SendRequest("", to, "+14155550100", body, "", "", "",
                Map.of()));
    }

    /** Claims the message's job and runs the handler once, as a worker would. */
    private void run(Message m) throws Exception {
        run(m, job);
    }

    private void run(Message m, SendMessageJob handler) throws Exception {
        Job j = f.plane.jobs().find(MessagingService.SEND_JOB, m.id().toString()).orElseThrow();
        handler.handle(new JobContext(j));
    }

    private Message reload(Message m) {
        return messaging.get(acme.owner(), m.id().toString());
    }

    @Test
    void aQueuedTextIsPostedOnceInTwiliosWireFormatAndMetered() throws Exception {
        Message m = send("+12125550123", "Your table is ready");
        run(m);
        assertEquals(1, carrier.created.size());
        Map<String, List<String>> form = carrier.created.getFirst();
        assertEquals("+12125550123", FormEncoding.first(form, "To"));
        assertEquals("+14155550100", FormEncoding.first(form, "From"));
        assertEquals("Your table is ready", FormEncoding.first(form, "Body"));
        assertEquals("https://switchboard.example/messaging/twilio/status?message_id=" + m.id(),
                FormEncoding.first(form, "StatusCallback"));
        assertEquals(List.of(m.id().toString()), carrier.idempotencyKeys);
        Message sent = reload(m);
        assertEquals(Optional.of(FormEncoding.first(form, "sid")), sent.carrierSid());
        assertEquals(Message.Status.SENDING, sent.status(), "with the carrier, waiting for its callbacks");

        run(m); // the job runs again (its worker died before recording success)
        assertEquals(1, carrier.created.size(), "a message with the carrier's id is never sent again");
        UsageService.Totals usage = f.plane.usage().report(acme.owner(), Optional.of(NOON.minusSeconds(60)),
                Optional.of(NOON.plusSeconds(60)), UsageService.Granularity.DAY).totals();
        assertEquals(1, usage.smsSegments());
    }

    @Test
    void anAnswerLostAfterTheCarrierTookTheTextIsFoundNotSentAgain() throws Exception {
        Message m = send("+12125550123", "only once");
        carrier.mode.set(FakeCarrier.Mode.LOSE_ANSWER);
        var e = assertThrows(MessageCarrier.CarrierException.class, () -> run(m));
        assertEquals(MessageCarrier.CarrierException.Failure.UNCERTAIN, e.failure());
        assertEquals(Message.Status.SENDING, reload(m).status());
        assertTrue(reload(m).carrierSid().isEmpty(), "we never heard the carrier's id");

        carrier.mode.set(FakeCarrier.Mode.NORMAL);
        run(m); // the retry
        assertEquals(1, carrier.created.size(), "the retry looked the message up instead of sending it again");
        assertEquals(Optional.of(FormEncoding.first(carrier.created.getFirst(), "sid")), reload(m).carrierSid());
    }

    @Test
    void aCarrierOutageLosesNothingAndSendsOnceItIsBack() throws Exception {
        Message m = send("+12125550123", "after the outage");
        carrier.mode.set(FakeCarrier.Mode.DOWN);
        assertEquals(MessageCarrier.CarrierException.Failure.UNREACHABLE,
                assertThrows(MessageCarrier.CarrierException.class, () -> run(m)).failure());
        assertEquals(Message.Status.QUEUED, reload(m).status(), "a 5xx created nothing: queued again");

        SendMessageJob unreachable = new SendMessageJob(messaging, new TwilioMessaging(settings(
                URI.create("http://127.0.0.1:9"))), clock, Duration.ZERO);
        assertEquals(MessageCarrier.CarrierException.Failure.UNREACHABLE,
                assertThrows(MessageCarrier.CarrierException.class, () -> run(m, unreachable)).failure());
        assertEquals(Message.Status.QUEUED, reload(m).status());
        assertEquals(0, carrier.created.size());

        carrier.mode.set(FakeCarrier.Mode.NORMAL);
        run(m);
        run(m);
        assertEquals(1, carrier.created.size());
        assertTrue(reload(m).carrierSid().isPresent());
    }

    @Test
    void error21610FailsTheTextWithoutRetryAndOptsTheNumberOut() throws Exception {
        carrier.stopped.add("+12125550177");
        Message m = send("+12125550177", "hello?");
        run(m); // returns: a refusal is final, not retried
        Message failed = reload(m);
        assertEquals(Message.Status.FAILED, failed.status());
        assertEquals("21610", failed.errorCode());
        assertTrue(messaging.optedOut(acme.owner().organizationId(), "+12125550177"));
        var refused = assertThrows(SwitchboardException.FailedPrecondition.class, () -> send("+12125550177", "again"));
        assertEquals("OPTED_OUT", refused.type());
    }

    @Test
    void aTextQueuedBeforeAStopNeverReachesTheCarrierButTheConfirmationDoes() throws Exception {
        Message m = send("+12125550123", "queued earlier");
        MessagingService.Received stop = messaging.receive("SM" + "1".repeat(32), "+12125550123", "+14155550100", "STOP");
        run(m);
        assertEquals(Message.Status.FAILED, reload(m).status());
        assertEquals(0, carrier.created.size());
        run(messaging.get(acme.owner(), stop.replyId().orElseThrow().toString()));
        assertEquals(1, carrier.created.size());
        assertTrue(FormEncoding.first(carrier.created.getFirst(), "Body").contains("unsubscribed"));
    }

    @Test
    void sendsFromOneSenderArePacedBySlotsSharedThroughTheDatabase() {
        Duration every = Duration.ofSeconds(1);
        Instant first = messaging.reserveSlot("+14155550100", every, Duration.ofSeconds(2)).orElseThrow();
        Instant second = messaging.reserveSlot("+14155550100", every, Duration.ofSeconds(2)).orElseThrow();
        Instant third = messaging.reserveSlot("+14155550100", every, Duration.ofSeconds(2)).orElseThrow();
        assertEquals(List.of(NOON, NOON.plusSeconds(1), NOON.plusSeconds(2)), List.of(first, second, third));
        assertTrue(messaging.reserveSlot("+14155550100", every, Duration.ofSeconds(2)).isEmpty(),
                "the next slot is 3 s away: the job is handed back");
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Optional.of(clock.instant()), messaging.reserveSlot("+14155550100", every, Duration.ofSeconds(2)),
                "an idle sender sends at once");
    }

    @Test
    void aTextWhoseSenderIsAtItsPaceIsHandedBackWithoutSpendingAnAttempt() throws Exception {
        SendMessageJob paced = new SendMessageJob(messaging, new TwilioMessaging(settings(carrier.url())), clock,
                Duration.ofMinutes(1));
        Message first = send("+12125550123", "one");
        Message second = send("+12125550124", "two");
        run(first, paced);
        var deferred = assertThrows(JobContext.Deferred.class, () -> run(second, paced));
        assertEquals(clock.instant().plus(SendMessageJob.MAX_PACING_WAIT), deferred.runAt());
        assertEquals(1, carrier.created.size());
        assertEquals(Message.Status.QUEUED, reload(second).status(), "nothing was handed over");
    }

    @Test
    void aMessageErasedBeforeItWentOutIsNotSent() throws Exception {
        Message m = send("+12125550123", "gone");
        f.plane.database().dsl().deleteFrom(MESSAGES).where(MESSAGES.ID.eq(m.id())).execute();
        run(m);
        assertEquals(0, carrier.created.size());
    }
}
