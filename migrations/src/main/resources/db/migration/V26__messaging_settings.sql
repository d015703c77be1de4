-- Per-organisation messaging settings (issue 19). The HELP/INFO answer (NULL: the platform's default text, the
-- configured messaging.help-text) and whether the platform confirms a STOP with a text of its own: a sender whose
-- carrier already confirms opt-outs (Twilio Advanced Opt-Out) turns it off, or our confirmation is refused with
-- error 21610 after the carrier's.
ALTER TABLE organizations
    ADD COLUMN messaging_help_text text
        CHECK (messaging_help_text IS NULL OR char_length(btrim(messaging_help_text)) BETWEEN 1 AND 320),
    ADD COLUMN confirm_opt_out boolean NOT NULL DEFAULT true;
