-- Control plane: tenants, identity, plans, agents, contacts, campaigns.
-- Every tenant-owned table carries organization_id, and references between tenant-owned rows are
-- composite foreign keys on (id, organization_id), so even a bug cannot link rows of two tenants.

CREATE TYPE member_role AS ENUM ('owner', 'admin', 'agent', 'viewer');
CREATE TYPE campaign_state AS ENUM ('draft', 'running', 'paused', 'completed', 'cancelled');

CREATE TABLE organizations (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    plan_id     text        NOT NULL CHECK (plan_id ~ '^[a-z][a-z0-9_-]{0,39}$'),
    -- Enterprise contract terms; shape validated by the application (PlanOverrides).
    plan_overrides jsonb    NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(plan_overrides) = 'object'),
    hipaa_mode  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

CREATE TABLE users (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    email           text        NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320),
    display_name    text        NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    role            member_role NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    UNIQUE (id, organization_id)
);
CREATE UNIQUE INDEX users_email_per_org ON users (organization_id, lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE api_keys (
    id                uuid        PRIMARY KEY,
    organization_id   uuid        NOT NULL REFERENCES organizations (id),
    user_id           uuid,
    name              text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- Public, unique lookup handle; the secret itself is never stored.
    prefix            text        NOT NULL UNIQUE CHECK (prefix ~ '^sb_[a-z0-9]{8,16}$'),
    secret_sha256     bytea       NOT NULL CHECK (octet_length(secret_sha256) = 32),
    role              member_role NOT NULL,
    platform_operator boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    last_used_at      timestamptz,
    revoked_at        timestamptz,
    expires_at        timestamptz,
    FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id)
);
CREATE INDEX api_keys_by_org ON api_keys (organization_id, created_at, id);

-- Every plan or override change, kept for the record (and mirrored to the audit log once it exists).
CREATE TABLE plan_changes (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id   uuid        NOT NULL REFERENCES organizations (id),
    from_plan_id      text,
    to_plan_id        text        NOT NULL,
    overrides         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    actor_api_key_id  uuid        REFERENCES api_keys (id),
    changed_at        timestamptz NOT NULL
);
CREATE INDEX plan_changes_by_org ON plan_changes (organization_id, changed_at DESC);

CREATE TABLE agents (
    id                   uuid        PRIMARY KEY,
    organization_id      uuid        NOT NULL REFERENCES organizations (id),
    name                 text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    language             text        NOT NULL CHECK (length(language) BETWEEN 2 AND 35),
    system_prompt        text        NOT NULL DEFAULT '' CHECK (length(system_prompt) <= 100000),
    first_message        text        NOT NULL DEFAULT '' CHECK (length(first_message) <= 10000),
    voice                text        NOT NULL DEFAULT '' CHECK (length(voice) <= 200),
    summary_instructions text        NOT NULL DEFAULT '' CHECK (length(summary_instructions) <= 20000),
    -- [{name, type, description, enum_values, required}], validated by the application.
    variables            jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(variables) = 'array'),
    version              integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    deleted_at           timestamptz,
    UNIQUE (id, organization_id)
);
CREATE INDEX agents_live_by_org ON agents (organization_id, created_at, id) WHERE deleted_at IS NULL;

-- Immutable snapshots: a call records (agent_id, version) and can always show what the agent was.
CREATE TABLE agent_versions (
    agent_id             uuid        NOT NULL,
    organization_id      uuid        NOT NULL,
    version              integer     NOT NULL CHECK (version >= 1),
    name                 text        NOT NULL,
    language             text        NOT NULL,
    system_prompt        text        NOT NULL,
    first_message        text        NOT NULL,
    voice                text        NOT NULL,
    summary_instructions text        NOT NULL,
    variables            jsonb       NOT NULL,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (agent_id, version),
    FOREIGN KEY (agent_id, organization_id) REFERENCES agents (id, organization_id)
);

CREATE TABLE contacts (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    external_id     text        CHECK (length(external_id) BETWEEN 1 AND 200),
    phone_e164      text        NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    first_name      text        NOT NULL DEFAULT '' CHECK (length(first_name) <= 200),
    last_name       text        NOT NULL DEFAULT '' CHECK (length(last_name) <= 200),
    email           text        NOT NULL DEFAULT '' CHECK (length(email) <= 320),
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    tags            text[]      NOT NULL DEFAULT '{}',
    time_zone       text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    UNIQUE (id, organization_id)
);
CREATE UNIQUE INDEX contacts_external_id_per_org ON contacts (organization_id, external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX contacts_live_by_org ON contacts (organization_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_tags ON contacts USING gin (tags) WHERE deleted_at IS NULL;

CREATE TABLE contact_lists (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    name            text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description     text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    UNIQUE (id, organization_id)
);
CREATE INDEX contact_lists_live_by_org ON contact_lists (organization_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE contact_list_members (
    contact_list_id uuid        NOT NULL,
    contact_id      uuid        NOT NULL,
    organization_id uuid        NOT NULL,
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (contact_list_id, contact_id),
    FOREIGN KEY (contact_list_id, organization_id) REFERENCES contact_lists (id, organization_id),
    FOREIGN KEY (contact_id, organization_id) REFERENCES contacts (id, organization_id)
);
CREATE INDEX contact_list_members_by_contact ON contact_list_members (contact_id);

CREATE TABLE campaigns (
    id                  uuid           PRIMARY KEY,
    organization_id     uuid           NOT NULL REFERENCES organizations (id),
    name                text           NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    agent_id            uuid           NOT NULL,
    contact_list_id     uuid           NOT NULL,
    caller_id           text           NOT NULL CHECK (caller_id ~ '^\+[1-9][0-9]{6,14}$'),
    state               campaign_state NOT NULL DEFAULT 'draft',
    schedule_start      timestamptz,
    schedule_end        timestamptz,
    window_start        time           NOT NULL DEFAULT '08:00',
    window_end          time           NOT NULL DEFAULT '21:00',
    window_days         smallint[]     NOT NULL DEFAULT '{}' CHECK (window_days <@ ARRAY[1,2,3,4,5,6,7]::smallint[]),
    fallback_time_zone  text           NOT NULL DEFAULT '',
    max_concurrency     integer        NOT NULL DEFAULT 1 CHECK (max_concurrency BETWEEN 1 AND 10000),
    retry_max_attempts  integer        NOT NULL DEFAULT 3 CHECK (retry_max_attempts BETWEEN 1 AND 20),
    retry_delay         interval       NOT NULL DEFAULT '1 hour' CHECK (retry_delay >= interval '0'),
    retry_on            text[]         NOT NULL DEFAULT '{busy,no_answer,failed}',
    disposition_codes   text[]         NOT NULL DEFAULT '{}',
    created_at          timestamptz    NOT NULL,
    updated_at          timestamptz    NOT NULL,
    started_at          timestamptz,
    ended_at            timestamptz,
    deleted_at          timestamptz,
    UNIQUE (id, organization_id),
    CHECK (window_start < window_end),
    CHECK (schedule_end IS NULL OR schedule_start IS NULL OR schedule_start < schedule_end),
    FOREIGN KEY (agent_id, organization_id) REFERENCES agents (id, organization_id),
    FOREIGN KEY (contact_list_id, organization_id) REFERENCES contact_lists (id, organization_id)
);
CREATE INDEX campaigns_live_by_org ON campaigns (organization_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX campaigns_active ON campaigns (state) WHERE state IN ('running', 'paused') AND deleted_at IS NULL;

CREATE TABLE campaign_transitions (
    id               bigint         GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id      uuid           NOT NULL,
    organization_id  uuid           NOT NULL,
    from_state       campaign_state NOT NULL,
    to_state         campaign_state NOT NULL,
    actor_api_key_id uuid           REFERENCES api_keys (id),
    changed_at       timestamptz    NOT NULL,
    FOREIGN KEY (campaign_id, organization_id) REFERENCES campaigns (id, organization_id)
);
