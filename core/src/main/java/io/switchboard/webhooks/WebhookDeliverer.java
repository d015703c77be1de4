package io.switchboard.webhooks;

import static io.switchboard.db.Tables.WEBHOOK_DELIVERIES;
import static io.switchboard.db.Tables.WEBHOOK_ENDPOINTS;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Sends due webhook deliveries: each POST on a virtual thread of its own with a timeout, at most
 * {@code perEndpoint} in flight per endpoint, so one slow or failing receiver never holds up another. A
 * claimed delivery is leased (its next attempt moved past the timeout), so a worker that dies mid-request
 * leaves it to be sent again; receivers de-duplicate by the {@code Switchboard-Delivery} id. A 2xx answer
 * delivers; anything else is retried after 10 s, 20 s, 40 s ... (at most an hour apart) until a day after
 * the event, then the delivery is marked failed (and can be replayed).
 */
public final class WebhookDeliverer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WebhookDeliverer.class.getName());
    static final Duration GIVE_UP_AFTER = Duration.ofDays(1);
    static final Duration FIRST_RETRY = Duration.ofSeconds(10);
    static final Duration MAX_RETRY = Duration.ofHours(1);

    private final DSLContext dsl;
    private final Clock clock;
    private final Duration timeout;
    private final int perEndpoint;
    private final HttpClient http;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<UUID, Integer> inFlight = new ConcurrentHashMap<>();
    private final Phaser running = new Phaser(1);

    public WebhookDeliverer(DSLContext dsl, Clock clock, Duration timeout, int perEndpoint) {
        this.dsl = dsl;
        this.clock = clock;
        this.timeout = timeout;
        this.perEndpoint = perEndpoint;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).executor(threads).build();
    }

    /** Claims what is due (skipping endpoints already at their limit) and starts sending it; returns how many. */
    public int dispatch() {
        Instant now = now();
        Set<UUID> busy = Set.copyOf(inFlight.entrySet().stream().filter(e -> e.getValue() >= perEndpoint)
                .map(Map.Entry::getKey).toList());
        var claimed = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var ranked = DSL.select(WEBHOOK_DELIVERIES.ID, DSL.rowNumber().over(DSL.partitionBy(
                            WEBHOOK_DELIVERIES.ENDPOINT_ID).orderBy(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT)).as("n"))
                    .from(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.STATE.eq("pending"))
                    .and(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT.le(now))
                    .and(busy.isEmpty() ? DSL.noCondition() : WEBHOOK_DELIVERIES.ENDPOINT_ID.notIn(busy)).asTable("r");
            List<UUID> ids = tx.select(WEBHOOK_DELIVERIES.ID).from(WEBHOOK_DELIVERIES)
                    .where(WEBHOOK_DELIVERIES.ID.in(DSL.select(ranked.field(WEBHOOK_DELIVERIES.ID)).from(ranked)
                            .where(ranked.field("n", Integer.class).le(perEndpoint))))
                    .and(WEBHOOK_DELIVERIES.STATE.eq("pending")).and(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT.le(now))
                    .limit(200).forUpdate().skipLocked().fetch(WEBHOOK_DELIVERIES.ID);
            if (ids.isEmpty()) {
                return List.<Claimed>of();
            }
            // the lease: nobody else takes these until the request has had its time
            tx.update(WEBHOOK_DELIVERIES).set(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT, now.plus(timeout.multipliedBy(3)))
                    .where(WEBHOOK_DELIVERIES.ID.in(ids)).execute();
            return tx.select(WEBHOOK_DELIVERIES.ID, WEBHOOK_DELIVERIES.ENDPOINT_ID, WEBHOOK_DELIVERIES.EVENT_TYPE,
                            WEBHOOK_DELIVERIES.PAYLOAD, WEBHOOK_DELIVERIES.ATTEMPTS, WEBHOOK_DELIVERIES.CREATED_AT,
                            WEBHOOK_ENDPOINTS.URL, WEBHOOK_ENDPOINTS.SECRET)
                    .from(WEBHOOK_DELIVERIES).join(WEBHOOK_ENDPOINTS).on(WEBHOOK_ENDPOINTS.ID.eq(WEBHOOK_DELIVERIES.ENDPOINT_ID))
                    .where(WEBHOOK_DELIVERIES.ID.in(ids))
                    .fetch(r -> new Claimed(r.value1(), r.value2(), r.value3(), r.value4().data(), r.value5(), r.value6(),
                            r.value7(), r.value8()));
        });
        for (Claimed c : claimed) {
            inFlight.merge(c.endpoint(), 1, Integer::sum);
            running.register();
            threads.submit(() -> {
                try {
                    send(c);
                } finally {
                    inFlight.merge(c.endpoint(), -1, (a, b) -> a + b == 0 ? null : a + b);
                    running.arriveAndDeregister();
                }
            });
        }
        return claimed.size();
    }

    /** Waits until every request started so far has finished and its outcome is stored (tests, shutdown). */
    public void awaitIdle() {
        running.arriveAndAwaitAdvance();
    }

    private record Claimed(UUID id, UUID endpoint, String type, String body, int attempts, Instant created, String url,
                           String secret) {
    }

    private void send(Claimed c) {
        byte[] body = c.body().getBytes(StandardCharsets.UTF_8);
        Integer status = null;
        String error = "";
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(c.url())).timeout(timeout)
                    .header("Content-Type", "application/json").header("User-Agent", "Switchboard-Webhooks/1")
                    .header("Switchboard-Delivery", c.id().toString()).header("Switchboard-Event", c.type())
                    .header(WebhookSignature.HEADER, WebhookSignature.header(c.secret(), clock.instant(), body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            HttpResponse<Void> res = http.send(req, HttpResponse.BodyHandlers.discarding());
            status = res.statusCode();
            if (status / 100 != 2) {
                error = "answered " + status;
            }
        } catch (java.io.IOException | IllegalArgumentException e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        record(c, status, error);
    }

    private void record(Claimed c, Integer status, String error) {
        Instant now = now();
        int attempts = c.attempts() + 1;
        try {
            if (error.isEmpty()) {
                dsl.update(WEBHOOK_DELIVERIES).set(WEBHOOK_DELIVERIES.STATE, "delivered")
                        .set(WEBHOOK_DELIVERIES.ATTEMPTS, attempts).set(WEBHOOK_DELIVERIES.LAST_STATUS, status)
                        .set(WEBHOOK_DELIVERIES.LAST_ERROR, "").set(WEBHOOK_DELIVERIES.DELIVERED_AT, now)
                        .setNull(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT).where(WEBHOOK_DELIVERIES.ID.eq(c.id())).execute();
                return;
            }
            Instant next = now.plus(retryDelay(attempts));
            boolean giveUp = next.isAfter(c.created().plus(GIVE_UP_AFTER));
            dsl.update(WEBHOOK_DELIVERIES).set(WEBHOOK_DELIVERIES.STATE, giveUp ? "failed" : "pending")
                    .set(WEBHOOK_DELIVERIES.ATTEMPTS, attempts).set(WEBHOOK_DELIVERIES.LAST_STATUS, status)
                    .set(WEBHOOK_DELIVERIES.LAST_ERROR, error.length() > 1000 ? error.substring(0, 1000) : error)
                    .set(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT, giveUp ? null : next)
                    .where(WEBHOOK_DELIVERIES.ID.eq(c.id())).execute();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not record the outcome of webhook delivery " + c.id()
                    + "; its lease runs out and it is sent again", e);
        }
    }

    /** 10 s after the first failure, doubling, at most an hour. */
    static Duration retryDelay(int attempts) {
        Duration d = FIRST_RETRY.multipliedBy(1L << Math.min(attempts - 1, 20));
        return d.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : d;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
