-- Each agent reply's latency and its parts (core conversation.TurnLatency), with the captured variables the caller's
-- turn filled: what a call's page shows beside its turns, and what a campaign's latency distribution is made of.
-- Numbers and variable names only (no spoken content), so no retention class of its own: the rows go with their
-- call when it is purged.
CREATE TABLE turn_latencies (
    call_id             uuid        NOT NULL,
    organization_id     uuid        NOT NULL,
    turn                integer     NOT NULL CHECK (turn > 0),
    caller_end_ms       bigint      NOT NULL CHECK (caller_end_ms >= 0),
    endpointing_ms      bigint      NOT NULL CHECK (endpointing_ms >= 0),
    recognizer_ms       bigint      NOT NULL CHECK (recognizer_ms >= 0),
    decision_ms         bigint      NOT NULL CHECK (decision_ms >= 0),
    first_audio_ms      bigint      NOT NULL CHECK (first_audio_ms >= 0),
    total_ms            bigint      NOT NULL CHECK (total_ms >= 0),
    variables           text[]      NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, turn),
    FOREIGN KEY (call_id, organization_id) REFERENCES calls (id, organization_id) ON DELETE CASCADE
);
