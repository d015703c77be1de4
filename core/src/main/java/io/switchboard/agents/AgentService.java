package io.switchboard.agents;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.AGENT_VERSIONS;
import static io.switchboard.db.Tables.CAMPAIGNS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.Wav;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.UpdateMask;
import io.switchboard.common.Violations;
import io.switchboard.conversation.tts.SpeechSynthesisException;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.db.enums.CampaignState;
import io.switchboard.db.tables.records.AgentVersionsRecord;
import io.switchboard.db.tables.records.AgentsRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.messaging.Channel;
import io.switchboard.messaging.TemplateRefs;
import io.switchboard.plans.PlanService;
import io.switchboard.plans.Quotas;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Voice agents. Every create and update writes an immutable row to {@code agent_versions}, so a call
 * can pin the exact configuration it ran with. Deletes are soft, and refused while an unfinished
 * campaign uses the agent.
 */
public final class AgentService {

    public static final Set<String> UPDATABLE = Set.of("name", "language", "system_prompt", "first_message", "voice",
            "summary_instructions", "variables", "flow", "voicemail_message", "transfer_number", "endpointing",
            "interruption", "silence", "sms_templates");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final AuditSink audit;
    private final RequestIds requestIds;
    private final Voices voices;

    /** @param voices what {@code agent.voice} may name: the deployment's speech synthesis voices */
    public AgentService(DSLContext dsl, Clock clock, PlanService plans, AuditSink audit, RequestIds requestIds,
                        Voices voices) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.audit = audit;
        this.requestIds = requestIds;
        this.voices = voices;
    }

    /** The voices agents are checked against, which the live calls speak with. */
    public Voices voiceRegistry() {
        return voices;
    }

    public Voices.Listing voices(Principal actor) {
        actor.require(Role.VIEWER, "listing voices");
        return voices.listing();
    }

    /** The longest text {@link #previewVoice} speaks. */
    public static final int MAX_PREVIEW_CHARS = 300;
    static final String PREVIEW_SAMPLE = "Hello! This is how I sound on a call. How can I help you today?";
    private static final int PREVIEW_RATE = 16_000;

    /** A voice speaking a sentence: a WAV file (PCM16 mono) to hear before choosing it. */
    public record VoicePreview(String voiceId, byte[] wav, int sampleRate, Duration duration) {
    }

    /**
     * {@code voiceId} (empty: the default voice) speaking {@code text} (empty: a sample sentence), synthesised
     * here as a call would be; a voice this deployment lacks or a text over {@link #MAX_PREVIEW_CHARS} is refused
     * naming {@code voice} or {@code text}.
     */
    public VoicePreview previewVoice(Principal actor, String voiceId, String text) {
        actor.require(Role.VIEWER, "previewing voices");
        Violations v = new Violations();
        String id = voiceId == null ? "" : voiceId.strip();
        voices.check("voice", id, v);
        String sentence = text == null || text.isBlank() ? PREVIEW_SAMPLE : text.strip();
        if (sentence.length() > MAX_PREVIEW_CHARS) {
            v.add("text", "at most " + MAX_PREVIEW_CHARS + " characters, got " + sentence.length());
        }
        v.throwIfAny();
        Voices.Resolved voice = voices.resolve(id);
        short[] pcm;
        try (var stream = voice.synthesize(sentence, PREVIEW_RATE)) {
            pcm = stream.readAll();
        } catch (SpeechSynthesisException e) {
            throw new SwitchboardException.Unavailable("the voice " + voice.voice().id() + " could not speak: "
                    + e.getMessage(), Duration.ofSeconds(5));
        }
        var format = new AudioFormat(AudioFormat.Encoding.PCM16, PREVIEW_RATE,
                1, AudioFormat.Container.WAV);
        ByteBuffer wav = ByteBuffer.allocate(Wav.HEADER_SIZE + pcm.length * 2)
                .order(ByteOrder.LITTLE_ENDIAN);
        wav.put(Wav.header(format, pcm.length * 2L));
        for (short sample : pcm) {
            wav.putShort(sample);
        }
        return new VoicePreview(voice.voice().id(), wav.array(), PREVIEW_RATE,
                Duration.ofMillis(pcm.length * 1000L / PREVIEW_RATE));
    }

    public Agent create(Principal actor, AgentSpec spec) {
        return create(actor, spec, RequestId.NONE);
    }

    /** Creates an agent; a retry with the same {@code requestId} gets the agent the first attempt made. */
    public Agent create(Principal actor, AgentSpec spec, RequestId requestId) {
        actor.require(Role.ADMIN, "creating agents");
        Violations v = new Violations();
        AgentValidation.validate(spec, v, texting(actor.organizationId()));
        voices.check("agent.voice", spec.voice(), v);
        v.throwIfAny();
        int maxAgents = plans.effectivePolicy(actor.organizationId()).limits().maxAgents();
        Instant now = now();
        return requestIds.once(actor.organizationId(), requestId, "agent", tx -> {
            Quotas.check(tx, actor.organizationId(), "agents", maxAgents, () -> tx.fetchCount(AGENTS,
                    AGENTS.ORGANIZATION_ID.eq(actor.organizationId()).and(AGENTS.DELETED_AT.isNull())));
            AgentsRecord r = tx.newRecord(AGENTS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                    .setVersion(1).setCreatedAt(now).setUpdatedAt(now);
            apply(r, spec);
            r.store();
            snapshot(tx, r);
            audit.record(tx, AuditEvent.of(actor, "agent.create", "agent", r.getId(), Map.of(), now));
            return RequestIds.Made.of(toDomain(r), r.getId());
        }, (tx, id, secret) -> toDomain(fetch(tx, actor, id, false)));
    }

    /** The current version, or {@code version} if it is positive. */
    public Agent get(Principal actor, String idText, int version) {
        actor.require(Role.VIEWER, "reading agents");
        UUID id = Ids.parse("id", idText);
        if (version < 0) {
            throw new SwitchboardException.InvalidArgument("version", "must be positive, or 0 for the current version");
        }
        AgentsRecord current = fetch(dsl, actor, id, false);
        if (version == 0 || version == current.getVersion()) {
            return toDomain(current);
        }
        return dsl.selectFrom(AGENT_VERSIONS).where(AGENT_VERSIONS.AGENT_ID.eq(id))
                .and(AGENT_VERSIONS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(AGENT_VERSIONS.VERSION.eq(version))
                .fetchOptional().map(r -> fromVersion(r, current))
                .orElseThrow(() -> new SwitchboardException.NotFound("agent version", id + "@" + version));
    }

    /**
     * The organisation of a live (not deleted) agent, for a carrier's inbound call that names the agent in
     * its signed request (no principal: the carrier's signature is the authentication).
     */
    public Optional<UUID> organizationOf(UUID agentId) {
        return dsl.select(AGENTS.ORGANIZATION_ID).from(AGENTS).where(AGENTS.ID.eq(agentId)).and(AGENTS.DELETED_AT.isNull())
                .fetchOptional(AGENTS.ORGANIZATION_ID);
    }

    /** The agent as it was at {@code version}, for the pipeline of a call that pinned it (no principal: system use). */
    public Optional<Agent> version(UUID org, UUID agentId, int version) {
        AgentsRecord current = dsl.selectFrom(AGENTS).where(AGENTS.ID.eq(agentId)).and(AGENTS.ORGANIZATION_ID.eq(org))
                .fetchOne();
        if (current == null) {
            return Optional.empty();
        }
        return dsl.selectFrom(AGENT_VERSIONS).where(AGENT_VERSIONS.AGENT_ID.eq(agentId))
                .and(AGENT_VERSIONS.ORGANIZATION_ID.eq(org)).and(AGENT_VERSIONS.VERSION.eq(version))
                .fetchOptional().map(r -> fromVersion(r, current));
    }

    public Page<Agent> list(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing agents");
        PageRequest page = PageRequest.of(pageSize, pageToken, "agents");
        return Keyset.page(dsl, AGENTS, AGENTS.ORGANIZATION_ID.eq(actor.organizationId()).and(AGENTS.DELETED_AT.isNull()),
                AGENTS.CREATED_AT, AGENTS.ID, page, "agents", AgentService::toDomain,
                a -> new PageRequest.Cursor(a.createdAt(), a.id()));
    }

    /** Versions newest first; paged by version number. */
    public Page<Agent> listVersions(Principal actor, String idText, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing agent versions");
        UUID id = Ids.parse("id", idText);
        String scope = "agent_versions:" + id;
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        AgentsRecord current = fetch(dsl, actor, id, false);
        // the cursor's id slot is unused here; its timestamp carries the last version number seen
        int below = page.after().map(c -> (int) c.createdAt().getEpochSecond()).orElse(Integer.MAX_VALUE);
        List<Agent> rows = dsl.selectFrom(AGENT_VERSIONS).where(AGENT_VERSIONS.AGENT_ID.eq(id))
                .and(AGENT_VERSIONS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(AGENT_VERSIONS.VERSION.lt(below))
                .orderBy(AGENT_VERSIONS.VERSION.desc()).limit(page.pageSize() + 1)
                .fetch(r -> fromVersion(r, current));
        return Page.of(rows, page.pageSize(),
                a -> new PageRequest.Cursor(Instant.ofEpochSecond(a.version()), a.id()), scope);
    }

    public Agent update(Principal actor, String idText, AgentSpec patch, List<String> maskPaths, int expectedVersion) {
        actor.require(Role.ADMIN, "updating agents");
        UUID id = Ids.parse("agent.id", idText);
        UpdateMask mask = UpdateMask.of(maskPaths, UPDATABLE);
        if (expectedVersion < 0) {
            throw new SwitchboardException.InvalidArgument("expected_version", "must not be negative");
        }
        Instant now = now();
        Agent agent = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            AgentsRecord r = fetch(tx, actor, id, true);
            if (expectedVersion != 0 && expectedVersion != r.getVersion()) {
                throw new SwitchboardException.Aborted("agent " + id + " is at version " + r.getVersion()
                        + ", not " + expectedVersion + "; re-read it and retry");
            }
            AgentSpec merged = merge(toDomain(r).spec(), patch, mask);
            Violations v = new Violations();
            // names of templates and senders are checked when the flow or the list changes: one deleted since
            // does not block an unrelated edit (the call records the refusal)
            AgentValidation.validate(merged, v, mask.has("flow") || mask.has("sms_templates")
                    ? texting(actor.organizationId()) : TextingCatalog.UNCHECKED);
            if (mask.has("voice")) {
                voices.check("agent.voice", merged.voice(), v); // a stored voice the deployment lost does not block other edits
            }
            v.throwIfAny();
            apply(r, merged);
            r.setVersion(r.getVersion() + 1).setUpdatedAt(now).store();
            snapshot(tx, r);
            audit.record(tx, AuditEvent.of(actor, "agent.update", "agent", id,
                    Map.of("fields", String.join(",", mask.paths()), "version", Integer.toString(r.getVersion())), now));
            return toDomain(r);
        });
        return agent;
    }

    public void delete(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting agents");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            AgentsRecord r = fetch(tx, actor, id, true);
            List<UUID> users = tx.select(CAMPAIGNS.ID).from(CAMPAIGNS)
                    .where(CAMPAIGNS.AGENT_ID.eq(id)).and(CAMPAIGNS.ORGANIZATION_ID.eq(actor.organizationId()))
                    .and(CAMPAIGNS.DELETED_AT.isNull())
                    .and(CAMPAIGNS.STATE.in(CampaignState.draft, CampaignState.running, CampaignState.paused))
                    .limit(5).fetch(CAMPAIGNS.ID);
            if (!users.isEmpty()) {
                throw new SwitchboardException.FailedPrecondition("AGENT_IN_USE",
                        "agent " + id + " is used by unfinished campaigns " + users
                                + "; complete, cancel or re-point them first");
            }
            r.setDeletedAt(now).setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "agent.delete", "agent", id, Map.of(), now));
        });
    }

    /** The organisation's message templates and sender numbers, as send_sms nodes and sms_templates name them. */
    private TextingCatalog texting(UUID org) {
        return new TextingCatalog() {
            @Override
            public Optional<String> templateChannel(String nameOrId) {
                return TemplateRefs.live(dsl, org, nameOrId).map(t -> t.channel().key());
            }

            @Override
            public Optional<String> senderChannel(String address) {
                return TemplateRefs.senderChannel(dsl, org, address).map(Channel::key);
            }
        };
    }

    private static AgentSpec merge(AgentSpec current, AgentSpec patch, UpdateMask mask) {
        return new AgentSpec(
                mask.has("name") ? patch.name() : current.name(),
                mask.has("language") ? patch.language() : current.language(),
                mask.has("system_prompt") ? patch.systemPrompt() : current.systemPrompt(),
                mask.has("first_message") ? patch.firstMessage() : current.firstMessage(),
                mask.has("voice") ? patch.voice() : current.voice(),
                mask.has("summary_instructions") ? patch.summaryInstructions() : current.summaryInstructions(),
                mask.has("variables") ? patch.variables() : current.variables(),
                mergeConduct(current.conduct(), patch.conduct(), mask));
    }

    private static Conduct mergeConduct(Conduct current, Conduct patch, UpdateMask mask) {
        Timing c = current.timing();
        Timing p = patch.timing();
        return new Conduct(mask.has("flow") ? patch.flow() : current.flow(),
                mask.has("voicemail_message") ? patch.voicemailMessage() : current.voicemailMessage(),
                mask.has("transfer_number") ? patch.transferNumber() : current.transferNumber(),
                new Timing(mask.has("endpointing") ? p.endpointing() : c.endpointing(),
                        mask.has("interruption") ? p.interruption() : c.interruption(),
                        mask.has("silence") ? p.silence() : c.silence()),
                mask.has("sms_templates") ? patch.smsTemplates() : current.smsTemplates());
    }

    private static AgentsRecord fetch(DSLContext tx, Principal actor, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(AGENTS).where(AGENTS.ID.eq(id)).and(AGENTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(AGENTS.DELETED_AT.isNull());
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("agent", id.toString()));
    }

    private static void apply(AgentsRecord r, AgentSpec s) {
        r.setName(s.name().trim()).setLanguage(s.language()).setSystemPrompt(nn(s.systemPrompt()))
                .setFirstMessage(nn(s.firstMessage())).setVoice(nn(s.voice()))
                .setSummaryInstructions(nn(s.summaryInstructions())).setVariables(writeVariables(s.variables()))
                .setConduct(ConductJson.write(s.conduct()));
    }

    private static void snapshot(DSLContext tx, AgentsRecord r) {
        tx.newRecord(AGENT_VERSIONS).setAgentId(r.getId()).setOrganizationId(r.getOrganizationId())
                .setVersion(r.getVersion()).setName(r.getName()).setLanguage(r.getLanguage())
                .setSystemPrompt(r.getSystemPrompt()).setFirstMessage(r.getFirstMessage()).setVoice(r.getVoice())
                .setSummaryInstructions(r.getSummaryInstructions()).setVariables(r.getVariables())
                .setConduct(r.getConduct()).setCreatedAt(r.getUpdatedAt()).store();
    }

    static Agent toDomain(AgentsRecord r) {
        return new Agent(r.getId(), r.getOrganizationId(), new AgentSpec(r.getName(), r.getLanguage(),
                r.getSystemPrompt(), r.getFirstMessage(), r.getVoice(), r.getSummaryInstructions(),
                readVariables(r.getVariables()), ConductJson.read(r.getConduct())), r.getVersion(), r.getCreatedAt(),
                r.getUpdatedAt());
    }

    private static Agent fromVersion(AgentVersionsRecord r, AgentsRecord current) {
        return new Agent(r.getAgentId(), r.getOrganizationId(), new AgentSpec(r.getName(), r.getLanguage(),
                r.getSystemPrompt(), r.getFirstMessage(), r.getVoice(), r.getSummaryInstructions(),
                readVariables(r.getVariables()), ConductJson.read(r.getConduct())), r.getVersion(),
                current.getCreatedAt(), r.getCreatedAt());
    }

    static JSONB writeVariables(List<CaptureVariable> vars) {
        ArrayNode a = JSON.createArrayNode();
        for (CaptureVariable c : vars) {
            ObjectNode o = a.addObject();
            o.put("name", c.name()).put("type", c.type().name().toLowerCase(java.util.Locale.ROOT))
                    .put("description", nn(c.description())).put("required", c.required());
            ArrayNode ev = o.putArray("enum_values");
            c.enumValues().forEach(ev::add);
        }
        return JSONB.jsonb(a.toString());
    }

    static List<CaptureVariable> readVariables(JSONB json) {
        try {
            List<CaptureVariable> out = new ArrayList<>();
            for (JsonNode o : JSON.readTree(json.data())) {
                List<String> ev = new ArrayList<>();
                o.path("enum_values").forEach(x -> ev.add(x.asText()));
                out.add(new CaptureVariable(o.get("name").asText(),
                        CaptureVariable.Type.valueOf(o.get("type").asText().toUpperCase(java.util.Locale.ROOT)),
                        o.path("description").asText(""), ev, o.path("required").asBoolean(false)));
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored agent variables are not valid JSON", e);
        }
    }

    private static String nn(String s) {
        return s == null ? "" : s;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
