-- A campaign call's greeting, synthesised by the dialer (a worker) while the phone rings and spoken by whichever
-- server the carrier's media stream reaches, the moment the call is answered. `content` holds the greeting's
-- sentences and their audio (PCM16 at `sample_rate`, in `voice`): it says the contact's name, so a HIPAA-mode
-- organisation's is sealed with its data key (ContentSeal, bound to the attempt). The row lives for minutes at
-- most: the call takes it (deletes it) when it opens, and the dialer sweeps it once it has expired or its attempt
-- has finished unanswered.
CREATE TABLE call_greetings (
    attempt_id      uuid        PRIMARY KEY REFERENCES dial_attempts (id) ON DELETE CASCADE,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    voice           text        NOT NULL CHECK (voice <> ''),
    sample_rate     integer     NOT NULL CHECK (sample_rate IN (8000, 16000)),
    content         bytea       NOT NULL CHECK (octet_length(content) <= 4194304),
    sealed          boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX call_greetings_by_expiry ON call_greetings (expires_at);
