-- Browser talk tokens (issue 18): a page that talks to an agent opens a WebSocket with a short-lived, single-use
-- token minted over the API (CreateTalkToken), never with the API key itself. Only the token's SHA-256 is kept,
-- so that any server can redeem it and a leaked table grants nothing. Redeeming is one UPDATE that sets
-- redeemed_at where it is still NULL and the token has not expired: a token opens at most one call.
CREATE TABLE talk_tokens (
    token_sha256    bytea       PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    -- the key that minted it: the call is opened on its behalf (its role, its user), and not once it is revoked
    api_key_id      uuid        NOT NULL REFERENCES api_keys (id),
    agent_id        uuid        NOT NULL,
    contact_id      uuid,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL CHECK (expires_at > created_at),
    redeemed_at     timestamptz CHECK (redeemed_at >= created_at),
    -- purging an agent or erasing a contact takes its tokens with it
    FOREIGN KEY (agent_id, organization_id) REFERENCES agents (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (contact_id, organization_id) REFERENCES contacts (id, organization_id) ON DELETE CASCADE
);
-- minting deletes the organisation's long-expired tokens
CREATE INDEX talk_tokens_by_expiry ON talk_tokens (organization_id, expires_at);
