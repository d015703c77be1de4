-- Consent records: who agreed (or refused) to what, when, from where and through which source. They are
-- evidence and kept permanently: a trigger refuses UPDATE and DELETE to every role, except the anonymisation
-- an erasure performs through consent_anonymise() (the fact of consent stays; the person is no longer named).
-- No foreign key to contacts: a consent outlives the contact it was given by.

CREATE TABLE consents (
    id               uuid        PRIMARY KEY,
    organization_id  uuid        NOT NULL REFERENCES organizations (id),
    contact_id       uuid,
    phone_e164       text        NOT NULL,
    purpose          text        NOT NULL CHECK (purpose IN ('calls', 'recording', 'ai_processing', 'marketing')),
    granted          boolean     NOT NULL,
    source           text        NOT NULL CHECK (length(btrim(source)) BETWEEN 1 AND 200),
    ip_address       text        NOT NULL DEFAULT '' CHECK (length(ip_address) <= 64),
    recorded_by      uuid        REFERENCES api_keys (id),
    given_at         timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    anonymized_at    timestamptz
);
CREATE INDEX consents_by_contact ON consents (organization_id, contact_id, given_at);
CREATE INDEX consents_by_phone ON consents (organization_id, phone_e164, given_at);

CREATE FUNCTION consents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('switchboard.consent_anonymise', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent records are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER consents_immutable BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_immutable();
CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents
    FOR EACH STATEMENT EXECUTE FUNCTION consents_immutable();

-- Removes the person from their consent records (erasure); what was consented to, when and how stays.
CREATE FUNCTION consent_anonymise(org uuid, contact uuid, phone text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('switchboard.consent_anonymise', 'on', true);
    UPDATE consents SET phone_e164 = 'anonymised', ip_address = '', contact_id = NULL, anonymized_at = now()
     WHERE organization_id = org AND anonymized_at IS NULL AND (contact_id = contact OR phone_e164 = phone);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('switchboard.consent_anonymise', 'off', true);
    RETURN n;
END $$;
REVOKE UPDATE, DELETE, TRUNCATE ON consents FROM PUBLIC;
REVOKE ALL ON FUNCTION consent_anonymise(uuid, uuid, text) FROM PUBLIC;

-- erasure evidence
ALTER TABLE retention_deletions DROP CONSTRAINT retention_deletions_reason_check;
ALTER TABLE retention_deletions ADD CONSTRAINT retention_deletions_reason_check
    CHECK (reason IN ('expired', 'deleted', 'closed', 'erased'));
