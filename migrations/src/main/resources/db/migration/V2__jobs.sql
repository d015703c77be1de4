-- The worker pool's durable job queue. Workers claim with FOR UPDATE SKIP LOCKED, hold a lease they renew
-- by heartbeat, and a job whose lease ran out (its worker died) is claimed again. A dedupe key makes
-- enqueueing the same logical job twice a no-op, whatever state the first one is in.

CREATE TYPE job_state AS ENUM ('queued', 'running', 'succeeded', 'dead');

CREATE TABLE jobs (
    id               uuid        PRIMARY KEY,
    -- NULL for platform jobs (sweepers) that belong to no tenant
    organization_id  uuid        REFERENCES organizations (id),
    kind             text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    dedupe_key       text        CHECK (length(dedupe_key) BETWEEN 1 AND 300),
    state            job_state   NOT NULL DEFAULT 'queued',
    priority         smallint    NOT NULL DEFAULT 0,
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer     NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 100),
    run_at           timestamptz NOT NULL,
    lease_owner      text,
    lease_expires_at timestamptz,
    heartbeat_at     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_by_org ON jobs (organization_id, created_at) WHERE organization_id IS NOT NULL;

-- Idle workers LISTEN on this channel and claim at once instead of waiting for their next poll.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_jobs', NEW.kind);
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF state, run_at ON jobs
    FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION jobs_notify();
