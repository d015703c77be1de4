-- HIPAA mode encrypts call content at rest (AES-256-GCM) with a data key per organisation. Data keys are
-- stored only wrapped (AES-256-GCM) by the deployment's master key, named by its id, so rotating the master
-- key re-wraps these rows and never re-encrypts data. A sealed row keeps its content in `sealed` and leaves
-- the plain columns empty: transcript text and words, summary text and extracted variables.

CREATE TABLE organization_data_keys (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    version         integer     NOT NULL CHECK (version >= 1),
    master_key_id   text        NOT NULL CHECK (master_key_id ~ '^[0-9a-f]{16}$'),
    -- nonce (12 bytes) || ciphertext of the 32-byte key || GCM tag (16 bytes)
    wrapped         bytea       NOT NULL CHECK (octet_length(wrapped) = 60),
    created_at      timestamptz NOT NULL,
    rewrapped_at    timestamptz,
    PRIMARY KEY (organization_id, version)
);
CREATE INDEX organization_data_keys_by_master ON organization_data_keys (master_key_id);

ALTER TABLE transcript_segments ADD COLUMN sealed bytea;
ALTER TABLE call_summaries ADD COLUMN sealed bytea;
