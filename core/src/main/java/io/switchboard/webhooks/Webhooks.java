package io.switchboard.webhooks;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.WEBHOOK_DELIVERIES;
import static io.switchboard.db.Tables.WEBHOOK_ENDPOINTS;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.tables.records.WebhookDeliveriesRecord;
import io.switchboard.db.tables.records.WebhookEndpointsRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Webhook endpoints (admins) and the events they receive. {@link #emit} is called inside the transaction of
 * the change that raised the event, so a delivery exists exactly when the change committed; the
 * {@link WebhookDeliverer} in the workers sends it.
 */
public final class Webhooks {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;
    private final RequestIds requestIds;

    public Webhooks(DSLContext dsl, Clock clock, AuditSink audit, RequestIds requestIds) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
        this.requestIds = requestIds;
    }

    /** For parts that only emit events and never register endpoints. */
    public Webhooks(DSLContext dsl, Clock clock, AuditSink audit) {
        this(dsl, clock, audit, new RequestIds(dsl, clock));
    }

    public WebhookEndpoint.Created create(Principal actor, String url, List<String> eventTypes, String description) {
        return create(actor, url, eventTypes, description, RequestId.NONE);
    }

    /**
     * Registers an endpoint; a retry with the same {@code requestId} gets the endpoint (and signing secret) the
     * first attempt made.
     */
    public WebhookEndpoint.Created create(Principal actor, String url, List<String> eventTypes, String description,
                                         RequestId requestId) {
        actor.require(Role.ADMIN, "registering webhooks");
        Violations v = new Violations().maxLength("description", description, 500);
        validateUrl(v, url);
        List<WebhookEvent> events = new ArrayList<>();
        if (eventTypes.isEmpty()) {
            v.add("events", "name at least one event: " + String.join(", ", known()));
        }
        for (int i = 0; i < eventTypes.size(); i++) {
            int at = i;
            WebhookEvent.of(eventTypes.get(i)).ifPresentOrElse(events::add,
                    () -> v.add("events[" + at + "]", "unknown event '" + eventTypes.get(at) + "'; known: "
                            + String.join(", ", known())));
        }
        v.throwIfAny();
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String secret = "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = now();
        return requestIds.once(actor.organizationId(), requestId, "webhook_endpoint", tx -> {
            WebhookEndpointsRecord r = tx.newRecord(WEBHOOK_ENDPOINTS).setId(Ids.newId())
                    .setOrganizationId(actor.organizationId()).setUrl(url.strip())
                    .setEvents(new LinkedHashSet<>(events).stream().map(WebhookEvent::type).toArray(String[]::new))
                    .setSecret(secret).setDescription(description == null ? "" : description.strip()).setCreatedAt(now);
            r.store();
            audit.record(tx, AuditEvent.of(actor, "webhook.create", "webhook_endpoint", r.getId(),
                    Map.of("url", r.getUrl(), "events", String.join(",", r.getEvents())), now));
            return RequestIds.Made.of(new WebhookEndpoint.Created(toDomain(r), secret), r.getId());
        }, (tx, id, ignored) -> {
            WebhookEndpointsRecord r = endpoint(tx, actor, id);
            return new WebhookEndpoint.Created(toDomain(r), r.getSecret());
        });
    }

    public Page<WebhookEndpoint> list(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.ADMIN, "listing webhooks");
        PageRequest page = PageRequest.of(pageSize, pageToken, "webhook_endpoints");
        return Keyset.page(dsl, WEBHOOK_ENDPOINTS, WEBHOOK_ENDPOINTS.ORGANIZATION_ID.eq(actor.organizationId())
                        .and(WEBHOOK_ENDPOINTS.DELETED_AT.isNull()), WEBHOOK_ENDPOINTS.CREATED_AT, WEBHOOK_ENDPOINTS.ID,
                page, "webhook_endpoints", Webhooks::toDomain, e -> new PageRequest.Cursor(e.createdAt(), e.id()));
    }

    /** Stops deliveries to the endpoint; pending ones are marked failed. Its delivery history stays. */
    public void delete(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting webhooks");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            endpoint(tx, actor, id);
            tx.update(WEBHOOK_ENDPOINTS).set(WEBHOOK_ENDPOINTS.DELETED_AT, now).where(WEBHOOK_ENDPOINTS.ID.eq(id)).execute();
            tx.update(WEBHOOK_DELIVERIES).set(WEBHOOK_DELIVERIES.STATE, "failed")
                    .set(WEBHOOK_DELIVERIES.LAST_ERROR, "the endpoint was deleted").setNull(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT)
                    .where(WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(id)).and(WEBHOOK_DELIVERIES.STATE.eq("pending")).execute();
            audit.record(tx, AuditEvent.of(actor, "webhook.delete", "webhook_endpoint", id, Map.of(), now));
        });
    }

    /** An endpoint's deliveries, newest first. */
    public List<WebhookDelivery> deliveries(Principal actor, String endpointIdText, int limit) {
        actor.require(Role.ADMIN, "reading webhook deliveries");
        UUID id = Ids.parse("endpoint_id", endpointIdText);
        endpoint(dsl, actor, id);
        int n = limit <= 0 ? 50 : Math.min(limit, 1000);
        return dsl.selectFrom(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(id))
                .and(WEBHOOK_DELIVERIES.ORGANIZATION_ID.eq(actor.organizationId()))
                .orderBy(WEBHOOK_DELIVERIES.CREATED_AT.desc(), WEBHOOK_DELIVERIES.ID.desc()).limit(n)
                .fetch(Webhooks::toDomain);
    }

    /** Sends a delivery again (same id and body, so receivers can tell), whatever its state. */
    public WebhookDelivery replay(Principal actor, String deliveryIdText) {
        actor.require(Role.ADMIN, "replaying webhook deliveries");
        UUID id = Ids.parse("id", deliveryIdText);
        Instant now = now();
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            WebhookDeliveriesRecord r = tx.selectFrom(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.ID.eq(id))
                    .and(WEBHOOK_DELIVERIES.ORGANIZATION_ID.eq(actor.organizationId())).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("webhook_delivery", id.toString()));
            if (tx.fetchExists(WEBHOOK_ENDPOINTS, WEBHOOK_ENDPOINTS.ID.eq(r.getEndpointId())
                    .and(WEBHOOK_ENDPOINTS.DELETED_AT.isNotNull()))) {
                throw new SwitchboardException.FailedPrecondition("ENDPOINT_DELETED",
                        "the endpoint of delivery " + id + " was deleted");
            }
            r.setState("pending").setNextAttemptAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "webhook.replay", "webhook_delivery", id, Map.of(), now));
            return toDomain(r);
        });
    }

    /**
     * Queues {@code type} with {@code data} for every endpoint of {@code org} subscribed to it, in {@code tx}.
     * Returns the event id (one per event, the same for all its deliveries).
     */
    public UUID emit(DSLContext tx, UUID org, WebhookEvent type, ObjectNode data) {
        return emit(tx, org, Optional.empty(), type, data);
    }

    /**
     * {@link #emit} for an event of call {@code callId}: the event takes the call's next sequence number in
     * {@code tx} and carries it as {@code sequence}. The increment locks the call's row, so the numbers follow
     * the order in which the events of one call were raised (committed), whatever order their deliveries,
     * sent in parallel and retried, arrive in: receivers order a call's events by it.
     */
    public UUID emitForCall(DSLContext tx, UUID org, UUID callId, WebhookEvent type, ObjectNode data) {
        return emit(tx, org, Optional.of(callId), type, data);
    }

    private UUID emit(DSLContext tx, UUID org, Optional<UUID> callId, WebhookEvent type, ObjectNode data) {
        List<UUID> endpoints = tx.select(WEBHOOK_ENDPOINTS.ID).from(WEBHOOK_ENDPOINTS)
                .where(WEBHOOK_ENDPOINTS.ORGANIZATION_ID.eq(org)).and(WEBHOOK_ENDPOINTS.DELETED_AT.isNull())
                .and(DSL.val(type.type()).eq(DSL.any(WEBHOOK_ENDPOINTS.EVENTS))).fetch(WEBHOOK_ENDPOINTS.ID);
        UUID eventId = Ids.newId();
        if (endpoints.isEmpty()) {
            return eventId;
        }
        Instant now = now();
        ObjectNode body = JSON.createObjectNode().put("id", eventId.toString()).put("type", type.type())
                .put("created_at", now.toString()).put("organization_id", org.toString());
        if (callId.isPresent()) {
            body.put("sequence", tx.update(CALLS).set(CALLS.EVENT_SEQUENCE, CALLS.EVENT_SEQUENCE.plus(1))
                    .where(CALLS.ID.eq(callId.get())).and(CALLS.ORGANIZATION_ID.eq(org))
                    .returning(CALLS.EVENT_SEQUENCE).fetchOptional(CALLS.EVENT_SEQUENCE)
                    .orElseThrow(() -> new IllegalStateException("no call " + callId.get() + " for its event " + type)));
        }
        body.set("data", data);
        JSONB payload = JSONB.jsonb(body.toString());
        var insert = tx.insertInto(WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES.ID, WEBHOOK_DELIVERIES.ORGANIZATION_ID,
                WEBHOOK_DELIVERIES.ENDPOINT_ID, WEBHOOK_DELIVERIES.EVENT_ID, WEBHOOK_DELIVERIES.EVENT_TYPE,
                WEBHOOK_DELIVERIES.PAYLOAD, WEBHOOK_DELIVERIES.STATE, WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT,
                WEBHOOK_DELIVERIES.CREATED_AT);
        for (UUID e : endpoints) {
            insert = insert.values(Ids.newId(), org, e, eventId, type.type(), payload, "pending", now, now);
        }
        insert.execute();
        return eventId;
    }

    /** {@link #emit} in a transaction of its own, for events raised outside one. */
    public UUID emit(UUID org, WebhookEvent type, ObjectNode data) {
        return dsl.transactionResult(cfg -> emit(DSL.using(cfg), org, type, data));
    }

    private static void validateUrl(Violations v, String url) {
        try {
            URI u = URI.create(url == null ? "" : url.strip());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || u.getHost() == null || url.length() > 2000) {
                v.add("url", "must be an absolute http(s) URL of at most 2000 characters");
            }
        } catch (IllegalArgumentException e) {
            v.add("url", "is not a URL: " + e.getMessage());
        }
    }

    private static List<String> known() {
        return java.util.Arrays.stream(WebhookEvent.values()).map(WebhookEvent::type).toList();
    }

    private static WebhookEndpointsRecord endpoint(DSLContext tx, Principal actor, UUID id) {
        return tx.selectFrom(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.ID.eq(id))
                .and(WEBHOOK_ENDPOINTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(WEBHOOK_ENDPOINTS.DELETED_AT.isNull()).fetchOptional()
                .orElseThrow(() -> new SwitchboardException.NotFound("webhook_endpoint", id.toString()));
    }

    static WebhookEndpoint toDomain(WebhookEndpointsRecord r) {
        return new WebhookEndpoint(r.getId(), r.getUrl(), java.util.Arrays.stream(r.getEvents())
                .map(e -> WebhookEvent.of(e).orElseThrow()).toList(), r.getDescription(), r.getCreatedAt());
    }

    static WebhookDelivery toDomain(WebhookDeliveriesRecord r) {
        return new WebhookDelivery(r.getId(), r.getEndpointId(), r.getEventId(), r.getEventType(), r.getPayload().data(),
                WebhookDelivery.State.valueOf(r.getState().toUpperCase(Locale.ROOT)), r.getAttempts(),
                Optional.ofNullable(r.getNextAttemptAt()),
                r.getLastStatus() == null ? OptionalInt.empty() : OptionalInt.of(r.getLastStatus()), r.getLastError(),
                r.getCreatedAt(), Optional.ofNullable(r.getDeliveredAt()));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
