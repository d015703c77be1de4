package io.switchboard.webhooks;

import java.util.Arrays;
import java.util.Optional;

/** The events an endpoint can subscribe to. */
public enum WebhookEvent {
    CALL_STARTED("call.started"),
    CALL_COMPLETED("call.completed"),
    TRANSCRIPT_READY("transcript.ready"),
    SUMMARY_READY("summary.ready"),
    CAMPAIGN_COMPLETED("campaign.completed"),
    RETENTION_DELETED("retention.deleted"),
    MESSAGE_RECEIVED("message.received"),
    MESSAGE_STATUS("message.status");

    private final String type;

    WebhookEvent(String type) {
        this.type = type;
    }

    public String type() {
        return type;
    }

    public static Optional<WebhookEvent> of(String type) {
        return Arrays.stream(values()).filter(e -> e.type.equals(type)).findFirst();
    }
}
