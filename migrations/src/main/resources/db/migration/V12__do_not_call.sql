-- An organisation's do-not-call list: numbers (E.164) no outbound call may be placed to. Removing a number
-- is audited; the list is read by every outbound call before it starts.
CREATE TABLE do_not_call (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    phone_e164      text        NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    reason          text        NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    source          text        NOT NULL CHECK (source IN ('api', 'import', 'opt-out')),
    added_by        uuid        REFERENCES api_keys (id),
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (organization_id, phone_e164)
);
