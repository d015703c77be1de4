-- Retention: every stored item of a call carries the instant it expires, computed from the organisation's
-- effective plan policy when the item is created (NULL: the policy keeps it without limit). The retention
-- sweeper deletes what has expired, objects in storage before rows, and leaves evidence of each deletion:
-- what (class, resource, how many items), when it expired, when it was deleted, under which plan. Evidence
-- names ids only, never content.

ALTER TABLE calls ADD COLUMN recording_expires_at timestamptz,
                  ADD COLUMN recording_deleted_at timestamptz;
ALTER TABLE transcript_segments ADD COLUMN expires_at timestamptz;
ALTER TABLE call_summaries ADD COLUMN expires_at timestamptz;

CREATE INDEX calls_recording_expiry ON calls (recording_expires_at) WHERE recording_key IS NOT NULL;
CREATE INDEX transcript_segments_expiry ON transcript_segments (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX call_summaries_expiry ON call_summaries (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE retention_deletions (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    data_class      text        NOT NULL CHECK (data_class IN ('recordings', 'transcripts', 'summaries')),
    resource_type   text        NOT NULL,
    resource_id     text        NOT NULL,
    items           integer     NOT NULL CHECK (items > 0),
    expired_at      timestamptz NOT NULL,
    deleted_at      timestamptz NOT NULL,
    plan_id         text        NOT NULL
);
CREATE INDEX retention_deletions_by_org ON retention_deletions (organization_id, deleted_at);
