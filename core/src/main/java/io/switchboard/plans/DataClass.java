package io.switchboard.plans;

import java.util.Locale;

/** Classes of stored data; each has its own retention period in every plan. */
public enum DataClass {
    RECORDINGS, TRANSCRIPTS, SUMMARIES, CALL_LOGS, AUDIT_LOG, USAGE_RECORDS,
    /** Text messages (SMS, WhatsApp) and their bodies; a plan without its own period keeps them as call logs. */
    MESSAGES;

    /** The key used in configuration and JSON: {@code call-logs}. */
    public String configKey() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static DataClass fromConfigKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
