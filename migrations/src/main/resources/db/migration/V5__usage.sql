-- Metered usage for billing. Rows are facts ("call X used N ms"), written once: source_key makes a
-- metering job that runs twice record nothing twice. There is deliberately no foreign key to calls:
-- billing records outlive the calls they meter (usage records are kept for years, recordings for days).

CREATE TYPE usage_metric AS ENUM ('call_ms', 'transcribed_ms', 'llm_input_tokens', 'llm_output_tokens');

CREATE TABLE usage_records (
    id              bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid         NOT NULL REFERENCES organizations (id),
    metric          usage_metric NOT NULL,
    quantity        bigint       NOT NULL CHECK (quantity >= 0),
    call_id         uuid,
    source_key      text         NOT NULL CHECK (length(source_key) BETWEEN 1 AND 300),
    occurred_at     timestamptz  NOT NULL,
    recorded_at     timestamptz  NOT NULL,
    UNIQUE (organization_id, metric, source_key)
);
CREATE INDEX usage_records_by_org_time ON usage_records (organization_id, occurred_at);
