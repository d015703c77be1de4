package io.switchboard.webhooks;

import static io.switchboard.db.Tables.WEBHOOK_DELIVERIES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhooks against real HTTP receivers on loopback (the JDK's server): signatures, retries with backoff on an
 * injected clock, exactly-once success per delivery id, isolation of a slow receiver, giving up and replay.
 */
class WebhooksTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    private Fixtures f;
    private DSLContext dsl;
    private CallService calls;
    private io.switchboard.storage.ObjectStore store;
    private WebhookDeliverer deliverer;
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        dsl = f.plane.database().dsl();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        deliverer = new WebhookDeliverer(dsl, clock, Duration.ofSeconds(10), 2);
    }

    @AfterEach
    void tearDown() {
        deliverer.close();
        servers.forEach(s -> s.stop(0));
    }

    /** A receiver that answers each request with the status {@code answer} gives and records what it was sent. */
    private record Receiver(String url, List<Map<String, String>> requests, Map<String, AtomicInteger> successes) {
    }

    private Receiver receiver(String secret, IntSupplier answer, CountDownLatch gate) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> successes = new ConcurrentHashMap<>();
        String[] secretHolder = {secret};
        server.createContext("/hook", ex -> {
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = ex.getRequestBody().readAllBytes();
            String id = ex.getRequestHeaders().getFirst("Switchboard-Delivery");
            boolean signed = secretHolder[0] == null || WebhookSignature.verify(secretHolder[0],
                    ex.getRequestHeaders().getFirst(WebhookSignature.HEADER), body, clock.instant(), Duration.ofMinutes(5));
            int status = signed ? answer.getAsInt() : 401;
            requests.add(Map.of("id", id, "event", ex.getRequestHeaders().getFirst("Switchboard-Event"),
                    "body", new String(body, StandardCharsets.UTF_8), "status", Integer.toString(status)));
            if (status / 100 == 2) {
                successes.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
        servers.add(server);
        return new Receiver("http://127.0.0.1:" + server.getAddress().getPort() + "/hook", requests, successes);
    }

    private Call callStartedAndEnded(Fixtures.Tenant t) {
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        Call c = calls.open(t.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "+14155550123", "+14155550100",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        return calls.end(t.owner().organizationId(), c.id(), Call.State.ENDED, "hangup");
    }

    private String state(String deliveryId) {
        return dsl.select(WEBHOOK_DELIVERIES.STATE).from(WEBHOOK_DELIVERIES)
                .where(WEBHOOK_DELIVERIES.ID.eq(java.util.UUID.fromString(deliveryId))).fetchSingle().value1();
    }

    private void deliverNow() {
        deliverer.dispatch();
        deliverer.awaitIdle();
    }

    @Test
    void signaturesMatchAnIndependentlyComputedVectorAndRejectTamperingAndReplays() {
        String secret = "whsec_test_secret_0123456789abcdefghij";
        byte[] body = "{\"id\":\"evt_1\",\"type\":\"call.completed\"}".getBytes(StandardCharsets.UTF_8);
        Instant t = Instant.ofEpochSecond(1_700_000_000L);
        // printf '%s' '1700000000.{"id":"evt_1","type":"call.completed"}' | openssl dgst -sha256 -hmac '<secret>'
        String header = "t=1700000000,v1=6139c8c318210bae487aaaa4f17e1ccdd1e7d455b8f39140ace1ec82c105bf0b";
        assertEquals(header, WebhookSignature.header(secret, t, body));
        Duration tolerance = Duration.ofMinutes(5);
        assertTrue(WebhookSignature.verify(secret, header, body, t.plusSeconds(299), tolerance));
        assertFalse(WebhookSignature.verify(secret, header, body, t.plusSeconds(301), tolerance), "a replay later on");
        assertFalse(WebhookSignature.verify(secret, header, "{\"id\":\"evt_2\"}".getBytes(StandardCharsets.UTF_8), t,
                tolerance), "another body");
        assertFalse(WebhookSignature.verify("whsec_other", header, body, t, tolerance), "another secret");
        assertFalse(WebhookSignature.verify(secret, header.replace("t=1700000000", "t=1700000001"), body,
                t, tolerance), "a moved timestamp");
        for (String junk : new String[] {null, "", "v1=zz", "t=x,v1=00", "t=1700000000"}) {
            assertFalse(WebhookSignature.verify(secret, junk, body, t, tolerance), String.valueOf(junk));
        }
    }

    @Test
    void endpointsAreValidatedAndBelongToTheirOrganisation() {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        Fixtures.Tenant globex = f.tenant("Globex", "growth");
        Webhooks hooks = f.plane.webhooks();
        var bad = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> hooks.create(acme.owner(), "ftp://example.com/x", List.of("call.started", "call.exploded"), ""));
        assertEquals(Set.of("url", "events[1]"), bad.violations().stream().map(SwitchboardException.Violation::field)
                .collect(Collectors.toSet()));
        assertThrows(SwitchboardException.InvalidArgument.class,
                () -> hooks.create(acme.owner(), "https://example.com/x", List.of(), ""));
        var created = hooks.create(acme.owner(), "https://example.com/hooks", List.of("call.completed"), "CRM");
        assertTrue(created.secret().startsWith("whsec_") && created.secret().length() > 40);
        String id = created.endpoint().id().toString();
        assertThrows(SwitchboardException.NotFound.class, () -> hooks.delete(globex.owner(), id));
        assertThrows(SwitchboardException.NotFound.class, () -> hooks.deliveries(globex.owner(), id, 10));
        assertTrue(hooks.list(globex.owner(), 0, "").items().isEmpty());
        callStartedAndEnded(globex);
        assertEquals(0, dsl.fetchCount(WEBHOOK_DELIVERIES), "globex's call raises nothing at acme's endpoint");
        Call c = callStartedAndEnded(acme);
        var d = hooks.deliveries(acme.owner(), id, 10);
        assertEquals(1, d.size(), "subscribed to call.completed only");
        assertThrows(SwitchboardException.NotFound.class, () -> hooks.replay(globex.owner(), d.getFirst().id().toString()));
        assertTrue(d.getFirst().payload().contains(c.id().toString()));
    }

    @Test
    void aReceiverThatFailsThenRecoversGetsEveryEventExactlyOncePerDeliveryId() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        AtomicInteger calls500 = new AtomicInteger();
        var created = f.plane.webhooks().create(acme.owner(), "http://placeholder/hook", List.of("call.started",
                "call.completed"), "");
        Receiver r = receiver(created.secret(), () -> calls500.incrementAndGet() <= 3 ? 500 : 204, new CountDownLatch(0));
        dsl.execute("update webhook_endpoints set url = ? where id = ?", r.url(), created.endpoint().id());
        Call c = callStartedAndEnded(acme);

        deliverNow(); // both fail (500, 500)
        assertEquals(2, r.requests().size());
        deliverNow();
        assertEquals(2, r.requests().size(), "nothing is due before its backoff");
        clock.advance(Duration.ofSeconds(10));
        deliverNow(); // one fails (third 500), one succeeds
        clock.advance(Duration.ofSeconds(20));
        deliverNow();
        clock.advance(Duration.ofMinutes(5));
        deliverNow();
        assertEquals(2, r.successes().size(), "both deliveries arrived");
        assertTrue(r.successes().values().stream().allMatch(n -> n.get() == 1), "each exactly once: " + r.successes());
        assertEquals(5, r.requests().size(), "3 failures and 2 successes, no more");
        Set<String> events = r.requests().stream().filter(m -> m.get("status").equals("204")).map(m -> m.get("event"))
                .collect(Collectors.toSet());
        assertEquals(Set.of("call.started", "call.completed"), events);
        JsonNode completed = Webhooks.JSON.readTree(r.requests().stream().filter(m -> m.get("event").equals(
                "call.completed")).findFirst().orElseThrow().get("body"));
        assertEquals(c.id().toString(), completed.get("data").get("call_id").asText());
        assertEquals("ended", completed.get("data").get("state").asText());
        var stored = f.plane.webhooks().deliveries(acme.owner(), created.endpoint().id().toString(), 10);
        assertTrue(stored.stream().allMatch(d -> d.state() == WebhookDelivery.State.DELIVERED && d.lastStatus()
                .orElse(0) == 204));
        assertEquals(5, stored.stream().mapToInt(WebhookDelivery::attempts).sum());
    }

    @Test
    void aSlowReceiverHoldsUpNoOtherEndpoint() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        CountDownLatch slowGate = new CountDownLatch(1);
        Receiver slow = receiver(null, () -> 200, slowGate);
        Receiver fast = receiver(null, () -> 200, new CountDownLatch(0));
        f.plane.webhooks().create(acme.owner(), slow.url(), List.of("call.completed"), "slow");
        var fastEndpoint = f.plane.webhooks().create(acme.owner(), fast.url(), List.of("call.completed"), "fast");
        callStartedAndEnded(acme);
        deliverer.dispatch();
        String fastDelivery = f.plane.webhooks().deliveries(acme.owner(), fastEndpoint.endpoint().id().toString(), 1)
                .getFirst().id().toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!state(fastDelivery).equals("delivered") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("delivered", state(fastDelivery), "delivered while the slow receiver still holds its request");
        assertTrue(slow.requests().isEmpty(), "the slow receiver has not answered yet");
        slowGate.countDown();
        deliverer.awaitIdle();
        assertEquals(1, slow.successes().size());
    }

    @Test
    void aDeliveryIsGivenUpAfterADayAndCanBeReplayed() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        AtomicInteger status = new AtomicInteger(503);
        Receiver r = receiver(null, status::get, new CountDownLatch(0));
        var ep = f.plane.webhooks().create(acme.owner(), r.url(), List.of("call.completed"), "");
        callStartedAndEnded(acme);
        for (int i = 0; i < 40; i++) {
            deliverNow();
            clock.advance(Duration.ofHours(1));
        }
        WebhookDelivery d = f.plane.webhooks().deliveries(acme.owner(), ep.endpoint().id().toString(), 1).getFirst();
        assertEquals(WebhookDelivery.State.FAILED, d.state());
        assertTrue(d.attempts() >= 10 && d.attempts() < 40, "retries with backoff, then stops: " + d.attempts());
        assertEquals("answered 503", d.lastError());
        int tried = r.requests().size();
        deliverNow();
        assertEquals(tried, r.requests().size(), "a failed delivery is not sent again by itself");

        status.set(200);
        f.plane.webhooks().replay(acme.owner(), d.id().toString());
        deliverNow();
        assertEquals(1, r.successes().get(d.id().toString()).get(), "replayed with the same delivery id");
        assertEquals("delivered", state(d.id().toString()));
    }

    @Test
    void retentionDeletionsAreAnnouncedWithIdsOnly() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth"); // summaries kept 90 days
        var ep = f.plane.webhooks().create(acme.owner(), "https://hooks.example/retention", List.of("retention.deleted"), "");
        Call c = callStartedAndEnded(acme);
        calls.saveSummary(acme.owner().organizationId(), c.id(), new io.switchboard.calls.CallSummary(
                java.util.Optional.of("the caller wants a refund"), Map.of(), java.util.Optional.empty(), "in-process",
                Map.of()));
        clock.advance(Duration.ofDays(90));
        new io.switchboard.retention.RetentionSweeper(dsl, clock, new io.switchboard.recordings.RecordingStore(store), f.plane.auditLog(),
                f.plane.plans(), f.plane.webhooks(), 50).sweepAll();
        var sent = f.plane.webhooks().deliveries(acme.owner(), ep.endpoint().id().toString(), 50).stream()
                .map(d -> {
                    try {
                        return Webhooks.JSON.readTree(d.payload()).get("data");
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }).filter(d -> d.get("data_class").asText().equals("summaries")).toList();
        assertEquals(1, sent.size());
        assertEquals(c.id().toString(), sent.getFirst().get("resources").get(0).get("id").asText());
        assertFalse(sent.getFirst().toString().contains("refund"), "ids, never content");
    }

    @Test
    void transcriptReadyFollowsTheTranscribeStageOnceWhicheverPathCompletesIt() {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        var ep = f.plane.webhooks().create(acme.owner(), "https://hooks.example/t", List.of("transcript.ready"), "");
        var org = acme.owner().organizationId();
        Call live = callStartedAndEnded(acme);
        calls.setStage(org, live.id(), CallService.TRANSCRIBE_STAGE, "succeeded", "live, by pocketsphinx");
        calls.setStage(org, live.id(), CallService.TRANSCRIBE_STAGE, "succeeded", "again");
        Call uploaded = callStartedAndEnded(acme);
        calls.setStage(org, uploaded.id(), CallService.TRANSCRIBE_STAGE, "running", "attempt 1");
        calls.setStage(org, uploaded.id(), CallService.TRANSCRIBE_STAGE, "failed", "decoder crashed");
        assertTrue(f.plane.webhooks().deliveries(acme.owner(), ep.endpoint().id().toString(), 10).stream()
                .noneMatch(d -> d.payload().contains(uploaded.id().toString())), "not before it completes");
        calls.setStage(org, uploaded.id(), CallService.TRANSCRIBE_STAGE, "succeeded", "from the recording");
        var sent = f.plane.webhooks().deliveries(acme.owner(), ep.endpoint().id().toString(), 10);
        assertEquals(2, sent.size(), "one per call: the live one and the transcribed one");
        assertEquals(Set.of(live.id().toString(), uploaded.id().toString()), sent.stream().map(d -> {
            try {
                return Webhooks.JSON.readTree(d.payload()).get("data").get("call_id").asText();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).collect(Collectors.toSet()));
    }

    /**
     * Deliveries run in parallel, so a call's events can arrive in any order (summary.ready was seen before
     * call.completed). Each carries the call's sequence number, assigned when the event was raised: sorting by
     * it gives the order the events happened in, however the deliveries raced.
     */
    @Test
    void aCallsEventsCarryItsSequenceSoAReceiverCanOrderParallelDeliveries() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        UUID org = acme.owner().organizationId();
        var created = f.plane.webhooks().create(acme.owner(), "http://placeholder/hook", List.of("call.started",
                "call.completed", "transcript.ready", "summary.ready"), "");
        // the receiver holds call.started until the three later events have arrived
        CountDownLatch othersArrived = new CountDownLatch(3);
        List<String> arrivals = new CopyOnWriteArrayList<>();
        Map<String, Long> sequences = new ConcurrentHashMap<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/hook", ex -> {
            String event = ex.getRequestHeaders().getFirst("Switchboard-Event");
            byte[] body = ex.getRequestBody().readAllBytes();
            try {
                if (event.equals("call.started")) {
                    othersArrived.await(30, TimeUnit.SECONDS);
                } else {
                    othersArrived.countDown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            arrivals.add(event);
            sequences.put(event, Webhooks.JSON.readTree(body).get("sequence").asLong());
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        servers.add(server);
        dsl.execute("update webhook_endpoints set url = ? where id = ?",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/hook", created.endpoint().id());

        Call c = callStartedAndEnded(acme);
        calls.setStage(org, c.id(), CallService.TRANSCRIBE_STAGE, "succeeded", "live");
        calls.saveSummary(org, c.id(), new io.switchboard.calls.CallSummary(java.util.Optional.of("a summary"), Map.of(),
                java.util.Optional.empty(), "in-process", Map.of()));

        try (WebhookDeliverer parallel = new WebhookDeliverer(dsl, clock, Duration.ofSeconds(10), 4)) {
            parallel.dispatch();
            parallel.awaitIdle();
        }
        assertEquals("call.started", arrivals.getLast(), "delivered in parallel, the first event arrived last");
        List<String> raised = List.of("call.started", "call.completed", "transcript.ready", "summary.ready");
        assertEquals(Set.copyOf(raised), Set.copyOf(arrivals));
        assertEquals(raised, arrivals.stream().sorted(java.util.Comparator.comparing(sequences::get)).toList(),
                "ordered by sequence: the order they were raised in");
        assertEquals(List.of(1L, 2L, 3L, 4L), raised.stream().map(sequences::get).toList());

        // events of one call raised at once, in transactions of their own: distinct numbers, none skipped
        int racing = 8;
        CountDownLatch start = new CountDownLatch(1);
        List<java.util.concurrent.Future<UUID>> raisedAtOnce = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(racing)) {
            for (int i = 0; i < racing; i++) {
                raisedAtOnce.add(pool.submit(() -> {
                    start.await();
                    return dsl.transactionResult(cfg -> f.plane.webhooks().emitForCall(DSL.using(cfg), org,
                            c.id(), WebhookEvent.TRANSCRIPT_READY, Webhooks.JSON.createObjectNode()
                                    .put("call_id", c.id().toString())));
                }));
            }
            start.countDown();
            for (var r : raisedAtOnce) {
                r.get(30, TimeUnit.SECONDS);
            }
        }
        List<Long> numbers = dsl.select(WEBHOOK_DELIVERIES.PAYLOAD).from(WEBHOOK_DELIVERIES)
                .where(WEBHOOK_DELIVERIES.ORGANIZATION_ID.eq(org)).fetch(r -> {
                    try {
                        return Webhooks.JSON.readTree(r.value1().data()).get("sequence").asLong();
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }).stream().sorted().toList();
        assertEquals(java.util.stream.LongStream.rangeClosed(1, 4 + racing).boxed().toList(), numbers);
    }

    @Test
    void eventsOfNoCallCarryNoSequence() throws Exception {
        Fixtures.Tenant acme = f.tenant("Acme", "growth");
        f.plane.webhooks().create(acme.owner(), "https://hooks.example/c", List.of("campaign.completed"), "");
        f.plane.webhooks().emit(acme.owner().organizationId(), WebhookEvent.CAMPAIGN_COMPLETED,
                Webhooks.JSON.createObjectNode().put("campaign_id", UUID.randomUUID().toString()));
        String payload = dsl.select(WEBHOOK_DELIVERIES.PAYLOAD).from(WEBHOOK_DELIVERIES).fetchSingle().value1().data();
        assertFalse(Webhooks.JSON.readTree(payload).has("sequence"));
    }
}
