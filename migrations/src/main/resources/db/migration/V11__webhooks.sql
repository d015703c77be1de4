-- Webhooks: an organisation's endpoints, each subscribed to some event types, and one delivery row per
-- (event, endpoint), written in the transaction of the change that raised the event. Workers deliver due
-- rows (claimed with SKIP LOCKED, leased through next_attempt_at), signed with the endpoint's secret, and
-- retry failures with backoff for a day. Deliveries are kept as a record and can be replayed.

CREATE TABLE webhook_endpoints (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    url             text        NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    events          text[]      NOT NULL CHECK (cardinality(events) >= 1),
    -- the HMAC key; shown once at creation
    secret          text        NOT NULL CHECK (length(secret) >= 32),
    description     text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    created_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    UNIQUE (id, organization_id)
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (organization_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL,
    endpoint_id     uuid        NOT NULL,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    payload         jsonb       NOT NULL,
    state           text        NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz,
    last_status     integer,
    last_error      text        NOT NULL DEFAULT '' CHECK (length(last_error) <= 1000),
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    FOREIGN KEY (endpoint_id, organization_id) REFERENCES webhook_endpoints (id, organization_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
