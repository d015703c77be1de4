-- The campaign dialer: each contact's progress through a campaign, every attempt placed through the
-- carrier, and every guard refusal with its reason. Contacts and campaigns take their dialer rows with them
-- when they are purged (ON DELETE CASCADE); a purged call leaves its attempt without a call. Attempts and
-- refusals are call logs: they carry the call-log expiry of the plan and the retention sweeper removes them.

ALTER TABLE campaigns
    ADD COLUMN require_consent      boolean     NOT NULL DEFAULT false,
    ADD COLUMN max_attempts_per_day integer     NOT NULL DEFAULT 3 CHECK (max_attempts_per_day BETWEEN 1 AND 20),
    ADD COLUMN holidays             date[]      NOT NULL DEFAULT '{}',
    ADD COLUMN contacts_synced_at   timestamptz;

-- pending: never dialled · dialing: an attempt is in flight · retry: due again at next_attempt_at ·
-- done: reached · exhausted: attempts used up · skipped: refused for good (do-not-call, no consent)
CREATE TABLE campaign_contacts (
    campaign_id      uuid        NOT NULL,
    contact_id       uuid        NOT NULL,
    organization_id  uuid        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending'
                                 CHECK (state IN ('pending', 'dialing', 'retry', 'done', 'exhausted', 'skipped')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_outcome     text        NOT NULL DEFAULT '',
    last_reason      text        NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, contact_id),
    FOREIGN KEY (campaign_id, organization_id) REFERENCES campaigns (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (contact_id, organization_id) REFERENCES contacts (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX campaign_contacts_due ON campaign_contacts (campaign_id, next_attempt_at)
    WHERE state IN ('pending', 'retry');
CREATE INDEX campaign_contacts_by_contact ON campaign_contacts (contact_id);

-- placing: claimed, the carrier not yet asked · ringing: the carrier accepted it · in_progress: answered ·
-- finished: outcome known
CREATE TABLE dial_attempts (
    id                   uuid        PRIMARY KEY,
    organization_id      uuid        NOT NULL,
    campaign_id          uuid        NOT NULL,
    contact_id           uuid        NOT NULL,
    attempt              integer     NOT NULL CHECK (attempt >= 1),
    from_number          text        NOT NULL,
    to_number            text        NOT NULL,
    state                text        NOT NULL CHECK (state IN ('placing', 'ringing', 'in_progress', 'finished')),
    outcome              text        NOT NULL DEFAULT ''
                                     CHECK (outcome IN ('', 'completed', 'busy', 'no_answer', 'failed', 'voicemail', 'canceled')),
    detail               text        NOT NULL DEFAULT '',
    carrier              text        NOT NULL,
    carrier_call_id      text,
    call_id              uuid        REFERENCES calls (id) ON DELETE SET NULL,
    worker               text        NOT NULL DEFAULT '',
    placed_at            timestamptz NOT NULL,
    answered_at          timestamptz,
    ended_at             timestamptz,
    duration_ms          bigint,
    hangup_requested_at  timestamptz,
    updated_at           timestamptz NOT NULL,
    expires_at           timestamptz,
    FOREIGN KEY (campaign_id, organization_id) REFERENCES campaigns (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (contact_id, organization_id) REFERENCES contacts (id, organization_id) ON DELETE CASCADE,
    CHECK ((state = 'finished') = (outcome <> ''))
);
-- one call at a time per person, whichever campaigns and workers want them
CREATE UNIQUE INDEX dial_attempts_one_live_per_contact ON dial_attempts (contact_id) WHERE state <> 'finished';
CREATE UNIQUE INDEX dial_attempts_by_carrier_call ON dial_attempts (carrier, carrier_call_id)
    WHERE carrier_call_id IS NOT NULL;
CREATE INDEX dial_attempts_live ON dial_attempts (organization_id, campaign_id) WHERE state <> 'finished';
CREATE INDEX dial_attempts_by_contact ON dial_attempts (contact_id, placed_at);
CREATE INDEX dial_attempts_by_campaign ON dial_attempts (campaign_id, placed_at);
CREATE INDEX dial_attempts_by_call ON dial_attempts (call_id) WHERE call_id IS NOT NULL;

-- what a guard refused, and why; deferrals (calling window, holidays, daily attempts) say until when
CREATE TABLE dial_refusals (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  uuid        NOT NULL,
    campaign_id      uuid        NOT NULL,
    contact_id       uuid        NOT NULL,
    reason           text        NOT NULL CHECK (reason IN ('do_not_call', 'national_do_not_call', 'no_consent',
                                     'outside_calling_window', 'holiday', 'daily_attempts', 'no_time_zone')),
    detail           text        NOT NULL DEFAULT '',
    deferred_until   timestamptz,
    refused_at       timestamptz NOT NULL,
    expires_at       timestamptz,
    FOREIGN KEY (campaign_id, organization_id) REFERENCES campaigns (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (contact_id, organization_id) REFERENCES contacts (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX dial_refusals_by_campaign ON dial_refusals (campaign_id, refused_at);
CREATE INDEX dial_refusals_by_contact ON dial_refusals (contact_id);
CREATE INDEX dial_attempts_expiry ON dial_attempts (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX dial_refusals_expiry ON dial_refusals (expires_at) WHERE expires_at IS NOT NULL;

-- A standing hold on the organisation, the campaign, the contact or the call keeps a dialer row.
CREATE FUNCTION dial_held(org uuid, campaign uuid, contact uuid, call uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM legal_holds h
        WHERE h.organization_id = org AND h.released_at IS NULL
          AND (h.scope = 'organization'
               OR (h.scope = 'campaign' AND h.resource_id = campaign)
               OR (h.scope = 'contact' AND h.resource_id = contact)
               OR (h.scope = 'call' AND h.resource_id = call)))
$$;
