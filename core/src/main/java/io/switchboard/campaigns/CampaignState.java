package io.switchboard.campaigns;

import java.util.EnumSet;
import java.util.Set;

/**
 * A campaign's lifecycle: DRAFT → RUNNING ⇄ PAUSED → COMPLETED, and DRAFT, RUNNING or PAUSED → CANCELLED.
 * COMPLETED and CANCELLED are final.
 */
public enum CampaignState {
    DRAFT, RUNNING, PAUSED, COMPLETED, CANCELLED;

    /** The states a campaign in this state may move to. */
    public Set<CampaignState> next() {
        return switch (this) {
            case DRAFT -> EnumSet.of(RUNNING, CANCELLED);
            case RUNNING -> EnumSet.of(PAUSED, COMPLETED, CANCELLED);
            case PAUSED -> EnumSet.of(RUNNING, COMPLETED, CANCELLED);
            case COMPLETED, CANCELLED -> EnumSet.noneOf(CampaignState.class);
        };
    }

    public boolean canMoveTo(CampaignState target) {
        return next().contains(target);
    }

    /** Unfinished campaigns hold their agent and contact list: neither may be deleted under them. */
    public boolean isUnfinished() {
        return this == DRAFT || this == RUNNING || this == PAUSED;
    }

    /** Configuration may change while nothing is dialling. */
    public boolean isEditable() {
        return this == DRAFT || this == PAUSED;
    }

    public boolean isDeletable() {
        return this == DRAFT || this == COMPLETED || this == CANCELLED;
    }
}
