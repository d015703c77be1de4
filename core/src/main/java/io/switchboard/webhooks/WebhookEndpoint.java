package io.switchboard.webhooks;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A registered receiver of events. The secret is only ever returned at creation. */
public record WebhookEndpoint(UUID id, String url, List<WebhookEvent> events, String description, Instant createdAt) {

    /** A new endpoint with the secret its deliveries are signed with. */
    public record Created(WebhookEndpoint endpoint, String secret) {
    }
}
