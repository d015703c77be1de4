-- What more than one API server needs from the database to act as one.
--
-- call_events: the live events of calls in progress (transcript events, as the API sends them), written by the
-- server that holds the call, in order (seq from 1), and read by the watchers on every server; each insert is
-- announced with NOTIFY switchboard_call_events '<call id>:<seq>' (a pointer: the payload limit is 8000 bytes).
-- HIPAA-mode organisations' events are sealed like their transcripts. Rows live minutes only: API servers
-- delete them five minutes after they were written, and with their call when it is purged.
CREATE TABLE call_events (
    call_id          uuid        NOT NULL,
    seq              integer     NOT NULL CHECK (seq > 0),
    organization_id  uuid        NOT NULL,
    payload          bytea       NOT NULL,
    sealed           boolean     NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_id, seq),
    FOREIGN KEY (call_id, organization_id) REFERENCES calls (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX call_events_by_age ON call_events (created_at);

-- API servers cache verified keys; any change that can make a key invalid or lower what it may do is announced
-- here, by the schema itself, so no code path (nor an operator's SQL) can leave a stale key usable:
-- NOTIFY switchboard_api_keys 'key:<id>' or 'org:<id>'.
CREATE FUNCTION announce_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_api_keys', 'key:' || OLD.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_changed AFTER UPDATE OF revoked_at, expires_at, role, user_id, organization_id,
        platform_operator, secret_sha256, prefix ON api_keys
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION announce_api_key_change();
CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION announce_api_key_change();

CREATE FUNCTION announce_organization_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_api_keys', 'org:' || OLD.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_closed AFTER UPDATE OF deleted_at ON organizations
    FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at) EXECUTE FUNCTION announce_organization_change();
CREATE TRIGGER organizations_deleted AFTER DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION announce_organization_change();
