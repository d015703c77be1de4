package io.switchboard.calls;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_STAGES;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.campaigns.CallingWindow;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.db.enums.CallDirection;
import io.switchboard.db.enums.CallState;
import io.switchboard.db.enums.StageState;
import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.encryption.ContentSeal;
import io.switchboard.encryption.MasterKeys;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.PlanService;
import io.switchboard.queue.JobQueue;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.transcription.Word;
import io.switchboard.webhooks.WebhookEvent;
import io.switchboard.webhooks.Webhooks;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Calls: opening one under the plan's concurrency cap, storing its audio as it arrives, ending it (which
 * enqueues the post-call pipeline in the same transaction), and reading back the call with its transcript,
 * summary and stage progress. Methods taking a {@link Principal} check tenancy and role; the others are for
 * the server's live stream and the worker, which pass ids they obtained under a principal.
 */
public final class CallService {

    public static final String PIPELINE_JOB = "call.pipeline";
    /** The pipeline stage whose completion makes a call's transcript final. */
    public static final String TRANSCRIBE_STAGE = "transcribe";
    public static final Duration MAX_URL_TTL = Duration.ofMinutes(15);
    public static final Duration HIPAA_MAX_URL_TTL = Duration.ofMinutes(5);
    /** How long a deleted call can be restored before it is purged. */
    public static final Duration PURGE_AFTER = Duration.ofDays(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final JobQueue jobs;
    private final RecordingStore recordings;
    private final AuditSink audit;
    private final ContentSeal seal;
    private final Webhooks webhooks;

    /** With data keys wrapped by an in-memory master key (tests). */
    public CallService(DSLContext dsl, Clock clock, PlanService plans, JobQueue jobs, RecordingStore recordings,
                       AuditSink audit) {
        this(dsl, clock, plans, jobs, recordings, audit, new ContentSeal(dsl, clock, MasterKeys.generate()),
                new Webhooks(dsl, clock, audit));
    }

    /**
     * @param seal     encrypts transcripts, summaries and variables of HIPAA-mode organisations at rest
     * @param webhooks queues call.started, call.completed, transcript.ready and summary.ready events
     */
    public CallService(DSLContext dsl, Clock clock, PlanService plans, JobQueue jobs, RecordingStore recordings,
                       AuditSink audit, ContentSeal seal, Webhooks webhooks) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.jobs = jobs;
        this.recordings = recordings;
        this.audit = audit;
        this.seal = seal;
        this.webhooks = webhooks;
    }

    public RecordingStore recordings() {
        return recordings;
    }

    public ContentSeal seal() {
        return seal;
    }

    /**
     * Validates the opening message and starts a call, refusing one more than the plan's live-call limit. The
     * platform's own principals (no API key: the dialer, the carrier) open as the {@link Origin#CARRIER}.
     */
    public Call open(Principal actor, CallSpec spec) {
        return open(actor, spec, actor.apiKeyId() == null ? Origin.CARRIER : Origin.CLIENT);
    }

    /** As {@link #open(Principal, CallSpec)}, for a call whose origin its transport states. */
    public Call open(Principal actor, CallSpec spec, Origin origin) {
        actor.require(Role.AGENT, "placing or receiving calls");
        Violations v = new Violations();
        UUID agentId = id(v, "open.agent_id", spec.agentId(), true);
        UUID campaignId = id(v, "open.campaign_id", spec.campaignId(), false);
        UUID contactId = id(v, "open.contact_id", spec.contactId(), false);
        if (spec.direction() == null) {
            v.add("open.direction", "is required: DIRECTION_INBOUND or DIRECTION_OUTBOUND");
        }
        v.maxLength("open.from_number", spec.fromNumber(), 32).maxLength("open.to_number", spec.toNumber(), 32);
        AudioFormat.validate("open.format.", spec.encoding(), spec.sampleRate(), spec.channels(), v);
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
                Callee callee = callee(tx, spec, contactId);
                refuseIfDoNotCall(tx, actor, callee);
                // a call the dialer placed was checked against the window when it was dialled, which is what the
                // rules govern; the callee answering a minute later must not be hung up on
                if (campaignId != null && origin != Origin.CARRIER) {
                    refuseOutsideCallingWindow(tx, actor, callee, campaignId, now);
                }
            }
            // a campaign call the carrier opens was given its slot when the dialer claimed it
            if (maxLive > 0 && !(origin == Origin.CARRIER && campaignId != null)) {
                tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))", "calls:" + actor.organizationId()))
                        .fetch();
                // live calls, and the dialer's attempts that hold a slot for a call not yet answered
                int live = tx.fetchCount(CALLS, CALLS.ORGANIZATION_ID.eq(actor.organizationId())
                        .and(CALLS.STATE.eq(CallState.active)))
                        + tx.fetchCount(DIAL_ATTEMPTS, DIAL_ATTEMPTS.ORGANIZATION_ID.eq(actor.organizationId())
                        .and(DIAL_ATTEMPTS.STATE.ne("finished")).and(DIAL_ATTEMPTS.CALL_ID.isNull()));
                if (live >= maxLive) {
                    throw new SwitchboardException.ResourceExhausted("quota:concurrent_calls", "the plan allows "
                            + maxLive + " live calls and " + live + " are in progress or ringing; end one or move to a larger plan",
                            Duration.ofSeconds(5));
                }
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
                    Integer.toString(version)), now));
            webhooks.emitForCall(tx, actor.organizationId(), r.getId(), WebhookEvent.CALL_STARTED, callEvent(r));
            return toDomain(r);
        });
        return call;
    }

    /** Stores segment {@code n} of a live call's audio and counts it; false if the call is no longer active. */
    public boolean storeSegment(UUID org, UUID callId, int n, byte[] audio) {
        recordings.writeSegment(org, callId, n, audio);
        Instant now = now();
        return dsl.update(CALLS).set(CALLS.AUDIO_BYTES, CALLS.AUDIO_BYTES.plus((long) audio.length))
                .set(CALLS.AUDIO_SEGMENTS, n + 1).set(CALLS.LAST_AUDIO_AT, now).set(CALLS.UPDATED_AT, now)
                .where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org)).and(CALLS.STATE.eq(CallState.active))
                .and(CALLS.AUDIO_SEGMENTS.eq(n))
                .execute() == 1;
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
                        .put("ended_at", now.toString()).put("audio_ms", audioMs(r)));
            }
            return toDomain(r);
        });
    }

    /** Saves a final transcript utterance (again: the same channel and seq overwrite, nothing doubles). */
    public void saveSegment(UUID org, UUID callId, TranscriptSegment s) {
        saveSegment(dsl, org, callId, s);
    }

    public void saveSegment(DSLContext tx, UUID org, UUID callId, TranscriptSegment s) {
        ArrayNode words = JSON.createArrayNode();
        for (Word w : s.words()) {
            words.addObject().put("word", w.text()).put("start_ms", w.start().toMillis()).put("end_ms", w.end().toMillis())
                    .put("confidence", w.confidence());
        }
        EffectivePolicy policy = plans.effectivePolicy(org); // one read for both: HIPAA mode and the expiry
        String text = s.text();
        JSONB wordsJson = JSONB.jsonb(words.toString());
        byte[] sealed = null;
        if (policy.hipaaMode()) { // at rest only as ciphertext bound to this row
            sealed = seal.seal(org, segmentPlace(callId, s.channel(), s.seq()),
                    JSON.createObjectNode().put("text", text).set("words", words).toString());
            text = "";
            wordsJson = JSONB.jsonb("[]");
        }
        tx.insertInto(TRANSCRIPT_SEGMENTS)
                .set(TRANSCRIPT_SEGMENTS.CALL_ID, callId).set(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID, org)
                .set(TRANSCRIPT_SEGMENTS.CHANNEL, (short) s.channel()).set(TRANSCRIPT_SEGMENTS.SEQ, s.seq())
                .set(TRANSCRIPT_SEGMENTS.SPEAKER, s.speaker()).set(TRANSCRIPT_SEGMENTS.START_MS, s.startMs())
                .set(TRANSCRIPT_SEGMENTS.END_MS, Math.max(s.startMs(), s.endMs())).set(TRANSCRIPT_SEGMENTS.TEXT, text)
                .set(TRANSCRIPT_SEGMENTS.WORDS, wordsJson).set(TRANSCRIPT_SEGMENTS.SEALED, sealed)
                .set(TRANSCRIPT_SEGMENTS.SOURCE, s.source())
                .set(TRANSCRIPT_SEGMENTS.CREATED_AT, now())
                .set(TRANSCRIPT_SEGMENTS.EXPIRES_AT, policy.retention(DataClass.TRANSCRIPTS).expiry(now()).orElse(null))
                .onConflict(TRANSCRIPT_SEGMENTS.CALL_ID, TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ)
                .doUpdate().set(TRANSCRIPT_SEGMENTS.TEXT, text).set(TRANSCRIPT_SEGMENTS.WORDS, wordsJson)
                .set(TRANSCRIPT_SEGMENTS.SEALED, sealed)
                .execute();
    }

    /** A call of the caller's organisation that is not deleted. */
    public Call get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading calls");
        return dsl.selectFrom(CALLS).where(CALLS.ID.eq(Ids.parse("id", idText)))
                .and(CALLS.ORGANIZATION_ID.eq(actor.organizationId())).and(CALLS.DELETED_AT.isNull()).fetchOptional()
                .map(CallService::toDomain).orElseThrow(() -> new SwitchboardException.NotFound("call", idText));
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
            if (tx.update(CALLS).set(CALLS.DELETED_AT, now).set(CALLS.PURGE_AT, purgeAt).set(CALLS.UPDATED_AT, now)
                    .where(CALLS.ID.eq(call.id())).and(CALLS.ORGANIZATION_ID.eq(actor.organizationId()))
                    .and(CALLS.DELETED_AT.isNull()).execute() == 1) {
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
        int n = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            int changed = tx.update(CALLS).set(CALLS.DELETED_AT, (Instant) null).set(CALLS.PURGE_AT, (Instant) null)
                    .set(CALLS.UPDATED_AT, now).where(CALLS.ID.eq(id)).and(CALLS.ORGANIZATION_ID.eq(actor.organizationId()))
                    .and(CALLS.DELETED_AT.isNotNull()).execute();
            if (changed == 1) {
                audit.record(tx, AuditEvent.of(actor, "call.restore", "call", id, Map.of(), now));
            }
            return changed;
        });
        if (n == 0) {
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
        return Boolean.TRUE.equals(dsl.select(ORGANIZATIONS.HIPAA_MODE).from(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(org))
                .fetchOne(ORGANIZATIONS.HIPAA_MODE));
    }

    public Optional<Call> find(UUID org, UUID callId) {
        return dsl.selectFrom(CALLS).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org)).fetchOptional()
                .map(CallService::toDomain);
    }

    public Page<Call> list(Principal actor, String campaignIdText, String agentIdText, Optional<Call.State> state,
                           int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing calls");
        Optional<UUID> campaign = Ids.parseOptional("campaign_id", campaignIdText);
        Optional<UUID> agent = Ids.parseOptional("agent_id", agentIdText);
        String scope = "calls:" + campaign.map(UUID::toString).orElse("") + ":" + agent.map(UUID::toString).orElse("")
                + ":" + state.map(Enum::name).orElse("");
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition where = CALLS.ORGANIZATION_ID.eq(actor.organizationId()).and(CALLS.DELETED_AT.isNull());
        if (campaign.isPresent()) {
            where = where.and(CALLS.CAMPAIGN_ID.eq(campaign.get()));
        }
        if (agent.isPresent()) {
            where = where.and(CALLS.AGENT_ID.eq(agent.get()));
        }
        if (state.isPresent()) {
            where = where.and(CALLS.STATE.eq(CallState.valueOf(state.get().name().toLowerCase(Locale.ROOT))));
        }
        return Keyset.page(dsl, CALLS, where, CALLS.CREATED_AT, CALLS.ID, page, scope, CallService::toDomain,
                c -> new PageRequest.Cursor(createdAt(c), c.id()));
    }

    private Instant createdAt(Call c) {
        return c.startedAt();
    }

    public List<TranscriptSegment> transcript(UUID org, UUID callId) {
        return dsl.selectFrom(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(callId))
                .and(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID.eq(org))
                .orderBy(TRANSCRIPT_SEGMENTS.START_MS, TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ)
                .fetch(r -> {
                    String text = r.getText();
                    JSONB words = r.getWords();
                    if (r.getSealed() != null) {
                        JsonNode open = readTree(seal.openString(org, segmentPlace(callId, r.getChannel(), r.getSeq()),
                                r.getSealed()));
                        text = open.path("text").asText();
                        words = JSONB.jsonb(open.path("words").toString());
                    }
                    return new TranscriptSegment(r.getChannel(), r.getSeq(), r.getSpeaker(), r.getStartMs(), r.getEndMs(),
                            text, words(words), r.getSource());
                });
    }

    /**
     * Whom an outbound call reaches, read once for the guards: the number dialled (as given, and as E.164 when
     * it parses as one) and, for a call to a contact, the contact's number and time zone.
     */
    private record Callee(String dialled, Optional<String> dialledE164, Optional<String> contactPhone, String contactZone) {

        /** Numbers to check, each with the name a refusal gives it (the dialled one first). */
        Map<String, String> numbers() {
            Map<String, String> n = new LinkedHashMap<>();
            dialledE164.ifPresent(p -> n.put(p, "open.to_number"));
            if (!dialled.isEmpty()) {
                n.putIfAbsent(dialled, "open.to_number");
            }
            contactPhone.ifPresent(p -> n.putIfAbsent(p, "the contact's number"));
            return n;
        }

        /**
         * Where the callee may be: the contact's zone, else every zone the contact's number may ring in, else
         * every zone of the number dialled (empty when none is known).
         */
        List<ZoneId> zones() {
            if (!contactZone.isEmpty()) {
                return List.of(ZoneId.of(contactZone));
            }
            List<String> z = contactPhone.map(PhoneNumbers::zonesOf).filter(l -> !l.isEmpty())
                    .or(() -> dialledE164.map(PhoneNumbers::zonesOf)).orElse(List.of());
            return z.stream().map(ZoneId::of).toList();
        }
    }

    private static Callee callee(DSLContext tx, CallSpec spec, UUID contactId) {
        Optional<String> e164 = PhoneNumbers.normalize("open.to_number", spec.toNumber(), "", new Violations());
        var contact = contactId == null ? null : tx.select(CONTACTS.PHONE_E164, CONTACTS.TIME_ZONE).from(CONTACTS)
                .where(CONTACTS.ID.eq(contactId)).fetchSingle();
        return new Callee(nn(spec.toNumber()).strip(), e164, Optional.ofNullable(contact).map(r -> r.value1()),
                contact == null ? "" : contact.value2());
    }

    /**
     * The do-not-call guard of an outbound call: the number dialled (as E.164 when it parses as one) and the
     * contact's number must not be on the organisation's list. A refusal is FAILED_PRECONDITION
     * {@code DO_NOT_CALL} and is recorded in the audit trail (its own transaction: the call never existed).
     */
    private void refuseIfDoNotCall(DSLContext tx, Principal actor, Callee callee) {
        for (Map.Entry<String, String> n : callee.numbers().entrySet()) {
            String number = n.getKey();
            if (DoNotCall.listed(tx, actor.organizationId(), number)) {
                audit.record(dsl, AuditEvent.of(actor, "call.refused", "call", "", Map.of("reason", "do_not_call",
                        "number_ending", number.length() > 2 ? number.substring(number.length() - 2) : number), now()));
                throw new SwitchboardException.FailedPrecondition("DO_NOT_CALL", n.getValue()
                        + " is on the organisation's do-not-call list; the call was not placed");
            }
        }
    }

    /**
     * The calling-window guard of an outbound campaign call: the callee's local time ({@link Callee#zone()},
     * else the campaign's fallback zone) must be inside the campaign's window on one of its days. With no zone
     * at all the call is refused: guessing one is how people get woken at 6am. Refusals are
     * FAILED_PRECONDITION {@code OUTSIDE_CALLING_WINDOW}, audited.
     */
    private void refuseOutsideCallingWindow(DSLContext tx, Principal actor, Callee callee, UUID campaignId,
                                            Instant now) {
        var campaign = CampaignService.toDomain(tx.selectFrom(CAMPAIGNS).where(CAMPAIGNS.ID.eq(campaignId)).fetchSingle());
        CallingWindow window = campaign.callingWindow();
        List<ZoneId> zones = callee.zones();
        if (zones.isEmpty()) {
            zones = window.fallbackZone().map(List::of).orElse(List.of());
        }
        if (window.allowsEverywhere(now, zones, campaign.dialingRules().holidays())) {
            return;
        }
        String local = zones.isEmpty() ? "unknown (no time zone for the callee and no fallback on the campaign)"
                : String.join(", ", zones.stream().map(z -> now.atZone(z).toLocalDateTime().truncatedTo(ChronoUnit.MINUTES)
                        + " " + z).toList());
        audit.record(dsl, AuditEvent.of(actor, "call.refused", "campaign", campaignId, Map.of("reason",
                "outside_calling_window", "callee_local_time", local), now));
        throw new SwitchboardException.FailedPrecondition("OUTSIDE_CALLING_WINDOW", "the callee's local time is "
                + local + ", outside campaign " + campaignId + "'s calling window " + window.start() + "–" + window.end()
                + " on " + window.days() + "; the call was not placed");
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

    private static long audioMs(CallsRecord r) {
        long bytesPerSecond = (long) r.getSampleRate() * r.getChannels() * (r.getAudioEncoding().equals("mulaw") ? 1 : 2);
        return bytesPerSecond == 0 ? 0 : r.getAudioBytes() * 1000 / bytesPerSecond;
    }

    private static String segmentPlace(UUID callId, int channel, int seq) {
        return "transcript|" + callId + "|" + channel + "|" + seq;
    }

    private static String summaryPlace(UUID callId) {
        return "summary|" + callId;
    }

    /**
     * Seals, in batches, the content of HIPAA-mode organisations still stored in the clear (written before the
     * mode was switched on); returns how many rows it sealed. Content sealed stays sealed if the mode goes off.
     */
    public int sealExisting(int batch) {
        int n = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var rows = tx.selectFrom(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.SEALED.isNull())
                    .and(TRANSCRIPT_SEGMENTS.TEXT.ne("").or(TRANSCRIPT_SEGMENTS.WORDS.cast(String.class).ne("[]")))
                    .and(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID.in(DSL.select(ORGANIZATIONS.ID).from(ORGANIZATIONS)
                            .where(ORGANIZATIONS.HIPAA_MODE)))
                    .limit(batch).forUpdate().skipLocked().fetch();
            for (var r : rows) {
                ObjectNode content = JSON.createObjectNode().put("text", r.getText());
                content.set("words", readTree(r.getWords().data()));
                r.setSealed(seal.seal(r.getOrganizationId(), segmentPlace(r.getCallId(), r.getChannel(), r.getSeq()),
                        content.toString())).setText("").setWords(JSONB.jsonb("[]")).store();
            }
            return rows.size();
        });
        return n + dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            var rows = tx.selectFrom(CALL_SUMMARIES).where(CALL_SUMMARIES.SEALED.isNull())
                    .and(CALL_SUMMARIES.SUMMARY.isNotNull().or(CALL_SUMMARIES.VARIABLES.cast(String.class).ne("{}")))
                    .and(CALL_SUMMARIES.ORGANIZATION_ID.in(DSL.select(ORGANIZATIONS.ID).from(ORGANIZATIONS)
                            .where(ORGANIZATIONS.HIPAA_MODE)))
                    .limit(batch).forUpdate().skipLocked().fetch();
            for (var r : rows) {
                ObjectNode content = JSON.createObjectNode().put("summary", r.getSummary());
                content.set("variables", readTree(r.getVariables().data()));
                r.setSealed(seal.seal(r.getOrganizationId(), summaryPlace(r.getCallId()), content.toString()))
                        .setSummary(null).setVariables(JSONB.jsonb("{}")).store();
            }
            return rows.size();
        });
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored content is not JSON", e);
        }
    }

    public Optional<CallSummary> summary(UUID org, UUID callId) {
        return dsl.selectFrom(CALL_SUMMARIES).where(CALL_SUMMARIES.CALL_ID.eq(callId))
                .and(CALL_SUMMARIES.ORGANIZATION_ID.eq(org)).fetchOptional()
                .map(r -> {
                    String summary = r.getSummary();
                    JSONB variables = r.getVariables();
                    if (r.getSealed() != null) {
                        JsonNode open = readTree(seal.openString(org, summaryPlace(callId), r.getSealed()));
                        summary = open.path("summary").isNull() ? null : open.path("summary").asText(null);
                        variables = JSONB.jsonb(open.path("variables").toString());
                    }
                    return new CallSummary(Optional.ofNullable(summary), stringMap(variables),
                            Optional.ofNullable(r.getDisposition()), r.getProvider(), notProduced(r.getNotProduced()));
                });
    }

    public List<Stage> stages(UUID org, UUID callId) {
        return dsl.selectFrom(CALL_STAGES).where(CALL_STAGES.CALL_ID.eq(callId)).and(CALL_STAGES.ORGANIZATION_ID.eq(org))
                .orderBy(CALL_STAGES.UPDATED_AT)
                .fetch(r -> new Stage(r.getStage(), r.getState().getLiteral(), r.getDetail()));
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
    public static final String LIVE_PROVIDER = "conversation";

    /**
     * The variables an agent captured and the disposition it decided during the call, kept as they come (a
     * summary row without a summary, provider {@link #LIVE_PROVIDER}); the summary stage then adds the summary
     * and keeps these values over its own. A disposition not given leaves the one kept before.
     */
    public void saveLiveOutcome(UUID org, UUID callId, Map<String, String> variables, Optional<String> disposition) {
        EffectivePolicy policy = plans.effectivePolicy(org);
        boolean hipaa = policy.hipaaMode();
        ObjectNode content = JSON.createObjectNode().putNull("summary");
        content.set("variables", JSON.valueToTree(variables));
        byte[] sealed = hipaa ? seal.seal(org, summaryPlace(callId), content.toString()) : null;
        JSONB vars = JSONB.jsonb(hipaa ? "{}" : content.get("variables").toString());
        dsl.insertInto(CALL_SUMMARIES).set(CALL_SUMMARIES.CALL_ID, callId).set(CALL_SUMMARIES.ORGANIZATION_ID, org)
                .set(CALL_SUMMARIES.VARIABLES, vars).set(CALL_SUMMARIES.SEALED, sealed)
                .set(CALL_SUMMARIES.DISPOSITION, disposition.orElse(null)).set(CALL_SUMMARIES.PROVIDER, LIVE_PROVIDER)
                .set(CALL_SUMMARIES.CREATED_AT, now())
                .set(CALL_SUMMARIES.EXPIRES_AT, policy.retention(DataClass.SUMMARIES).expiry(now()).orElse(null))
                .onConflict(CALL_SUMMARIES.CALL_ID).doUpdate()
                .set(CALL_SUMMARIES.VARIABLES, vars).set(CALL_SUMMARIES.SEALED, sealed)
                .set(CALL_SUMMARIES.DISPOSITION, disposition.isPresent() ? DSL.val(disposition.get())
                        : CALL_SUMMARIES.DISPOSITION)
                .where(CALL_SUMMARIES.PROVIDER.eq(LIVE_PROVIDER))
                .execute();
    }

    public void saveSummary(UUID org, UUID callId, CallSummary s) {
        EffectivePolicy policy = plans.effectivePolicy(org); // one read for both: HIPAA mode and the expiry
        boolean hipaa = policy.hipaaMode(); // at rest only as ciphertext bound to this row
        ObjectNode content = JSON.createObjectNode().put("summary", s.summary().orElse(null));
        content.set("variables", JSON.valueToTree(s.variables()));
        byte[] sealed = hipaa ? seal.seal(org, summaryPlace(callId), content.toString()) : null;
        String summaryText = hipaa ? null : s.summary().orElse(null);
        JSONB vars = JSONB.jsonb(hipaa ? "{}" : content.get("variables").toString());
        ArrayNode np = JSON.createArrayNode();
        s.notProduced().forEach((part, why) -> np.addObject().put("part", part).put("reason", why));
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            if (tx.insertInto(CALL_SUMMARIES).set(CALL_SUMMARIES.CALL_ID, callId).set(CALL_SUMMARIES.ORGANIZATION_ID, org)
                    .set(CALL_SUMMARIES.SUMMARY, summaryText).set(CALL_SUMMARIES.VARIABLES, vars)
                    .set(CALL_SUMMARIES.SEALED, sealed)
                    .set(CALL_SUMMARIES.DISPOSITION, s.disposition().orElse(null)).set(CALL_SUMMARIES.PROVIDER, s.provider())
                    .set(CALL_SUMMARIES.NOT_PRODUCED, JSONB.jsonb(np.toString())).set(CALL_SUMMARIES.CREATED_AT, now())
                    .set(CALL_SUMMARIES.EXPIRES_AT, policy.retention(DataClass.SUMMARIES).expiry(now()).orElse(null))
                    // a row the live conversation wrote is completed (the stage merged its values); any other stays
                    .onConflict(CALL_SUMMARIES.CALL_ID).doUpdate()
                    .set(CALL_SUMMARIES.SUMMARY, summaryText).set(CALL_SUMMARIES.VARIABLES, vars)
                    .set(CALL_SUMMARIES.SEALED, sealed).set(CALL_SUMMARIES.DISPOSITION, s.disposition().orElse(null))
                    .set(CALL_SUMMARIES.PROVIDER, s.provider()).set(CALL_SUMMARIES.NOT_PRODUCED, JSONB.jsonb(np.toString()))
                    .where(CALL_SUMMARIES.PROVIDER.eq(LIVE_PROVIDER))
                    .execute() == 1) {
                // committed with the summary; no content in the event: receivers fetch it (reads of PHI are audited)
                webhooks.emitForCall(tx, org, callId, WebhookEvent.SUMMARY_READY, JSON.createObjectNode().put("call_id", callId.toString())
                        .put("disposition", s.disposition().orElse(null)).put("provider", s.provider()));
            }
        });
    }

    /** Records the assembled recording; the first writer wins, so a repeated pipeline run changes nothing. */
    public boolean recordRecording(UUID org, UUID callId, RecordingStore.Assembled a) {
        Instant created = dsl.select(CALLS.CREATED_AT).from(CALLS).where(CALLS.ID.eq(callId))
                .and(CALLS.ORGANIZATION_ID.eq(org)).fetchOptional(CALLS.CREATED_AT).orElse(null);
        if (created == null) {
            return false; // purged meanwhile
        }
        return dsl.update(CALLS).set(CALLS.RECORDING_KEY, a.key()).set(CALLS.RECORDING_BYTES, a.bytes())
                .set(CALLS.RECORDING_SHA256, a.sha256()).set(CALLS.UPDATED_AT, now())
                .set(CALLS.RECORDING_EXPIRES_AT, expiry(org, DataClass.RECORDINGS, created)) // kept from the call's start
                .where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org)).and(CALLS.RECORDING_KEY.isNull())
                .and(CALLS.RECORDING_DELETED_AT.isNull())
                .execute() == 1;
    }

    /** When an item of {@code c} created at {@code created} expires under the organisation's plan; null: never. */
    private Instant expiry(UUID org, DataClass c, Instant created) {
        return plans.effectivePolicy(org).retention(c).expiry(created).orElse(null);
    }

    public int segments(UUID org, UUID callId) {
        return dsl.select(CALLS.AUDIO_SEGMENTS).from(CALLS).where(CALLS.ID.eq(callId)).and(CALLS.ORGANIZATION_ID.eq(org))
                .fetchOne(CALLS.AUDIO_SEGMENTS);
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
        Instant deletedAt = dsl.select(CALLS.RECORDING_DELETED_AT).from(CALLS).where(CALLS.ID.eq(call.id()))
                .fetchOne(CALLS.RECORDING_DELETED_AT);
        if (deletedAt != null) {
            return new SwitchboardException.FailedPrecondition("RECORDING_EXPIRED", "call " + call.id()
                    + "'s recording was deleted at " + deletedAt + " when it expired under the plan's retention");
        }
        return new SwitchboardException.FailedPrecondition("RECORDING_NOT_READY", "call " + call.id()
                + "'s recording is not assembled yet; the worker does that after the call ends (see the call's stages)");
    }

    /** Calls that stopped sending audio without ending (their server died): marked failed, pipeline enqueued. */
    public int failAbandoned(Duration silence) {
        Instant cutoff = now().minus(silence);
        List<CallsRecord> stale = dsl.selectFrom(CALLS).where(CALLS.STATE.eq(CallState.active))
                .and(CALLS.LAST_AUDIO_AT.lt(cutoff)).limit(500).fetch();
        for (CallsRecord r : stale) {
            end(r.getOrganizationId(), r.getId(), Call.State.FAILED, "no audio for " + silence.toSeconds()
                    + " s and the stream never ended (the server handling it stopped)");
        }
        return stale.size();
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

    private static List<Word> words(JSONB json) {
        List<Word> out = new ArrayList<>();
        for (JsonNode w : read(json)) {
            out.add(new Word(w.path("word").asText(), Duration.ofMillis(w.path("start_ms").asLong()),
                    Duration.ofMillis(w.path("end_ms").asLong()), w.path("confidence").asDouble()));
        }
        return out;
    }

    private static Map<String, String> stringMap(JSONB json) {
        Map<String, String> out = new LinkedHashMap<>();
        read(json).properties().forEach(e -> out.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
                : e.getValue().toString()));
        return out;
    }

    private static Map<String, String> notProduced(JSONB json) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode n : read(json)) {
            out.put(n.path("part").asText(), n.path("reason").asText());
        }
        return out;
    }

    private static JsonNode read(JSONB json) {
        try {
            return JSON.readTree(json.data());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is malformed", e);
        }
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
