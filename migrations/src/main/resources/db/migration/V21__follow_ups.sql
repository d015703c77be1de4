-- Follow-ups: "after a call ends with disposition X (or a captured variable matching a condition), send template
-- T once". A rule belongs to exactly one campaign or one agent; it is evaluated when the call's post-call
-- pipeline has stored the disposition and variables. Each rule that matched a call leaves one row on the call
-- (the primary key makes a retried pipeline stage send nothing twice): the message it queued, or why the send
-- was refused (opted out, do-not-call, outside the WhatsApp window, ...). Nothing is thrown away.

CREATE TABLE follow_up_rules (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    campaign_id     uuid,
    agent_id        uuid,
    -- '' = any disposition
    disposition     text        NOT NULL DEFAULT '' CHECK (length(disposition) <= 64),
    -- '' = no variable condition
    variable        text        NOT NULL DEFAULT '' CHECK (variable = '' OR variable ~ '^[a-z][a-z0-9_]{0,63}$'),
    condition       text        NOT NULL DEFAULT '' CHECK (condition IN ('', 'equals', 'present')),
    value           text        NOT NULL DEFAULT '' CHECK (length(value) <= 500),
    template_id     uuid        NOT NULL,
    -- '' = the organisation's oldest sender on the template's channel
    from_address    text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    CHECK ((campaign_id IS NULL) <> (agent_id IS NULL)),
    CHECK (disposition <> '' OR variable <> ''),
    CHECK ((variable = '') = (condition = '')),
    CHECK (condition = 'equals' OR value = ''),
    FOREIGN KEY (campaign_id, organization_id) REFERENCES campaigns (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (agent_id, organization_id) REFERENCES agents (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (template_id, organization_id) REFERENCES message_templates (id, organization_id) ON DELETE CASCADE,
    UNIQUE (id, organization_id)
);
CREATE INDEX follow_up_rules_by_campaign ON follow_up_rules (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX follow_up_rules_by_agent ON follow_up_rules (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX follow_up_rules_by_org ON follow_up_rules (organization_id, created_at, id);

CREATE TABLE call_follow_ups (
    call_id         uuid        NOT NULL,
    organization_id uuid        NOT NULL,
    rule_id         uuid        NOT NULL,
    message_id      uuid,
    -- '' when sent; else the refusal's reason code (opted_out, do_not_call, no_sender, invalid, ...)
    refusal         text        NOT NULL DEFAULT '' CHECK (length(refusal) <= 64),
    detail          text        NOT NULL DEFAULT '' CHECK (length(detail) <= 1000),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (call_id, rule_id),
    CHECK ((message_id IS NULL) <> (refusal = '')),
    FOREIGN KEY (call_id, organization_id) REFERENCES calls (id, organization_id) ON DELETE CASCADE,
    FOREIGN KEY (rule_id, organization_id) REFERENCES follow_up_rules (id, organization_id) ON DELETE CASCADE
);
