package io.switchboard.retention;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static io.switchboard.db.Tables.DIAL_REFUSALS;
import static io.switchboard.db.Tables.MESSAGES;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;
import static io.switchboard.db.Tables.USAGE_RECORDS;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.switchboard.plans.DataClass;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * A class of data whose rows carry their own expiry: where they live, which column says when they were
 * created and when they expire, and which call they belong to (usage records may belong to none). The
 * audit log is not one: its rows are immutable, so its retention is applied at pruning time.
 */
record StampedClass(DataClass dataClass, Table<?> table, Field<UUID> organizationId, Field<UUID> callId,
                    Field<Instant> createdAt, Field<Instant> expiresAt, Condition present, Condition held) {

    /** A class whose rows are held by holds on their call (or, without a call, their organisation). */
    StampedClass(DataClass dataClass, Table<?> table, Field<UUID> organizationId, Field<UUID> callId,
                 Field<Instant> createdAt, Field<Instant> expiresAt, Condition present) {
        this(dataClass, table, organizationId, callId, createdAt, expiresAt, present,
                RetentionSql.callHeld(organizationId, callId));
    }

    static final StampedClass RECORDINGS = new StampedClass(DataClass.RECORDINGS, CALLS, CALLS.ORGANIZATION_ID,
            CALLS.ID, CALLS.CREATED_AT, CALLS.RECORDING_EXPIRES_AT, CALLS.RECORDING_KEY.isNotNull());
    static final StampedClass TRANSCRIPTS = new StampedClass(DataClass.TRANSCRIPTS, TRANSCRIPT_SEGMENTS,
            TRANSCRIPT_SEGMENTS.ORGANIZATION_ID, TRANSCRIPT_SEGMENTS.CALL_ID, TRANSCRIPT_SEGMENTS.CREATED_AT,
            TRANSCRIPT_SEGMENTS.EXPIRES_AT, DSL.noCondition());
    static final StampedClass SUMMARIES = new StampedClass(DataClass.SUMMARIES, CALL_SUMMARIES,
            CALL_SUMMARIES.ORGANIZATION_ID, CALL_SUMMARIES.CALL_ID, CALL_SUMMARIES.CREATED_AT, CALL_SUMMARIES.EXPIRES_AT,
            DSL.noCondition());
    static final StampedClass CALL_LOGS = new StampedClass(DataClass.CALL_LOGS, CALLS, CALLS.ORGANIZATION_ID, CALLS.ID,
            CALLS.CREATED_AT, CALLS.EXPIRES_AT, DSL.noCondition());
    static final StampedClass USAGE_RECORDS_CLASS = new StampedClass(DataClass.USAGE_RECORDS, USAGE_RECORDS,
            USAGE_RECORDS.ORGANIZATION_ID, USAGE_RECORDS.CALL_ID, USAGE_RECORDS.OCCURRED_AT, USAGE_RECORDS.EXPIRES_AT,
            DSL.noCondition());

    /**
     * The dialer's attempts and refusals are call logs too; holds on their campaign and contact count. Only
     * finished attempts, and none placed within the last day: an attempt in flight is the dialer's, and the
     * daily-attempt guard counts the last day's attempts, whatever the plan's call-log period.
     */
    static final StampedClass DIAL_ATTEMPTS_CLASS = new StampedClass(DataClass.CALL_LOGS, DIAL_ATTEMPTS,
            DIAL_ATTEMPTS.ORGANIZATION_ID, DIAL_ATTEMPTS.CALL_ID, DIAL_ATTEMPTS.PLACED_AT, DIAL_ATTEMPTS.EXPIRES_AT,
            DIAL_ATTEMPTS.STATE.eq("finished").and(DIAL_ATTEMPTS.PLACED_AT.lt(
                    DSL.field("now() - interval '1 day'", SQLDataType.INSTANT))), RetentionSql.dialHeld(DIAL_ATTEMPTS.ORGANIZATION_ID, DIAL_ATTEMPTS.CAMPAIGN_ID,
                    DIAL_ATTEMPTS.CONTACT_ID, DIAL_ATTEMPTS.CALL_ID));
    static final StampedClass DIAL_REFUSALS_CLASS = new StampedClass(DataClass.CALL_LOGS, DIAL_REFUSALS,
            DIAL_REFUSALS.ORGANIZATION_ID, DSL.castNull(SQLDataType.UUID), DIAL_REFUSALS.REFUSED_AT,
            DIAL_REFUSALS.EXPIRES_AT, DSL.noCondition(), RetentionSql.dialHeld(DIAL_REFUSALS.ORGANIZATION_ID,
                    DIAL_REFUSALS.CAMPAIGN_ID, DIAL_REFUSALS.CONTACT_ID, DSL.castNull(SQLDataType.UUID)));

    /** Texts: held by holds on their organisation, campaign, contact or call. */
    static final StampedClass MESSAGES_CLASS = new StampedClass(DataClass.MESSAGES, MESSAGES, MESSAGES.ORGANIZATION_ID,
            MESSAGES.CALL_ID, MESSAGES.CREATED_AT, MESSAGES.EXPIRES_AT, DSL.noCondition(),
            RetentionSql.dialHeld(MESSAGES.ORGANIZATION_ID, MESSAGES.CAMPAIGN_ID, MESSAGES.CONTACT_ID, MESSAGES.CALL_ID));

    static final List<StampedClass> ALL = List.of(RECORDINGS, TRANSCRIPTS, SUMMARIES, CALL_LOGS, USAGE_RECORDS_CLASS,
            DIAL_ATTEMPTS_CLASS, DIAL_REFUSALS_CLASS, MESSAGES_CLASS);

    /** Not held: no standing hold covers the item. */
    Condition notHeld() {
        return held.not();
    }
}
