package io.switchboard.calls;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_STAGES;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.compliance.Callee;
import io.switchboard.compliance.LiveCallCap;
import io.switchboard.compliance.OutboundGuards;
import io.switchboard.db.enums.CallDirection;
import io.switchboard.db.enums.CallState;
import io.switchboard.db.enums.StageState;
import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.PlanService;
import io.switchboard.queue.JobQueue;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.webhooks.WebhookEvent;
import io.switchboard.webhooks.Webhooks;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Calls: opening one under the plan's concurrency cap, storing its audio as it arrives, ending it (which
 * enqueues the post-call pipeline in the same transaction), and reading back the call with its transcript,
 * summary and stage progress. Methods taking a {@link Principal} check tenancy and role; the others are for
 * the server's live stream and the worker, which pass ids they obtained under a principal.
 *
 * <p>The lifecycle lives here; the parts it composes each own one thing: {@link CallRepository} the calls
 * row's SQL, {@link TranscriptStore} content at rest, {@code compliance/OutboundGuards} and
 * {@code compliance/LiveCallCap} the checks shared with the dialer. The worker's maintenance jobs (the
 * abandoned-call sweep, the HIPAA backfill) use those parts and {@link #end}.
 */
public final class CallService {

    public static final String PIPELINE_JOB = "call.pipeline";
    /** The pipeline stage whose completion makes a call's transcript final. */
    public static final String TRANSCRIBE_STAGE = "transcribe";
    public static final Duration MAX_URL_TTL = Duration.ofMinutes(15);
    public static final Duration HIPAA_MAX_URL_TTL = Duration.ofMinutes(5);
    /** The field of {@link CallSpec} holding the number an outbound call dials, as violations and refusals name it. */
    public static final String DIALLED_NUMBER = "to_number";
    /** How long a deleted call can be restored before it is purged. */
    public static final Duration PURGE_AFTER = Duration.ofDays(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final JobQueue jobs;
    private final RecordingStore recordings;
    private final AuditSink audit;
    private final TranscriptStore transcripts;
    private final Webhooks webhooks;
    private final CallRepository repository;
    private final OutboundGuards guards;
    private final TurnTimings timings;

    /**
     * @param recordings  where a live call's audio segments go, and recording URLs come from
     * @param transcripts the calls' spoken content, sealed at rest in HIPAA mode
     * @param webhooks    queues call.started, call.completed, transcript.ready and summary.ready events
     */
    public CallService(DSLContext dsl, Clock clock, PlanService plans, JobQueue jobs, RecordingStore recordings,
                       AuditSink audit, TranscriptStore transcripts, Webhooks webhooks) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.jobs = jobs;
        this.recordings = recordings;
        this.audit = audit;
        this.transcripts = transcripts;
        this.webhooks = webhooks;
        this.repository = new CallRepository(dsl);
        this.guards = new OutboundGuards(dsl, clock, audit);
        this.timings = new TurnTimings(dsl, clock);
    }

    /**
     * Validates the call's fields (violations name {@link CallSpec}'s fields: {@code agent_id}, {@code direction},
     * {@code format.sample_rate}…) and starts it, refusing one more than the plan's live-call limit. The
     * platform's own principals (no API key: the dialer, the carrier) open as the {@link Origin#CARRIER}.
     */
    public Call open(Principal actor, CallSpec spec) {
        return open(actor, spec, actor.apiKeyId() == null ? Origin.CARRIER : Origin.CLIENT);
    }

    /** As {@link #open(Principal, CallSpec)}, for a call whose origin its transport states. */
    public Call open(Principal actor, CallSpec spec, Origin origin) {
        actor.require(Role.AGENT, "placing or receiving calls");
        Violations v = new Violations();
        UUID agentId = id(v, "agent_id", spec.agentId(), true);
        UUID campaignId = id(v, "campaign_id", spec.campaignId(), false);
        UUID contactId = id(v, "contact_id", spec.contactId(), false);
        if (spec.direction() == null) {
            v.add("direction", "is required: inbound or outbound");
        }
        v.maxLength("from_number", spec.fromNumber(), 32).maxLength(DIALLED_NUMBER, spec.toNumber(), 32);
        AudioFormat.validate("format.", spec.encoding(), spec.sampleRate(), spec.channels(), v);
        v.throwIfAny();
        AudioFormat format = new AudioFormat(spec.encoding(), spec.sampleRate(), spec.channels(), spec.container());
        int maxLive = plans.effectivePolicy(actor.organizationId()).limits().maxConcurrentCalls();
        Instant now = now();
        Call call = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            Integer version = tx.select(AGENTS.VERSION).from(AGENTS).where(AGENTS.ID.eq(agentId))
                    .and(AGENTS.ORGANIZATION_ID.eq(actor.organizationId())).and(AGENTS.DELETED_AT.isNull())
                    .forShare().fetchOptional(AGENTS.VERSION)
                    .orElseThrow(() -> new SwitchboardException.NotFound("agent", agentId.toString()));
            if (campaignId != null && !tx.fetchExists(CAMPAIGNS, CAMPAIGNS.ID.eq(campaignId)
                    .and(CAMPAIGNS.ORGANIZATION_ID.eq(actor.organizationId())).and(CAMPAIGNS.DELETED_AT.isNull()))) {
                throw new SwitchboardException.NotFound("campaign", campaignId.toString());
            }
            if (contactId != null && !tx.fetchExists(CONTACTS, CONTACTS.ID.eq(contactId)
                    .and(CONTACTS.ORGANIZATION_ID.eq(actor.organizationId())).and(CONTACTS.DELETED_AT.isNull()))) {
                throw new SwitchboardException.NotFound("contact", contactId.toString());
            }
            if (spec.direction() == Call.Direction.OUTBOUND) {
                Callee callee = OutboundGuards.callee(tx, spec.toNumber(), Optional.ofNullable(contactId));
                guards.refuseIfDoNotCall(tx, actor, callee, DIALLED_NUMBER);
                // a call the dialer placed was checked against the window when it was dialled, which is what the
                // rules govern; the callee answering a minute later must not be hung up on
                if (campaignId != null && origin != Origin.CARRIER) {
                    guards.refuseOutsideCallingWindow(tx, actor, callee, campaignId, now);
                }
            }
            // a campaign call the carrier opens was given its slot when the dialer claimed it
            if (!(origin == Origin.CARRIER && campaignId != null)) {
                LiveCallCap.claim(tx, actor.organizationId(), maxLive);
            }
            CallsRecord r = tx.newRecord(CALLS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                    .setAgentId(agentId).setAgentVersion(version).setCampaignId(campaignId).setContactId(contactId)
                    .setDirection(CallDirection.valueOf(spec.direction().name().toLowerCase(Locale.ROOT)))
                    .setFromNumber(nn(spec.fromNumber())).setToNumber(nn(spec.toNumber()))
                    .setState(CallState.active).setEndReason("").setAudioBytes(0L).setAudioSegments(0)
                    .setAudioEncoding(format.encoding().name().toLowerCase(Locale.ROOT))
                    .setSampleRate(format.sampleRate()).setChannels((short) format.channels())
                    .setStartedAt(now).setLastAudioAt(now).setCreatedAt(now).setUpdatedAt(now)
                    .setExpiresAt(expiry(actor.organizationId(), DataClass.CALL_LOGS, now));
            r.store();
            audit.record(tx, AuditEvent.of(actor, "call.open", "call", r.getId(), Map.of("agent_version",
                    Integer.toString(version), "origin", origin.name().toLowerCase(Locale.ROOT)), now));
            webhooks.emitForCall(tx, actor.organizationId(), r.getId(), WebhookEvent.CALL_STARTED, callEvent(r));
            return CallRepository.toDomain(r);
        });
        return call;
    }

    /** The threads {@link #storeSegment} runs on for live calls (the object store's uploads). */
    public io.switchboard.storage.Uploads segmentUploads() {
        return recordings.uploads();
    }

    /** Stores segment {@code n} of a live call's audio and counts it; false if the call is no longer active. */
    public boolean storeSegment(UUID org, UUID callId, int n, byte[] audio) {
        recordings.writeSegment(org, callId, n, audio);
        return repository.countSegment(org, callId, n, audio.length, now());
    }

    /**
     * Ends a live call and, in the same transaction, enqueues its post-call pipeline. Ending twice changes
     * nothing the second time.
     */
    public Call end(UUID org, UUID callId, Call.State state, String reason) {
        Instant now = now();
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            CallsRecord r = tx.selectFrom(CALLS).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org))
                    .forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("call", callId.toString()));
            if (r.getState() == CallState.active) {
                r.setState(state == Call.State.FAILED ? CallState.failed : CallState.ended)
                        .setEndReason(abbreviate(nn(reason), 500)).setEndedAt(now).setUpdatedAt(now).store();
                // the request's trace id travels with the job, so the worker's log lines join the server's
                ObjectNode payload = JSON.createObjectNode().put("call_id", callId.toString());
                Optional.ofNullable(io.switchboard.common.LogContext.get("trace_id")).ifPresent(t -> payload.put("trace_id", t));
                io.switchboard.common.Tracing.currentTraceparent().ifPresent(t -> payload.put("traceparent", t));
                jobs.enqueue(tx, JobQueue.NewJob.of(PIPELINE_JOB, org, payload.toString(), "call:" + callId));
                webhooks.emitForCall(tx, org, callId, WebhookEvent.CALL_COMPLETED, callEvent(r)
                        .put("state", r.getState().getLiteral()).put("end_reason", r.getEndReason())
                        .put("ended_at", now.toString())
                        .put("audio_ms", AudioLength.millis(r.getAudioBytes(), CallRepository.toDomain(r).format())));
            }
            return CallRepository.toDomain(r);
        });
    }

    /** Saves a final transcript utterance (again: the same channel and seq overwrite, nothing doubles). */
    public void saveSegment(UUID org, UUID callId, TranscriptSegment s) {
        saveSegment(dsl, org, callId, s);
    }

    public void saveSegment(DSLContext tx, UUID org, UUID callId, TranscriptSegment s) {
        transcripts.save(tx, org, callId, s);
    }

    public List<TranscriptSegment> transcript(UUID org, UUID callId) {
        return transcripts.transcript(org, callId);
    }

    public Optional<CallSummary> summary(UUID org, UUID callId) {
        return transcripts.summary(org, callId);
    }

    /** Saves the call's summary once (a repeated pipeline run changes nothing) and queues summary.ready with it. */
    public void saveSummary(UUID org, UUID callId, CallSummary s) {
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            if (transcripts.saveSummary(tx, org, callId, s)) {
                // committed with the summary; no content in the event: receivers fetch it (reads of PHI are audited)
                webhooks.emitForCall(tx, org, callId, WebhookEvent.SUMMARY_READY, JSON.createObjectNode().put("call_id", callId.toString())
                        .put("disposition", s.disposition().orElse(null)).put("provider", s.provider()));
            }
        });
    }

    /** A call of the caller's organisation that is not deleted. */
    public Call get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading calls");
        return repository.findLive(actor.organizationId(), Ids.parse("id", idText))
                .orElseThrow(() -> new SwitchboardException.NotFound("call", idText));
    }

    /**
     * Soft delete: the call disappears from reads and lists at once; {@link #PURGE_AFTER} later the retention
     * sweeper deletes it with its recording, transcript and summary (unless a legal hold stands). Until then
     * {@link #restore} brings it back. A call still in progress cannot be deleted.
     *
     * @return when the call will be purged
     */
    public Instant delete(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting calls");
        Call call = get(actor, idText);
        if (call.state() == Call.State.ACTIVE) {
            throw new SwitchboardException.FailedPrecondition("CALL_ACTIVE",
                    "call " + call.id() + " is in progress; end it before deleting it");
        }
        Instant now = now();
        Instant purgeAt = now.plus(PURGE_AFTER);
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            if (repository.markDeleted(tx, actor.organizationId(), call.id(), now, purgeAt)) {
                audit.record(tx, AuditEvent.of(actor, "call.delete", "call", call.id(),
                        Map.of("purge_at", purgeAt.toString()), now));
            }
        });
        return purgeAt;
    }

    /** Undoes {@link #delete} while the call is not yet purged. */
    public Call restore(Principal actor, String idText) {
        actor.require(Role.ADMIN, "restoring calls");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        boolean restored = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            boolean changed = repository.unmarkDeleted(tx, actor.organizationId(), id, now);
            if (changed) {
                audit.record(tx, AuditEvent.of(actor, "call.restore", "call", id, Map.of(), now));
            }
            return changed;
        });
        if (!restored) {
            get(actor, idText); // NOT_FOUND if it is gone or another organisation's
            throw new SwitchboardException.FailedPrecondition("NOT_DELETED", "call " + id + " is not deleted");
        }
        return get(actor, idText);
    }

    /** What a reader sees of a call's spoken content. */
    public record Content(List<TranscriptSegment> transcript, Optional<CallSummary> summary) {
    }

    /**
     * The call's transcript and summary for {@code actor}. In a HIPAA-mode organisation every such read of
     * PHI is audited ({@code call.content.read}), whoever reads and however much.
     */
    public Content content(Principal actor, Call call, String how) {
        actor.require(Role.VIEWER, "reading calls");
        if (!call.organizationId().equals(actor.organizationId())) {
            throw new SwitchboardException.NotFound("call", call.id().toString());
        }
        Content c = new Content(transcript(call.organizationId(), call.id()), summary(call.organizationId(), call.id()));
        if (hipaaMode(call.organizationId())) {
            // fails closed: a read of PHI that cannot be audited is not served
            audit.record(dsl, AuditEvent.of(actor, "call.content.read", "call", call.id(), Map.of("via", how,
                    "transcript_segments", Integer.toString(c.transcript().size()),
                    "summary", Boolean.toString(c.summary().isPresent())), now()));
        }
        return c;
    }

    /** A live transcript is PHI too: in HIPAA mode, following a call is audited. */
    public void auditLiveRead(Principal actor, Call call) {
        if (hipaaMode(call.organizationId())) {
            audit.record(dsl, AuditEvent.of(actor, "call.content.read", "call", call.id(), Map.of("via", "watch"), now()));
        }
    }

    /** Whether the organisation is in HIPAA mode now (content sealed, reads audited, BAA-only summarisers). */
    public boolean hipaaMode(UUID org) {
        return repository.hipaaMode(org);
    }

    public Optional<Call> find(UUID org, UUID callId) {
        return repository.find(org, callId);
    }

    public Page<Call> list(Principal actor, String campaignIdText, String agentIdText, Optional<Call.State> state,
                           int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing calls");
        Optional<UUID> campaign = Ids.parseOptional("campaign_id", campaignIdText);
        Optional<UUID> agent = Ids.parseOptional("agent_id", agentIdText);
        String scope = "calls:" + campaign.map(UUID::toString).orElse("") + ":" + agent.map(UUID::toString).orElse("")
                + ":" + state.map(Enum::name).orElse("");
        return repository.list(actor.organizationId(), campaign, agent, state, PageRequest.of(pageSize, pageToken, scope),
                scope);
    }

    /** What every call event says about the call: ids and numbers, never content. */
    private static ObjectNode callEvent(CallsRecord r) {
        ObjectNode n = JSON.createObjectNode().put("call_id", r.getId().toString())
                .put("agent_id", r.getAgentId().toString()).put("direction", r.getDirection().getLiteral())
                .put("from_number", r.getFromNumber()).put("to_number", r.getToNumber())
                .put("started_at", r.getStartedAt().toString());
        n.put("campaign_id", r.getCampaignId() == null ? null : r.getCampaignId().toString());
        n.put("contact_id", r.getContactId() == null ? null : r.getContactId().toString());
        return n;
    }

    /**
     * Keeps one agent reply's timing; the variables it filled are those of the call's live outcome so far that no
     * earlier reply filled (the conversation stores a turn's variables before its reply's first audio).
     */
    public void saveTurnTiming(UUID org, UUID callId, TurnTiming t) {
        timings.save(org, callId, t, summary(org, callId).map(s -> s.variables().keySet()).orElse(java.util.Set.of()));
    }

    /** The agent's replies on the call, in order (the caller has read the call as {@code org}'s). */
    public List<TurnTiming> turnTimings(UUID org, UUID callId) {
        return timings.of(org, callId);
    }

    public List<Stage> stages(UUID org, UUID callId) {
        return repository.stages(org, callId);
    }

    /**
     * Records a pipeline stage's state. When the transcribe stage first completes (succeeded, live or from the
     * recording, or skipped), transcript.ready is queued in the same transaction: exactly once per call, by
     * whichever path completed it.
     */
    public void setStage(UUID org, UUID callId, String stage, String state, String detail) {
        Instant now = now();
        StageState s = StageState.valueOf(state);
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            StageState before = tx.select(CALL_STAGES.STATE).from(CALL_STAGES).where(CALL_STAGES.CALL_ID.eq(callId))
                    .and(CALL_STAGES.STAGE.eq(stage)).forUpdate().fetchOptional(CALL_STAGES.STATE).orElse(null);
            tx.insertInto(CALL_STAGES).set(CALL_STAGES.CALL_ID, callId).set(CALL_STAGES.ORGANIZATION_ID, org)
                    .set(CALL_STAGES.STAGE, stage).set(CALL_STAGES.STATE, s).set(CALL_STAGES.DETAIL, abbreviate(detail, 2000))
                    .set(CALL_STAGES.UPDATED_AT, now)
                    .onConflict(CALL_STAGES.CALL_ID, CALL_STAGES.STAGE).doUpdate()
                    .set(CALL_STAGES.STATE, s).set(CALL_STAGES.DETAIL, abbreviate(detail, 2000)).set(CALL_STAGES.UPDATED_AT, now)
                    .execute();
            if (stage.equals(TRANSCRIBE_STAGE) && complete(s) && (before == null || !complete(before))) {
                int segments = tx.fetchCount(TRANSCRIPT_SEGMENTS, TRANSCRIPT_SEGMENTS.CALL_ID.eq(callId)
                        .and(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID.eq(org)));
                webhooks.emitForCall(tx, org, callId, WebhookEvent.TRANSCRIPT_READY, JSON.createObjectNode()
                        .put("call_id", callId.toString()).put("segments", segments));
            }
        });
    }

    private static boolean complete(StageState s) {
        return s == StageState.succeeded || s == StageState.skipped;
    }

    /** The provider of a summary row the live conversation wrote before the call was summarised. */
    public static final String LIVE_PROVIDER = TranscriptStore.LIVE_PROVIDER;

    /**
     * The variables an agent captured and the disposition it decided during the call, kept as they come; the
     * summary stage then adds the summary and keeps these values over its own.
     */
    public void saveLiveOutcome(UUID org, UUID callId, Map<String, String> variables, Optional<String> disposition) {
        transcripts.saveLiveOutcome(org, callId, variables, disposition);
    }

    /** Records the assembled recording; the first writer wins, so a repeated pipeline run changes nothing. */
    public boolean recordRecording(UUID org, UUID callId, RecordingStore.Assembled a) {
        Instant created = repository.createdAt(org, callId).orElse(null);
        if (created == null) {
            return false; // purged meanwhile
        }
        // kept from the call's start
        return repository.setRecording(org, callId, a, expiry(org, DataClass.RECORDINGS, created), now());
    }

    /** When an item of {@code c} created at {@code created} expires under the organisation's plan; null: never. */
    private Instant expiry(UUID org, DataClass c, Instant created) {
        return plans.effectivePolicy(org).retention(c).expiry(created).orElse(null);
    }

    public int segments(UUID org, UUID callId) {
        return repository.segments(org, callId);
    }

    /** A presigned URL and when it stops working. */
    public record RecordingUrl(String url, Instant expiresAt) {
    }

    /**
     * A presigned GET of the assembled recording: at most {@link #MAX_URL_TTL}, or {@link #HIPAA_MAX_URL_TTL}
     * in HIPAA mode (also the default there); audited.
     */
    public RecordingUrl recordingUrl(Principal actor, String idText, Optional<Duration> ttl) {
        actor.require(Role.VIEWER, "listening to recordings");
        Call call = get(actor, idText);
        Duration max = hipaaMode(call.organizationId()) ? HIPAA_MAX_URL_TTL : MAX_URL_TTL;
        Duration t = ttl.orElse(max);
        if (t.isNegative() || t.isZero() || t.compareTo(max) > 0) {
            throw new SwitchboardException.InvalidArgument("ttl", "must be between 1 second and " + max.toMinutes()
                    + " minutes" + (max.equals(HIPAA_MAX_URL_TTL) ? " (HIPAA mode)" : ""));
        }
        Call.Recording rec = call.recording().orElseThrow(() -> noRecording(call));
        Instant now = now();
        audit.record(dsl, AuditEvent.of(actor, "recording.url", "call", call.id(), Map.of("ttl_seconds",
                Long.toString(t.toSeconds())), now));
        return new RecordingUrl(recordings.presignedGet(rec.key(), t), now.plus(t));
    }

    private SwitchboardException noRecording(Call call) {
        Instant deletedAt = repository.recordingDeletedAt(call.id()).orElse(null);
        if (deletedAt != null) {
            return new SwitchboardException.FailedPrecondition("RECORDING_EXPIRED", "call " + call.id()
                    + "'s recording was deleted at " + deletedAt + " when it expired under the plan's retention");
        }
        return new SwitchboardException.FailedPrecondition("RECORDING_NOT_READY", "call " + call.id()
                + "'s recording is not assembled yet; the worker does that after the call ends (see the call's stages)");
    }

    private static UUID id(Violations v, String field, String text, boolean required) {
        if ((text == null || text.isEmpty()) && !required) {
            return null;
        }
        try {
            return Ids.parse(field, text);
        } catch (SwitchboardException.InvalidArgument e) {
            e.violations().forEach(x -> v.add(x.field(), x.reason()));
            return null;
        }
    }

    private static String nn(String s) {
        return s == null ? "" : s;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
