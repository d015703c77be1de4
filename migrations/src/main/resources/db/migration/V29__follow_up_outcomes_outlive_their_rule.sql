-- What a follow-up rule did on a call (the text it queued, or why it was refused) is part of that call's history,
-- as V21 says ("Nothing is thrown away") and FollowUps.delete promises; but V21's foreign key from the outcome to
-- its rule was ON DELETE CASCADE, so deleting a rule (or the campaign or agent that owned it) silently deleted
-- its record from every past call. The outcome keeps the rule's id as a plain reference, like a message keeps its
-- template's: it still names its template (V25) and its call, whose organisation key keeps it in its tenant.
ALTER TABLE call_follow_ups DROP CONSTRAINT call_follow_ups_rule_id_organization_id_fkey;
