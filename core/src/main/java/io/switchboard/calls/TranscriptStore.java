package io.switchboard.calls;

import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.encryption.ContentSeal;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.PlanService;
import io.switchboard.transcription.Word;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * A call's spoken content at rest: transcript segments (text and words as JSON) and the summary. In a
 * HIPAA-mode organisation content is stored only sealed ({@link ContentSeal}), bound to its row's place, and
 * opened on read; {@link #sealExisting} seals what was written in the clear before the mode was switched on.
 */
public final class TranscriptStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final ContentSeal seal;

    /** @param seal encrypts transcripts and summaries of HIPAA-mode organisations at rest */
    public TranscriptStore(DSLContext dsl, Clock clock, PlanService plans, ContentSeal seal) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.seal = seal;
    }

    /** Saves a final utterance in {@code tx} (again: the same channel and seq overwrite, nothing doubles). */
    public void save(DSLContext tx, UUID org, UUID callId, TranscriptSegment s) {
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
                .set(TRANSCRIPT_SEGMENTS.SOURCE, s.source()).set(TRANSCRIPT_SEGMENTS.INTERRUPTED, s.interrupted())
                .set(TRANSCRIPT_SEGMENTS.CREATED_AT, now())
                .set(TRANSCRIPT_SEGMENTS.EXPIRES_AT, policy.retention(DataClass.TRANSCRIPTS).expiry(now()).orElse(null))
                .onConflict(TRANSCRIPT_SEGMENTS.CALL_ID, TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ)
                .doUpdate().set(TRANSCRIPT_SEGMENTS.TEXT, text).set(TRANSCRIPT_SEGMENTS.WORDS, wordsJson)
                .set(TRANSCRIPT_SEGMENTS.SEALED, sealed).set(TRANSCRIPT_SEGMENTS.INTERRUPTED, s.interrupted())
                .execute();
    }

    public List<TranscriptSegment> transcript(UUID org, UUID callId) {
        return dsl.selectFrom(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(callId))
                .and(TRANSCRIPT_SEGMENTS.ORGANIZATION_ID.eq(org))
                .orderBy(TRANSCRIPT_SEGMENTS.START_MS, TRANSCRIPT_SEGMENTS.CHANNEL, TRANSCRIPT_SEGMENTS.SEQ)
                .fetch(r -> {
                    String text = r.getText();
                    JSONB words = r.getWords();
                    boolean interrupted = r.getInterrupted();
                    if (r.getSealed() != null) {
                        JsonNode open = readTree(seal.openString(org, segmentPlace(callId, r.getChannel(), r.getSeq()),
                                r.getSealed()));
                        text = open.path("text").asText();
                        words = JSONB.jsonb(open.path("words").toString());
                        if (!interrupted && r.getSpeaker().equals("agent") && text.endsWith(LEGACY_CUT)) {
                            // sealed before V18, when a cut agent sentence was marked in its text
                            interrupted = true;
                            text = text.substring(0, text.length() - LEGACY_CUT.length());
                        }
                    }
                    return new TranscriptSegment(r.getChannel(), r.getSeq(), r.getSpeaker(), r.getStartMs(), r.getEndMs(),
                            text, words(words), r.getSource(), interrupted);
                });
    }

    /** How a cut agent sentence was marked in its text before the flag (V18); sealed rows may still hold it. */
    static final String LEGACY_CUT = " —";

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

    /**
     * Inserts the call's summary in {@code tx} unless it has one (a row the live conversation wrote is completed:
     * the stage merged its values); true if this call stored it. In HIPAA mode the summary and variables are
     * stored only sealed.
     */
    public boolean saveSummary(DSLContext tx, UUID org, UUID callId, CallSummary s) {
        EffectivePolicy policy = plans.effectivePolicy(org); // one read for both: HIPAA mode and the expiry
        boolean hipaa = policy.hipaaMode(); // at rest only as ciphertext bound to this row
        ObjectNode content = JSON.createObjectNode().put("summary", s.summary().orElse(null));
        content.set("variables", JSON.valueToTree(s.variables()));
        byte[] sealed = hipaa ? seal.seal(org, summaryPlace(callId), content.toString()) : null;
        String summaryText = hipaa ? null : s.summary().orElse(null);
        JSONB vars = JSONB.jsonb(hipaa ? "{}" : content.get("variables").toString());
        ArrayNode np = JSON.createArrayNode();
        s.notProduced().forEach((part, why) -> np.addObject().put("part", part).put("reason", why));
        return tx.insertInto(CALL_SUMMARIES).set(CALL_SUMMARIES.CALL_ID, callId).set(CALL_SUMMARIES.ORGANIZATION_ID, org)
                .set(CALL_SUMMARIES.SUMMARY, summaryText).set(CALL_SUMMARIES.VARIABLES, vars)
                .set(CALL_SUMMARIES.SEALED, sealed)
                .set(CALL_SUMMARIES.DISPOSITION, s.disposition().orElse(null)).set(CALL_SUMMARIES.PROVIDER, s.provider())
                .set(CALL_SUMMARIES.NOT_PRODUCED, JSONB.jsonb(np.toString())).set(CALL_SUMMARIES.CREATED_AT, now())
                .set(CALL_SUMMARIES.EXPIRES_AT, policy.retention(DataClass.SUMMARIES).expiry(now()).orElse(null))
                .onConflict(CALL_SUMMARIES.CALL_ID).doUpdate()
                .set(CALL_SUMMARIES.SUMMARY, summaryText).set(CALL_SUMMARIES.VARIABLES, vars)
                .set(CALL_SUMMARIES.SEALED, sealed).set(CALL_SUMMARIES.DISPOSITION, s.disposition().orElse(null))
                .set(CALL_SUMMARIES.PROVIDER, s.provider()).set(CALL_SUMMARIES.NOT_PRODUCED, JSONB.jsonb(np.toString()))
                .where(CALL_SUMMARIES.PROVIDER.eq(LIVE_PROVIDER))
                .execute() == 1;
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

    private static String segmentPlace(UUID callId, int channel, int seq) {
        return "transcript|" + callId + "|" + channel + "|" + seq;
    }

    private static String summaryPlace(UUID callId) {
        return "summary|" + callId;
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

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
