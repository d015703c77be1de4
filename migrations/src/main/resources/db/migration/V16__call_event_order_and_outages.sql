-- Three fixes from the faults left open.
--
-- 1. Webhook receivers put a call's events in order: every event of a call takes the next number of the
--    call's own counter, in the transaction that raises it (so the number is the order the events happened
--    in, whatever order their deliveries arrive in).
ALTER TABLE calls ADD COLUMN event_sequence bigint NOT NULL DEFAULT 0 CHECK (event_sequence >= 0);

-- 2. A carrier outage burns no dial attempts: an attempt the carrier never placed (it could not be reached,
--    or answered with a server error) is finished as not_placed and counts neither toward the campaign's
--    attempts nor toward the contact's daily limit.
ALTER TABLE dial_attempts DROP CONSTRAINT dial_attempts_outcome_check;
ALTER TABLE dial_attempts ADD CONSTRAINT dial_attempts_outcome_check
    CHECK (outcome IN ('', 'completed', 'busy', 'no_answer', 'failed', 'voicemail', 'canceled', 'not_placed'));

-- 3. Stored expiries follow the configured plan catalog: the retention periods of each plan as last applied
--    to the stored data. When the catalog in configuration gives a plan other periods (a new release's
--    defaults, an operator's edit), the worker re-stamps the expiries of its organisations' data, as a plan
--    change would, and records the periods here. A plan with no row here is re-stamped on first sight.
CREATE TABLE plan_retention_applied (
    plan_id     text        PRIMARY KEY,
    retention   jsonb       NOT NULL CHECK (jsonb_typeof(retention) = 'object'),
    applied_at  timestamptz NOT NULL
);
