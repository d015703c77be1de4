package io.switchboard.calls;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_STAGES;
import static io.switchboard.db.Tables.ORGANIZATIONS;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audio.AudioFormat;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.db.enums.CallState;
import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.recordings.RecordingStore;
import org.jooq.Condition;
import org.jooq.DSLContext;

/**
 * The SQL of the {@code calls} row outside the lifecycle's transactions (opening and ending a call, which
 * also audit and queue events, stay in {@link CallService}), and the one mapping of a row to a {@link Call}.
 * Every method is scoped to an organisation except the worker's sweep of {@link #abandoned} calls.
 */
public final class CallRepository {

    private final DSLContext dsl;

    public CallRepository(DSLContext dsl) {
        this.dsl = dsl;
    }

    public Optional<Call> find(UUID org, UUID callId) {
        return dsl.selectFrom(CALLS).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org)).fetchOptional()
                .map(CallRepository::toDomain);
    }

    /** The call unless it is deleted. */
    public Optional<Call> findLive(UUID org, UUID callId) {
        return dsl.selectFrom(CALLS).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org))
                .and(CALLS.DELETED_AT.isNull()).fetchOptional().map(CallRepository::toDomain);
    }

    /** Calls not deleted, newest last by creation, each filter applied when present. */
    public Page<Call> list(UUID org, Optional<UUID> campaign, Optional<UUID> agent, Optional<Call.State> state,
                           PageRequest page, String scope) {
        Condition where = CALLS.ORGANIZATION_ID.eq(org).and(CALLS.DELETED_AT.isNull());
        if (campaign.isPresent()) {
            where = where.and(CALLS.CAMPAIGN_ID.eq(campaign.get()));
        }
        if (agent.isPresent()) {
            where = where.and(CALLS.AGENT_ID.eq(agent.get()));
        }
        if (state.isPresent()) {
            where = where.and(CALLS.STATE.eq(CallState.valueOf(state.get().name().toLowerCase(Locale.ROOT))));
        }
        return Keyset.page(dsl, CALLS, where, CALLS.CREATED_AT, CALLS.ID, page, scope, CallRepository::toDomain,
                c -> new PageRequest.Cursor(c.startedAt(), c.id()));
    }

    /** Counts segment {@code n} of an active call's audio; false if the call ended or {@code n} is not next. */
    public boolean countSegment(UUID org, UUID callId, int n, long bytes, Instant now) {
        return dsl.update(CALLS).set(CALLS.AUDIO_BYTES, CALLS.AUDIO_BYTES.plus(bytes))
                .set(CALLS.AUDIO_SEGMENTS, n + 1).set(CALLS.LAST_AUDIO_AT, now).set(CALLS.UPDATED_AT, now)
                .where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org)).and(CALLS.STATE.eq(CallState.active))
                .and(CALLS.AUDIO_SEGMENTS.eq(n))
                .execute() == 1;
    }

    public int segments(UUID org, UUID callId) {
        return dsl.select(CALLS.AUDIO_SEGMENTS).from(CALLS).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org))
                .fetchOne(CALLS.AUDIO_SEGMENTS);
    }

    /** When the call row was created; empty if it is purged. */
    public Optional<Instant> createdAt(UUID org, UUID callId) {
        return dsl.select(CALLS.CREATED_AT).from(CALLS).where(CALLS.ID.eq(callId))
                .and(CALLS.ORGANIZATION_ID.eq(org)).fetchOptional(CALLS.CREATED_AT);
    }

    /** Sets the assembled recording unless one is set or was deleted; true if this call set it. */
    public boolean setRecording(UUID org, UUID callId, RecordingStore.Assembled a, Instant expiresAt, Instant now) {
        return dsl.update(CALLS).set(CALLS.RECORDING_KEY, a.key()).set(CALLS.RECORDING_BYTES, a.bytes())
                .set(CALLS.RECORDING_SHA256, a.sha256()).set(CALLS.UPDATED_AT, now)
                .set(CALLS.RECORDING_EXPIRES_AT, expiresAt)
                .where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org)).and(CALLS.RECORDING_KEY.isNull())
                .and(CALLS.RECORDING_DELETED_AT.isNull())
                .execute() == 1;
    }

    /** When retention deleted the call's recording; empty if it did not. */
    public Optional<Instant> recordingDeletedAt(UUID callId) {
        return Optional.ofNullable(dsl.select(CALLS.RECORDING_DELETED_AT).from(CALLS).where(CALLS.ID.eq(callId))
                .fetchOne(CALLS.RECORDING_DELETED_AT));
    }

    /** Soft-deletes the call in {@code tx}; false if it was deleted already. */
    public boolean markDeleted(DSLContext tx, UUID org, UUID callId, Instant now, Instant purgeAt) {
        return tx.update(CALLS).set(CALLS.DELETED_AT, now).set(CALLS.PURGE_AT, purgeAt).set(CALLS.UPDATED_AT, now)
                .where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org))
                .and(CALLS.DELETED_AT.isNull()).execute() == 1;
    }

    /** Undoes {@link #markDeleted} in {@code tx}; false if the call is not deleted (or not there). */
    public boolean unmarkDeleted(DSLContext tx, UUID org, UUID callId, Instant now) {
        return tx.update(CALLS).set(CALLS.DELETED_AT, (Instant) null).set(CALLS.PURGE_AT, (Instant) null)
                .set(CALLS.UPDATED_AT, now).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org))
                .and(CALLS.DELETED_AT.isNotNull()).execute() == 1;
    }

    /** Active calls of any organisation whose last audio arrived before {@code cutoff}, at most {@code limit}. */
    public List<Call> abandoned(Instant cutoff, int limit) {
        return dsl.selectFrom(CALLS).where(CALLS.STATE.eq(CallState.active))
                .and(CALLS.LAST_AUDIO_AT.lt(cutoff)).limit(limit).fetch(CallRepository::toDomain);
    }

    public List<Stage> stages(UUID org, UUID callId) {
        return dsl.selectFrom(CALL_STAGES).where(CALL_STAGES.CALL_ID.eq(callId)).and(CALL_STAGES.ORGANIZATION_ID.eq(org))
                .orderBy(CALL_STAGES.UPDATED_AT)
                .fetch(r -> new Stage(r.getStage(), r.getState().getLiteral(), r.getDetail()));
    }

    /** Whether the organisation is in HIPAA mode now (content sealed, reads audited, BAA-only summarisers). */
    public boolean hipaaMode(UUID org) {
        return Boolean.TRUE.equals(dsl.select(ORGANIZATIONS.HIPAA_MODE).from(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(org))
                .fetchOne(ORGANIZATIONS.HIPAA_MODE));
    }

    static Call toDomain(CallsRecord r) {
        AudioFormat format = new AudioFormat(AudioFormat.Encoding.valueOf(r.getAudioEncoding().toUpperCase(Locale.ROOT)),
                r.getSampleRate(), r.getChannels(), AudioFormat.Container.RAW);
        Optional<Call.Recording> rec = r.getRecordingKey() == null ? Optional.empty()
                : Optional.of(new Call.Recording(r.getRecordingKey(), r.getRecordingBytes(), r.getRecordingSha256(),
                RecordingStore.CONTENT_TYPE));
        return new Call(r.getId(), r.getOrganizationId(), r.getAgentId(), r.getAgentVersion(),
                Optional.ofNullable(r.getCampaignId()), Optional.ofNullable(r.getContactId()),
                Call.Direction.valueOf(r.getDirection().getLiteral().toUpperCase(Locale.ROOT)), r.getFromNumber(),
                r.getToNumber(), Call.State.valueOf(r.getState().getLiteral().toUpperCase(Locale.ROOT)), r.getEndReason(),
                format, r.getAudioBytes(), rec, r.getStartedAt(), Optional.ofNullable(r.getEndedAt()));
    }
}
