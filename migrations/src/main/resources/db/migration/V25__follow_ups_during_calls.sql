-- Texts an agent sends during a call (a flow's send_sms node, the LLM's send_sms tool) are follow-ups of that call
-- like the ones rules send after it, and are recorded in the same table so the API shows both. Such a row has no
-- rule: it names its template itself, its trigger is 'during_call' and node_id says which flow node sent it ('' for
-- the LLM's tool). A template is texted at most once per call during it, however often the node is re-entered or
-- the tool called: the partial unique index is the guard. A rule's row keeps its old key (call, rule).

ALTER TABLE call_follow_ups DROP CONSTRAINT call_follow_ups_pkey;
ALTER TABLE call_follow_ups ALTER COLUMN rule_id DROP NOT NULL;
ALTER TABLE call_follow_ups ADD COLUMN template_id uuid;
UPDATE call_follow_ups f SET template_id = r.template_id FROM follow_up_rules r WHERE r.id = f.rule_id;
ALTER TABLE call_follow_ups ALTER COLUMN template_id SET NOT NULL;
ALTER TABLE call_follow_ups
    ADD COLUMN trigger text NOT NULL DEFAULT 'after_call' CHECK (trigger IN ('after_call', 'during_call')),
    ADD COLUMN node_id text NOT NULL DEFAULT '' CHECK (length(node_id) <= 64),
    ADD CHECK ((trigger = 'after_call') = (rule_id IS NOT NULL)),
    ADD CHECK (trigger = 'during_call' OR node_id = ''),
    ADD FOREIGN KEY (template_id, organization_id) REFERENCES message_templates (id, organization_id) ON DELETE CASCADE;
CREATE UNIQUE INDEX call_follow_ups_by_rule ON call_follow_ups (call_id, rule_id) WHERE rule_id IS NOT NULL;
CREATE UNIQUE INDEX call_follow_ups_during_call ON call_follow_ups (call_id, template_id) WHERE trigger = 'during_call';
