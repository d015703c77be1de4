-- What a talking agent's call keeps (issue 17), part two.
--
-- An agent sentence the caller cut short is flagged, instead of the " —" its text used to end with: the text is
-- what was played, as said. Rows in the clear are migrated here; a HIPAA organisation's rows are sealed, so the
-- application strips a marker it finds inside one when it opens it (TranscriptStore).
ALTER TABLE transcript_segments ADD COLUMN interrupted boolean NOT NULL DEFAULT false;
UPDATE transcript_segments
   SET interrupted = true, text = left(text, length(text) - 2)
 WHERE channel = 0 AND speaker = 'agent' AND source = 'live' AND sealed IS NULL AND text LIKE '% —';
-- Only the agent's own sentences can be cut: the caller's channel comes from the recogniser.
ALTER TABLE transcript_segments
    ADD CONSTRAINT transcript_segments_interrupted_agent CHECK (NOT interrupted OR speaker = 'agent');

-- What a conversation uses besides call time: the characters synthesised in the agent's voice and the caller's
-- audio the live recogniser heard. (LLM tokens are metered per call with the existing llm_* metrics.)
ALTER TYPE usage_metric ADD VALUE 'synthesized_characters';
ALTER TYPE usage_metric ADD VALUE 'recognized_ms';
