-- Messaging (SMS and WhatsApp): the organisation's sender numbers, its templates, every message in either
-- direction, and the consent events its contacts' keywords (STOP, START) leave. A message body is never
-- stored in the clear: `sealed` holds it AES-256-GCM under the organisation's data key (ContentSeal). An
-- outbound message is sent by a job of the job queue (kind `message.send`, dedupe key = message id), so the
-- row and its job commit together and a crash loses nothing; `carrier_sid` and `send_started_at` let a retried
-- job find out whether the carrier already took it before sending again.

CREATE TABLE messaging_senders (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    -- +E164 for SMS, whatsapp:+E164 for WhatsApp; one organisation owns an address (inbound routes by it)
    address         text        NOT NULL UNIQUE CHECK (address ~ '^(whatsapp:)?\+[1-9][0-9]{6,14}$'),
    channel         text        NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    -- per-sender pacing: the earliest instant the next message from this sender may go to the carrier
    next_send_at    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    CHECK ((channel = 'whatsapp') = (address LIKE 'whatsapp:%')),
    UNIQUE (id, organization_id)
);
CREATE INDEX messaging_senders_by_org ON messaging_senders (organization_id, created_at, id);

CREATE TABLE message_templates (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    name            text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    channel         text        NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    -- marketing templates need the contact's recorded marketing consent
    category        text        NOT NULL CHECK (category IN ('transactional', 'marketing')),
    body            text        NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
    -- WhatsApp: the carrier's approved content template (HX...), sendable outside the 24-hour window
    content_sid     text        NOT NULL DEFAULT '' CHECK (content_sid = '' OR content_sid ~ '^HX[0-9a-fA-F]{32}$'),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    UNIQUE (id, organization_id)
);
CREATE UNIQUE INDEX message_templates_name ON message_templates (organization_id, name) WHERE deleted_at IS NULL;
CREATE INDEX message_templates_by_org ON message_templates (organization_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE messages (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    -- no foreign key: a message outlives its contact's purge (it then names none), like a call
    contact_id      uuid,
    call_id         uuid,
    campaign_id     uuid,
    channel         text        NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    direction       text        NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    -- the thread: the contact's number, E.164 without the channel prefix ('anonymised' after an erasure)
    contact_phone   text        NOT NULL,
    -- the addresses as the carrier sees them (whatsapp:+E164 for WhatsApp)
    from_address    text        NOT NULL,
    to_address      text        NOT NULL,
    -- what the message is: an ordinary text, or the one reply to a keyword
    purpose         text        NOT NULL DEFAULT 'text' CHECK (purpose IN ('text', 'opt_out_confirmation',
                                                                            'opt_in_confirmation', 'help')),
    template_id     uuid,
    content_sid     text        NOT NULL DEFAULT '',
    -- the body (and a template's content variables): format 1 sealed JSON {"body", "content_variables"}
    sealed          bytea,
    encoding        text        NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    segments        integer     NOT NULL CHECK (segments BETWEEN 0 AND 25),
    status          text        NOT NULL CHECK (status IN ('scheduled', 'queued', 'sending', 'sent', 'delivered',
                                                           'undelivered', 'failed', 'received', 'read')),
    error_code      text        NOT NULL DEFAULT '' CHECK (length(error_code) <= 16),
    error_message   text        NOT NULL DEFAULT '' CHECK (length(error_message) <= 500),
    carrier_sid     text        UNIQUE CHECK (length(carrier_sid) BETWEEN 1 AND 64),
    send_after      timestamptz,
    send_started_at timestamptz,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    expires_at      timestamptz,
    anonymized_at   timestamptz,
    UNIQUE (id, organization_id)
);
CREATE INDEX messages_thread ON messages (organization_id, contact_phone, created_at DESC, id DESC);
CREATE INDEX messages_by_contact ON messages (organization_id, contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX messages_inbound ON messages (organization_id, contact_phone, channel, created_at DESC)
    WHERE direction = 'inbound';
CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;

-- Opt-outs and opt-ins, organisation-wide per number: what the person said, when, on which channel and to
-- which sender. Evidence: never changed or deleted (a trigger refuses it); the latest event decides.
CREATE TABLE messaging_consent_events (
    seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid        NOT NULL UNIQUE,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    phone_e164      text        NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    kind            text        NOT NULL CHECK (kind IN ('opt_out', 'opt_in')),
    -- the word that did it (STOP, START, ...) or, from the carrier, its error code
    words           text        NOT NULL CHECK (length(words) BETWEEN 1 AND 200),
    source          text        NOT NULL CHECK (source IN ('inbound_message', 'carrier', 'api')),
    channel         text        NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    sender_address  text        NOT NULL DEFAULT '',
    message_id      uuid,
    occurred_at     timestamptz NOT NULL
);
CREATE INDEX messaging_consent_by_phone ON messaging_consent_events (organization_id, phone_e164, seq DESC);

CREATE FUNCTION messaging_consent_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'messaging consent events are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER messaging_consent_immutable BEFORE UPDATE OR DELETE ON messaging_consent_events
    FOR EACH ROW EXECUTE FUNCTION messaging_consent_immutable();
CREATE TRIGGER messaging_consent_no_truncate BEFORE TRUNCATE ON messaging_consent_events
    FOR EACH STATEMENT EXECUTE FUNCTION messaging_consent_immutable();

-- Usage: SMS billed per segment, WhatsApp per message.
ALTER TYPE usage_metric ADD VALUE 'sms_segments';
ALTER TYPE usage_metric ADD VALUE 'whatsapp_messages';

-- Retention: messages are a class of their own (deletion evidence names it).
ALTER TABLE retention_deletions DROP CONSTRAINT retention_deletions_data_class_check;
ALTER TABLE retention_deletions
    ADD CONSTRAINT retention_deletions_data_class_check CHECK (data_class IN
        ('recordings', 'transcripts', 'summaries', 'call-logs', 'audit-log', 'usage-records', 'contacts', 'messages'));
