-- Calls and what the pipeline makes of them. A call pins the agent version it ran with. Its audio is
-- stored as it arrives, in segment objects (recordings/{org}/{call}/segments/NNNNNN) so a crash loses at
-- most the last few seconds; the worker assembles them into one WAV (recording_key) and records its
-- SHA-256. Transcript segments, the summary and each pipeline stage's state are rows keyed by call.

CREATE TYPE call_state AS ENUM ('active', 'ended', 'failed');
CREATE TYPE call_direction AS ENUM ('inbound', 'outbound');
CREATE TYPE stage_state AS ENUM ('pending', 'running', 'succeeded', 'failed', 'skipped');

CREATE TABLE calls (
    id                uuid           PRIMARY KEY,
    organization_id   uuid           NOT NULL REFERENCES organizations (id),
    agent_id          uuid           NOT NULL,
    agent_version     integer        NOT NULL,
    campaign_id       uuid,
    contact_id        uuid,
    direction         call_direction NOT NULL,
    from_number       text           NOT NULL DEFAULT '' CHECK (length(from_number) <= 32),
    to_number         text           NOT NULL DEFAULT '' CHECK (length(to_number) <= 32),
    state             call_state     NOT NULL,
    end_reason        text           NOT NULL DEFAULT '' CHECK (length(end_reason) <= 500),
    audio_encoding    text           NOT NULL CHECK (audio_encoding IN ('mulaw', 'pcm16')),
    sample_rate       integer        NOT NULL CHECK (sample_rate BETWEEN 8000 AND 48000),
    channels          smallint       NOT NULL CHECK (channels IN (1, 2)),
    -- audio stored so far: bytes (after any WAV header) and segment objects
    audio_bytes       bigint         NOT NULL DEFAULT 0 CHECK (audio_bytes >= 0),
    audio_segments    integer        NOT NULL DEFAULT 0 CHECK (audio_segments >= 0),
    last_audio_at     timestamptz,
    recording_key     text,
    recording_bytes   bigint,
    recording_sha256  text           CHECK (recording_sha256 ~ '^[0-9a-f]{64}$'),
    started_at        timestamptz    NOT NULL,
    ended_at          timestamptz,
    created_at        timestamptz    NOT NULL,
    updated_at        timestamptz    NOT NULL,
    UNIQUE (id, organization_id),
    FOREIGN KEY (agent_id, organization_id) REFERENCES agents (id, organization_id),
    FOREIGN KEY (agent_id, agent_version) REFERENCES agent_versions (agent_id, version),
    FOREIGN KEY (campaign_id, organization_id) REFERENCES campaigns (id, organization_id),
    FOREIGN KEY (contact_id, organization_id) REFERENCES contacts (id, organization_id)
);
CREATE INDEX calls_by_org ON calls (organization_id, created_at, id);
CREATE INDEX calls_active ON calls (organization_id, last_audio_at) WHERE state = 'active';

CREATE TABLE transcript_segments (
    call_id         uuid        NOT NULL,
    organization_id uuid        NOT NULL,
    channel         smallint    NOT NULL CHECK (channel IN (0, 1)),
    seq             integer     NOT NULL CHECK (seq >= 0),
    speaker         text        NOT NULL CHECK (speaker IN ('agent', 'customer', 'unknown')),
    start_ms        bigint      NOT NULL CHECK (start_ms >= 0),
    end_ms          bigint      NOT NULL CHECK (end_ms >= start_ms),
    text            text        NOT NULL,
    -- [{word, start_ms, end_ms, confidence}]
    words           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    source          text        NOT NULL CHECK (source IN ('live', 'recording')),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (call_id, channel, seq),
    FOREIGN KEY (call_id, organization_id) REFERENCES calls (id, organization_id)
);

CREATE TABLE call_summaries (
    call_id         uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL,
    summary         text,
    -- {name: {value, evidence}}
    variables       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    disposition     text,
    provider        text        NOT NULL,
    -- [{part, reason}]: what the provider did not produce, and why
    not_produced    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    created_at      timestamptz NOT NULL,
    FOREIGN KEY (call_id, organization_id) REFERENCES calls (id, organization_id)
);

CREATE TABLE call_stages (
    call_id         uuid        NOT NULL,
    organization_id uuid        NOT NULL,
    stage           text        NOT NULL,
    state           stage_state NOT NULL,
    detail          text        NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (call_id, stage),
    FOREIGN KEY (call_id, organization_id) REFERENCES calls (id, organization_id)
);
