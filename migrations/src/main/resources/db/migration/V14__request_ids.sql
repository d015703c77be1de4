-- Client-chosen request ids of create RPCs (AIP-155): a retry with the same id within 24 hours gets the
-- resource the first attempt made. One row per organisation and id, written in the transaction that made
-- the resource, so a row exists exactly when its resource was committed. Rows older than 24 hours no longer
-- count: a create that finds one overwrites it, and the worker deletes them (with any sealed secret).
CREATE TABLE request_ids (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id      uuid        NOT NULL,
    -- SHA-256 of the request as serialized with request_id cleared: the same id with another body is refused
    request_sha256  bytea       NOT NULL CHECK (length(request_sha256) = 32),
    resource_type   text        NOT NULL CHECK (resource_type IN ('agent', 'campaign', 'contact', 'contact_list',
                                                                  'api_key', 'organization', 'user',
                                                                  'webhook_endpoint')),
    resource_id     uuid        NOT NULL,
    -- a secret the response showed once (an API key), sealed with the organisation's data key, so the
    -- retry's answer is the same; deleted with the row
    sealed_secret   bytea,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, request_id)
);

CREATE INDEX request_ids_created_at ON request_ids (created_at);
