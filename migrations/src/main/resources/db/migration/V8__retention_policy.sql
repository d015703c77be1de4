-- Retention, continued: every class of data now carries its expiry (call logs and usage records join
-- recordings, transcripts and summaries), plan changes re-stamp expiries in the database with the same
-- calendar arithmetic as the application, legal holds stop deletion while they stand, and deleted calls,
-- contacts and organisations are kept (soft-deleted) for 30 days before they are purged.

-- When an item created at `created` expires under a period of `months` calendar months plus `days` days
-- (UTC calendar), or of `micros` exact microseconds. Identical to io.switchboard.plans.RetentionPeriod.expiry:
-- an anniversary that does not exist (29 February, the 31st of a short month) rolls forward a day, so data
-- is never dropped before its full calendar period. Arithmetic is done on UTC wall time, so neither the
-- session's time zone nor its DST rules can shift an expiry.
CREATE FUNCTION retention_expiry(created timestamptz, months integer, days integer, micros bigint)
    RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN micros IS NOT NULL THEN
            ((created AT TIME ZONE 'UTC') + make_interval(days => (micros / 86400000000)::integer)
                + (micros % 86400000000) * interval '1 microsecond') AT TIME ZONE 'UTC'
        ELSE (
            SELECT (CASE WHEN extract(day FROM m) <> extract(day FROM c) THEN m + interval '1 day' ELSE m END
                    + make_interval(days => days)) AT TIME ZONE 'UTC'
            FROM (SELECT created AT TIME ZONE 'UTC' AS c,
                         (created AT TIME ZONE 'UTC') + make_interval(months => months) AS m) x)
    END
$$;

-- call logs: the call row itself, with whatever of its content is still stored
ALTER TABLE calls ADD COLUMN expires_at timestamptz,
                  ADD COLUMN deleted_at timestamptz,
                  ADD COLUMN purge_at   timestamptz;
CREATE INDEX calls_expiry ON calls (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX calls_purge ON calls (purge_at) WHERE purge_at IS NOT NULL;
CREATE INDEX calls_by_campaign ON calls (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX calls_by_contact ON calls (contact_id) WHERE contact_id IS NOT NULL;

ALTER TABLE usage_records ADD COLUMN expires_at timestamptz;
CREATE INDEX usage_records_expiry ON usage_records (expires_at) WHERE expires_at IS NOT NULL;

ALTER TABLE contacts ADD COLUMN purge_at timestamptz;
CREATE INDEX contacts_purge ON contacts (purge_at) WHERE purge_at IS NOT NULL;

-- An organisation being closed is purged at purge_at (its usage records and audit trail stay for their own
-- periods). A downgrade that shortens retention takes effect at retention_grace_until; until then audit
-- pruning keeps to the periods in retention_before_change ({"audit-log": "P90D", ...}).
ALTER TABLE organizations ADD COLUMN purge_at timestamptz,
                          ADD COLUMN purged_at timestamptz,
                          ADD COLUMN retention_grace_until timestamptz,
                          ADD COLUMN retention_before_change jsonb;

CREATE TYPE hold_scope AS ENUM ('organization', 'campaign', 'contact', 'call');

-- While a hold stands (released_at IS NULL) nothing in its scope is deleted: not by retention, not by the
-- purge of a deleted call or contact. Releasing it lets the policy apply again (overdue items go in the
-- next sweep). Holds are never deleted: they are evidence too.
CREATE TABLE legal_holds (
    id               uuid        PRIMARY KEY,
    organization_id  uuid        NOT NULL REFERENCES organizations (id),
    scope            hold_scope  NOT NULL,
    resource_id      uuid        NOT NULL,
    reason           text        NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
    placed_by        uuid        REFERENCES api_keys (id),
    placed_at        timestamptz NOT NULL,
    released_by      uuid        REFERENCES api_keys (id),
    released_at      timestamptz,
    release_reason   text        CHECK (length(release_reason) <= 2000),
    CHECK (scope <> 'organization' OR resource_id = organization_id)
);
CREATE INDEX legal_holds_active ON legal_holds (organization_id, scope, resource_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_by_org ON legal_holds (organization_id, placed_at, id);

ALTER TABLE retention_deletions DROP CONSTRAINT retention_deletions_data_class_check;
ALTER TABLE retention_deletions
    ADD CONSTRAINT retention_deletions_data_class_check CHECK (data_class IN
        ('recordings', 'transcripts', 'summaries', 'call-logs', 'audit-log', 'usage-records', 'contacts')),
    -- expired: its retention ran out; deleted: purged 30 days after a delete; closed: its organisation closed
    ADD COLUMN reason text NOT NULL DEFAULT 'expired' CHECK (reason IN ('expired', 'deleted', 'closed'));
CREATE INDEX retention_deletions_by_resource ON retention_deletions (organization_id, resource_type, resource_id);

-- Whether a standing hold covers a call (its organisation, the call, its campaign or its contact) or a
-- contact. Plain SQL functions, inlined by the planner into the sweeper's queries.
CREATE FUNCTION call_held(org uuid, call uuid) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM legal_holds h
        WHERE h.organization_id = org AND h.released_at IS NULL
          AND (h.scope = 'organization'
               OR (h.scope = 'call' AND h.resource_id = call)
               OR (h.scope = 'campaign' AND h.resource_id = (SELECT c.campaign_id FROM calls c WHERE c.id = call))
               OR (h.scope = 'contact' AND h.resource_id = (SELECT c.contact_id FROM calls c WHERE c.id = call))))
$$;

CREATE FUNCTION contact_held(org uuid, contact uuid) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM legal_holds h
        WHERE h.organization_id = org AND h.released_at IS NULL
          AND (h.scope = 'organization' OR (h.scope = 'contact' AND h.resource_id = contact)))
$$;

-- A pruning checkpoint may sit where a plain (hourly) checkpoint already signed the same head: an idle
-- organisation's whole trail can then still be pruned when it expires. Both sign the same hash.
ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_pkey,
    ADD PRIMARY KEY (organization_id, seq, pruned_before);
