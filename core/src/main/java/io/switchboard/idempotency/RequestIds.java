package io.switchboard.idempotency;

import static io.switchboard.db.Tables.REQUEST_IDS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import io.switchboard.db.tables.records.RequestIdsRecord;
import io.switchboard.encryption.ContentSeal;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Makes create requests safe to retry (AIP-155). A create that carries a {@link RequestId} runs in one
 * transaction with the row remembering it ({@code request_ids}, one per organisation and id): a retry of the
 * same request within {@link #WINDOW} gets the resource the first attempt made instead of a second one, and
 * the same id with another request is refused. Concurrent attempts with one id take turns on a
 * transaction-scoped advisory lock (waiting outside their transactions), so a later one sees the earlier's row
 * once it commits (or, if it rolled back, creates); the primary key is the backstop. Ids are scoped per organisation, so another organisation's same id is
 * independent. Rows older than the window no longer count: a create that meets one overwrites it, and
 * {@link #sweepExpired()} (run by the worker) deletes them, with any secret sealed in them.
 */
public final class RequestIds {

    /** How long a request id is remembered. */
    public static final Duration WINDOW = Duration.ofHours(24);
    /** How long an attempt waits for another one with the same id to finish before it is refused (ABORTED). */
    static final Duration IN_PROGRESS_WAIT = Duration.ofSeconds(10);
    private static final Duration MAX_PAUSE = Duration.ofMillis(200);

    /**
     * What a create made: its result, the id of the resource a retry reads back, and a secret the answer shows
     * only once ({@code ""} if none), kept sealed for the window so a retry's answer is the same.
     */
    public record Made<T>(T result, UUID resourceId, String secret) {
        public static <T> Made<T> of(T result, UUID resourceId) {
            return new Made<>(result, resourceId, "");
        }
    }

    /** Creates the resource inside the transaction that remembers the request id. */
    @FunctionalInterface
    public interface Create<T> {
        Made<T> create(DSLContext tx);
    }

    /** Reads back, for a retry, what an earlier attempt made ({@code secret} is {@code ""} if it had none). */
    @FunctionalInterface
    public interface Replay<T> {
        T replay(DSLContext tx, UUID resourceId, String secret);
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final ContentSeal seal;

    /** @param seal seals the once-shown secrets of answers (API keys) while they are remembered */
    public RequestIds(DSLContext dsl, Clock clock, ContentSeal seal) {
        this.dsl = dsl;
        this.clock = clock;
        this.seal = seal;
    }

    /** For services whose answers carry no once-shown secret. */
    public RequestIds(DSLContext dsl, Clock clock) {
        this(dsl, clock, null);
    }

    /**
     * Runs {@code create} in a transaction, or, if {@code key} was seen for {@code org} within the window,
     * {@code replay} of what it made.
     *
     * @param resourceType names the kind of resource in the row (a retry must ask for the same kind)
     * @throws SwitchboardException.AlreadyExists naming {@code request_id} if the id was used with another request
     */
    public <T> T once(UUID org, RequestId key, String resourceType, Create<T> create, Replay<T> replay) {
        Optional<UUID> id = key.id();
        if (id.isEmpty()) {
            return dsl.transactionResult(cfg -> create.create(DSL.using(cfg)).result());
        }
        UUID requestId = id.get();
        long deadline = System.nanoTime() + IN_PROGRESS_WAIT.toNanos();
        Duration pause = Duration.ofMillis(5);
        while (true) {
            Optional<T> done = attempt(org, requestId, key, resourceType, create, replay);
            if (done.isPresent()) {
                return done.get();
            }
            if (System.nanoTime() > deadline) {
                throw new SwitchboardException.Aborted("another request with request_id " + requestId
                        + " is still being processed; retry it with the same request_id shortly");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SwitchboardException.Aborted("interrupted while another request with request_id "
                        + requestId + " was being processed");
            }
            pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
        }
    }

    /**
     * One try: empty if another attempt with the id holds its lock. Waiting happens outside the transaction, so
     * attempts queued behind one id hold no pooled connection the running one may need.
     */
    private <T> Optional<T> attempt(UUID org, UUID requestId, RequestId key, String resourceType, Create<T> create,
                                    Replay<T> replay) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            boolean locked = tx.select(DSL.field("pg_try_advisory_xact_lock(hashtextextended({0}, 0))",
                    Boolean.class, "request-id:" + org + ":" + requestId)).fetchOne(0, Boolean.class);
            if (!locked) {
                return Optional.empty();
            }
            Instant now = now();
            Optional<RequestIdsRecord> earlier = tx.selectFrom(REQUEST_IDS).where(REQUEST_IDS.ORGANIZATION_ID.eq(org))
                    .and(REQUEST_IDS.REQUEST_ID.eq(requestId)).and(REQUEST_IDS.CREATED_AT.gt(now.minus(WINDOW)))
                    .fetchOptional();
            if (earlier.isPresent()) {
                RequestIdsRecord r = earlier.get();
                if (!r.getResourceType().equals(resourceType) || !key.sameRequest(r.getRequestSha256())) {
                    throw new SwitchboardException.AlreadyExists("request_id", "request_id " + requestId
                            + " was used within the last " + WINDOW.toHours() + " hours with a different request (it"
                            + " made " + r.getResourceType() + " " + r.getResourceId() + "); a retry must send the"
                            + " same request, a new request needs a new request_id");
                }
                String secret = r.getSealedSecret() == null ? ""
                        : seal.openString(org, place(requestId), r.getSealedSecret());
                return Optional.of(replay.replay(tx, r.getResourceId(), secret));
            }
            Made<T> made = create.create(tx);
            byte[] sealed = null;
            if (!made.secret().isEmpty()) {
                if (seal == null) {
                    throw new IllegalStateException(resourceType + " answers carry a secret but no seal was given");
                }
                sealed = seal.seal(org, place(requestId), made.secret());
            }
            // an expired row of the same id (not yet swept) is taken over
            tx.insertInto(REQUEST_IDS)
                    .set(REQUEST_IDS.ORGANIZATION_ID, org).set(REQUEST_IDS.REQUEST_ID, requestId)
                    .set(REQUEST_IDS.REQUEST_SHA256, key.requestSha256()).set(REQUEST_IDS.RESOURCE_TYPE, resourceType)
                    .set(REQUEST_IDS.RESOURCE_ID, made.resourceId()).set(REQUEST_IDS.SEALED_SECRET, sealed)
                    .set(REQUEST_IDS.CREATED_AT, now)
                    .onConflict(REQUEST_IDS.ORGANIZATION_ID, REQUEST_IDS.REQUEST_ID).doUpdate()
                    .set(REQUEST_IDS.REQUEST_SHA256, key.requestSha256()).set(REQUEST_IDS.RESOURCE_TYPE, resourceType)
                    .set(REQUEST_IDS.RESOURCE_ID, made.resourceId()).set(REQUEST_IDS.SEALED_SECRET, sealed)
                    .set(REQUEST_IDS.CREATED_AT, now)
                    .execute();
            return Optional.of(made.result());
        });
    }

    /** Deletes the rows older than the window; returns how many. */
    public int sweepExpired() {
        return dsl.deleteFrom(REQUEST_IDS).where(REQUEST_IDS.CREATED_AT.le(now().minus(WINDOW))).execute();
    }

    private static String place(UUID requestId) {
        return "request_ids/" + requestId;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
