-- How an agent conducts a live call (issue 17): its flow of nodes, global intents, voicemail message, transfer
-- number and turn-taking/silence timing, as one JSON document validated by the application (AgentValidation,
-- FlowValidation). '{}' reads as "no flow, default timing", so existing agents and versions need no rewrite.
ALTER TABLE agents
    ADD COLUMN conduct jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(conduct) = 'object');
ALTER TABLE agent_versions
    ADD COLUMN conduct jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(conduct) = 'object');
