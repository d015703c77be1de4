-- The tamper-evident audit trail. Each organisation's entries form a hash chain: an entry's hash is
-- SHA-256 over the previous entry's hash and the entry's canonical encoding (computed by the application,
-- io.switchboard.audit.AuditLog, and re-computed by VerifyChain). audit_heads holds each chain's last link
-- and serialises appends per organisation; audit_checkpoints holds signed (Ed25519) snapshots of a chain's
-- head, written periodically and at every pruning cut, so a pruned chain stays verifiable from the cut.
--
-- Append-only, twice over:
--  * a trigger refuses UPDATE and TRUNCATE of audit rows to every role, the table owner included, and
--    DELETE except inside audit_prune() (which only deletes entries older than a checkpoint);
--  * PUBLIC gets no UPDATE, DELETE or TRUNCATE on the audit tables. Run the application as a role that
--    does not own the schema and grant it only: GRANT SELECT, INSERT ON audit_log, audit_checkpoints TO app;
--    GRANT SELECT, INSERT, UPDATE ON audit_heads TO app; GRANT EXECUTE ON FUNCTION audit_prune TO app.
-- A superuser can still disable triggers; that is what the chain is for: VerifyChain finds the edit.

CREATE TABLE audit_heads (
    organization_id uuid        PRIMARY KEY REFERENCES organizations (id),
    seq             bigint      NOT NULL,
    hash            bytea       NOT NULL
);

CREATE TABLE audit_log (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    seq             bigint      NOT NULL CHECK (seq >= 1),
    at              timestamptz NOT NULL,
    actor_api_key   uuid,
    actor_user      uuid,
    remote_address  text        NOT NULL DEFAULT '',
    action          text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    resource_type   text        NOT NULL,
    resource_id     text        NOT NULL,
    details         jsonb       NOT NULL DEFAULT '{}',
    expires_at      timestamptz,
    prev_hash       bytea       NOT NULL,
    hash            bytea       NOT NULL,
    PRIMARY KEY (organization_id, seq)
);
CREATE INDEX audit_log_by_time ON audit_log (organization_id, at);
CREATE INDEX audit_log_by_resource ON audit_log (organization_id, resource_type, resource_id);
CREATE INDEX audit_log_by_actor ON audit_log (organization_id, actor_api_key);

CREATE TABLE audit_checkpoints (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    seq             bigint      NOT NULL,
    hash            bytea       NOT NULL,
    at              timestamptz NOT NULL,
    key_id          text        NOT NULL,
    signature       bytea       NOT NULL,
    pruned_before   boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (organization_id, seq)
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('switchboard.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Deletes an organisation's entries before a pruning checkpoint (and nothing else). SECURITY DEFINER: the
-- application role needs no DELETE right on audit_log, only EXECUTE on this function.
CREATE FUNCTION audit_prune(org uuid, before_seq bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_checkpoints c
                   WHERE c.organization_id = org AND c.seq = before_seq AND c.pruned_before) THEN
        RAISE EXCEPTION 'no pruning checkpoint at % for organisation %', before_seq, org;
    END IF;
    PERFORM set_config('switchboard.audit_prune', 'on', true);
    DELETE FROM audit_log WHERE organization_id = org AND seq < before_seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('switchboard.audit_prune', 'off', true);
    RETURN n;
END $$;

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_prune(uuid, bigint) FROM PUBLIC;
