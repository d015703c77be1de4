package io.switchboard.privacy;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.CONTACT_LIST_MEMBERS;
import static io.switchboard.db.Tables.JOBS;
import static io.switchboard.db.Tables.ORGANIZATIONS;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static io.switchboard.db.Tables.TRANSCRIPT_SEGMENTS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.LiveCallHangUp;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.db.enums.CallDirection;
import io.switchboard.db.enums.JobState;
import io.switchboard.db.tables.records.CallsRecord;
import io.switchboard.db.tables.records.ContactsRecord;
import io.switchboard.messaging.ConsentEvent;
import io.switchboard.messaging.Message;
import io.switchboard.messaging.MessagingService;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Data-subject rights (GDPR articles 15, 17 and 20; CCPA access and deletion) for one contact or a whole
 * organisation: an export of everything tied to it, streamed as JSON or CSV with call content decrypted for
 * the requester, and the erasure of a contact. Both are admin actions and both are audited.
 */
public final class SubjectRights {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 64 * 1024;

    public enum Format { JSON, CSV }

    /**
     * What an erasure did. Call logs stay as structural records (for campaign statistics and billing), without
     * the person's number and without their content.
     */
    public record Erasure(UUID contactId, int callsAnonymised, int recordingObjectsDeleted, int transcriptSegmentsDeleted,
                          int summariesDeleted, long consentsAnonymised, int messagesAnonymised) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final CallService calls;
    private final RecordingStore recordings;
    private final Consents consents;
    private final AuditSink audit;

    private final LiveCallHangUp hangUps;
    private final MessagingService messaging;

    public SubjectRights(DSLContext dsl, Clock clock, CallService calls, RecordingStore recordings, Consents consents,
                         AuditSink audit, MessagingService messaging) {
        this(dsl, clock, calls, recordings, consents, audit, LiveCallHangUp.NONE, messaging);
    }

    /**
     * @param recordings where the contact's recordings and audio segments are deleted from
     * @param hangUps    how the contact's live calls are hung up before an erasure
     * @param messaging  the contact's texts, exported (bodies opened) and erased with the rest
     */
    public SubjectRights(DSLContext dsl, Clock clock, CallService calls, RecordingStore recordings, Consents consents,
                         AuditSink audit, LiveCallHangUp hangUps, MessagingService messaging) {
        this.dsl = dsl;
        this.clock = clock;
        this.calls = calls;
        this.recordings = recordings;
        this.consents = consents;
        this.audit = audit;
        this.hangUps = hangUps;
        this.messaging = messaging;
    }

    // ------------------------------------------------------------------ export

    /**
     * Streams everything tied to {@code contactId} (or, when empty, to the caller's whole organisation): the
     * contact, its consents, its calls with transcripts and summaries (decrypted). JSON is one document; CSV is
     * one {@code path,value} row per field. {@code out} receives chunks of at most 64 KiB as they are ready.
     */
    public void export(Principal actor, String contactIdText, Format format, Consumer<String> out) {
        actor.require(Role.ADMIN, "exporting personal data");
        UUID org = actor.organizationId();
        Optional<UUID> contactId = Ids.parseOptional("contact_id", contactIdText);
        if (contactId.isPresent() && !dsl.fetchExists(CONTACTS, CONTACTS.ID.eq(contactId.get())
                .and(CONTACTS.ORGANIZATION_ID.eq(org)))) {
            throw new SwitchboardException.NotFound("contact", contactId.get().toString());
        }
        Instant now = now();
        // audited before anything leaves, failing closed
        audit.record(dsl, AuditEvent.of(actor, "privacy.export", contactId.isPresent() ? "contact" : "organization",
                contactId.map(Object::toString).orElse(org.toString()), Map.of("format", format.name().toLowerCase(
                        java.util.Locale.ROOT)), now));
        try (ChunkWriter w = new ChunkWriter(out); Sink sink = format == Format.JSON ? new JsonSink(w) : new CsvSink(w)) {
            sink.begin(now, org);
            var contacts = dsl.selectFrom(CONTACTS).where(CONTACTS.ORGANIZATION_ID.eq(org))
                    .and(contactId.map(CONTACTS.ID::eq).orElse(DSL.noCondition())).orderBy(CONTACTS.CREATED_AT, CONTACTS.ID)
                    .fetchSize(200).fetchLazy();
            int i = 0;
            for (ContactsRecord c : contacts) {
                sink.item("contacts", i++, contactNode(org, c));
            }
            contacts.close();
            if (contactId.isEmpty()) {
                var orphanCalls = dsl.selectFrom(CALLS).where(CALLS.ORGANIZATION_ID.eq(org)).and(CALLS.CONTACT_ID.isNull())
                        .orderBy(CALLS.CREATED_AT, CALLS.ID).fetchSize(200).fetchLazy();
                int j = 0;
                for (CallsRecord call : orphanCalls) {
                    sink.item("calls_without_contact", j++, callNode(org, call));
                }
                orphanCalls.close();
            }
            sink.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ObjectNode contactNode(UUID org, ContactsRecord c) {
        ObjectNode n = JSON.createObjectNode().put("id", c.getId().toString())
                .put("external_id", c.getExternalId()).put("phone_number", c.getPhoneE164())
                .put("first_name", c.getFirstName()).put("last_name", c.getLastName()).put("email", c.getEmail())
                .put("time_zone", c.getTimeZone()).put("created_at", c.getCreatedAt().toString())
                .put("deleted_at", c.getDeletedAt() == null ? null : c.getDeletedAt().toString());
        n.set("metadata", readTree(c.getMetadata().data()));
        ArrayNode tags = n.putArray("tags");
        for (String t : c.getTags()) {
            tags.add(t);
        }
        ArrayNode cs = n.putArray("consents");
        for (Consent k : consents.forContact(org, c.getId())) {
            cs.addObject().put("id", k.id().toString()).put("purpose", k.purpose().key()).put("granted", k.granted())
                    .put("source", k.source()).put("ip_address", k.ipAddress()).put("given_at", k.givenAt().toString())
                    .put("recorded_at", k.recordedAt().toString());
        }
        ArrayNode callsNode = n.putArray("calls");
        for (CallsRecord call : dsl.selectFrom(CALLS).where(CALLS.ORGANIZATION_ID.eq(org))
                .and(CALLS.CONTACT_ID.eq(c.getId())).orderBy(CALLS.CREATED_AT, CALLS.ID).fetch()) {
            callsNode.add(callNode(org, call));
        }
        MessagingService.PersonTexts texts = messaging.personTexts(org, c.getId(), c.getPhoneE164());
        ArrayNode ms = n.putArray("messages");
        for (Message m : texts.messages()) {
            ms.addObject().put("id", m.id().toString()).put("channel", m.channel().key())
                    .put("direction", m.direction().name().toLowerCase(java.util.Locale.ROOT)).put("from", m.from())
                    .put("to", m.to()).put("body", m.body()).put("status", m.status().name().toLowerCase(java.util.Locale.ROOT))
                    .put("segments", m.segments().count()).put("created_at", m.createdAt().toString());
        }
        ArrayNode events = n.putArray("text_consent_events");
        for (ConsentEvent e : texts.consentEvents()) {
            events.addObject().put("kind", e.kind().name().toLowerCase(java.util.Locale.ROOT)).put("words", e.words())
                    .put("source", e.source()).put("channel", e.channel().key()).put("occurred_at", e.occurredAt().toString());
        }
        return n;
    }

    private ObjectNode callNode(UUID org, CallsRecord c) {
        ObjectNode n = JSON.createObjectNode().put("id", c.getId().toString())
                .put("direction", c.getDirection().getLiteral()).put("from_number", c.getFromNumber())
                .put("to_number", c.getToNumber()).put("state", c.getState().getLiteral())
                .put("started_at", c.getStartedAt().toString())
                .put("ended_at", c.getEndedAt() == null ? null : c.getEndedAt().toString())
                .put("recording_stored", c.getRecordingKey() != null)
                .put("recording_sha256", c.getRecordingSha256());
        ArrayNode t = n.putArray("transcript");
        for (TranscriptSegment s : calls.transcript(org, c.getId())) {
            t.addObject().put("speaker", s.speaker()).put("start_ms", s.startMs()).put("end_ms", s.endMs())
                    .put("text", s.text());
        }
        Optional<CallSummary> summary = calls.summary(org, c.getId());
        if (summary.isPresent()) {
            ObjectNode sn = n.putObject("summary").put("text", summary.get().summary().orElse(null))
                    .put("disposition", summary.get().disposition().orElse(null));
            ObjectNode vars = sn.putObject("variables");
            summary.get().variables().forEach(vars::put);
        }
        return n;
    }

    // ------------------------------------------------------------------ erasure

    /** How long an erasure waits for the calls it hung up to end and for their pipelines to finish. */
    static final Duration HANG_UP_WAIT = Duration.ofSeconds(60);

    /**
     * Erases a contact: its recordings are deleted from storage, its transcripts and summaries deleted, its
     * number removed from call logs (kept, anonymised, as structural records), its consents anonymised, and the
     * contact itself deleted. A call with the contact that is still live is hung up first (the person hears the
     * call end), and the erasure waits, up to {@link #HANG_UP_WAIT}, for it to end and for its pipeline to
     * finish. Refused while a legal hold covers the contact or any of its calls, or for a live call nothing
     * here can reach. Leaves deletion evidence (reason {@code erased}) and an audit entry.
     */
    public Erasure erase(Principal actor, String contactIdText) {
        actor.require(Role.ADMIN, "erasing personal data");
        UUID org = actor.organizationId();
        UUID contactId = Ids.parse("contact_id", contactIdText);
        boolean hungUp = hangUpLiveCalls(org, contactId);
        long deadline = System.nanoTime() + HANG_UP_WAIT.toNanos();
        while (true) {
            try {
                return eraseNow(actor, org, contactId);
            } catch (SwitchboardException.FailedPrecondition e) {
                boolean waitable = e.type().equals("CALL_ACTIVE") || e.type().equals("PIPELINE_RUNNING");
                if (!hungUp || !waitable || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SwitchboardException.Unavailable("interrupted while waiting for the contact's calls to end",
                        Duration.ofSeconds(1));
            }
        }
    }

    /**
     * Hangs up the contact's live calls, unless a legal hold would refuse the erasure anyway.
     *
     * @return whether any call was hung up
     * @throws SwitchboardException.FailedPrecondition CALL_ACTIVE for a live call nothing here can reach
     */
    private boolean hangUpLiveCalls(UUID org, UUID contactId) {
        String phone = dsl.select(CONTACTS.PHONE_E164).from(CONTACTS).where(CONTACTS.ID.eq(contactId))
                .and(CONTACTS.ORGANIZATION_ID.eq(org)).fetchOptional(CONTACTS.PHONE_E164)
                .orElseThrow(() -> new SwitchboardException.NotFound("contact", contactId.toString()));
        List<UUID> live = dsl.select(CALLS.ID).from(CALLS).where(CALLS.ORGANIZATION_ID.eq(org))
                .and(CALLS.CONTACT_ID.eq(contactId).or(CALLS.TO_NUMBER.eq(phone)).or(CALLS.FROM_NUMBER.eq(phone)))
                .and(CALLS.STATE.eq(io.switchboard.db.enums.CallState.active)).fetch(CALLS.ID);
        if (live.isEmpty() || held(dsl, org, contactId, live)) {
            return false;
        }
        for (UUID call : live) {
            if (!hangUps.hangUp(org, call, "hung up: the contact's personal data is being erased")) {
                throw new SwitchboardException.FailedPrecondition("CALL_ACTIVE", "call " + call + " with this contact"
                        + " is live on another server, which cannot be reached from this one; erase after it ends");
            }
        }
        return true;
    }

    private static boolean held(DSLContext tx, UUID org, UUID contactId, List<UUID> calls) {
        boolean held = tx.select(DSL.field("contact_held({0}, {1})", Boolean.class, DSL.val(org), DSL.val(contactId)))
                .fetchSingle().value1();
        for (UUID c : calls) {
            held |= tx.select(DSL.field("call_held({0}, {1})", Boolean.class, DSL.val(org), DSL.val(c)))
                    .fetchSingle().value1();
        }
        return held;
    }

    private Erasure eraseNow(Principal actor, UUID org, UUID contactId) {
        Instant now = now();
        RecordingStore store = recordings;
        Erasure result = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ContactsRecord contact = tx.selectFrom(CONTACTS).where(CONTACTS.ID.eq(contactId))
                    .and(CONTACTS.ORGANIZATION_ID.eq(org)).forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("contact", contactId.toString()));
            String phone = contact.getPhoneE164();
            List<CallsRecord> theirs = tx.selectFrom(CALLS).where(CALLS.ORGANIZATION_ID.eq(org))
                    .and(CALLS.CONTACT_ID.eq(contactId).or(CALLS.TO_NUMBER.eq(phone)).or(CALLS.FROM_NUMBER.eq(phone)))
                    .forUpdate().fetch();
            boolean held = tx.select(DSL.field("contact_held({0}, {1})", Boolean.class, DSL.val(org), DSL.val(contactId)))
                    .fetchSingle().value1();
            for (CallsRecord c : theirs) {
                held |= tx.select(DSL.field("call_held({0}, {1})", Boolean.class, DSL.val(org), DSL.val(c.getId())))
                        .fetchSingle().value1();
                if (c.getState() == io.switchboard.db.enums.CallState.active) {
                    throw new SwitchboardException.FailedPrecondition("CALL_ACTIVE", "call " + c.getId()
                            + " with this contact is in progress; erase after it ends");
                }
            }
            if (held) {
                throw new SwitchboardException.FailedPrecondition("LEGAL_HOLD", "a legal hold covers contact "
                        + contactId + " or one of its calls; release it before erasing");
            }
            // a pipeline still working on one of the calls would write a transcript or summary after us
            List<String> callIds = theirs.stream().map(c -> c.getId().toString()).toList();
            if (!callIds.isEmpty() && tx.fetchExists(JOBS, JOBS.KIND.eq(CallService.PIPELINE_JOB)
                    .and(JOBS.STATE.in(JobState.queued, JobState.running))
                    .and(DSL.field("{0} ->> 'call_id'", String.class, JOBS.PAYLOAD).in(callIds)))) {
                throw new SwitchboardException.FailedPrecondition("PIPELINE_RUNNING", "a call with contact "
                        + contactId + " is still being processed (recording, transcript, summary); erase it once "
                        + "its pipeline has finished, usually within a minute");
            }
            String plan = tx.select(ORGANIZATIONS.PLAN_ID).from(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(org))
                    .fetchSingle(ORGANIZATIONS.PLAN_ID);
            List<String> objects = new ArrayList<>();
            int segments = 0;
            int summaries = 0;
            for (CallsRecord c : theirs) {
                // the assembled recording and every segment it was made of (the pipeline deletes those after
                // assembly, but a crash in between leaves them; deleting a missing key is no error)
                List<String> own = new ArrayList<>(RecordingStore.segmentKeys(org, c.getId(), c.getAudioSegments()));
                if (c.getRecordingKey() != null) {
                    own.add(c.getRecordingKey());
                }
                objects.addAll(own);
                int seg = tx.deleteFrom(TRANSCRIPT_SEGMENTS).where(TRANSCRIPT_SEGMENTS.CALL_ID.eq(c.getId())).execute();
                int sum = tx.deleteFrom(CALL_SUMMARIES).where(CALL_SUMMARIES.CALL_ID.eq(c.getId())).execute();
                // the live events watchers read while the call ran (kept minutes, but erasure does not wait)
                io.switchboard.calls.LiveEvents.delete(tx, List.of(c.getId()));
                segments += seg;
                summaries += sum;
                tx.update(CALLS).set(CALLS.CONTACT_ID, (UUID) null).set(CALLS.RECORDING_KEY, (String) null)
                        .set(CALLS.RECORDING_DELETED_AT, c.getRecordingKey() == null ? c.getRecordingDeletedAt() : now)
                        // the person's side of the call: their number, and whatever number a call with them used
                        .set(CALLS.TO_NUMBER, DSL.when(CALLS.TO_NUMBER.eq(phone).or(CALLS.CONTACT_ID.eq(contactId)
                                .and(CALLS.DIRECTION.eq(CallDirection.outbound))), "").otherwise(CALLS.TO_NUMBER))
                        .set(CALLS.FROM_NUMBER, DSL.when(CALLS.FROM_NUMBER.eq(phone).or(CALLS.CONTACT_ID.eq(contactId)
                                .and(CALLS.DIRECTION.eq(CallDirection.inbound))), "").otherwise(CALLS.FROM_NUMBER))
                        .set(CALLS.UPDATED_AT, now).where(CALLS.ID.eq(c.getId())).execute();
                evidence(tx, org, "recordings", c.getId(), own.size(), now, plan);
                evidence(tx, org, "transcripts", c.getId(), seg, now, plan);
                evidence(tx, org, "summaries", c.getId(), sum, now, plan);
            }
            long anonymised = tx.select(DSL.field("consent_anonymise({0}, {1}, {2})", Long.class, DSL.val(org),
                    DSL.val(contactId), DSL.val(phone))).fetchSingle().value1();
            int texts = MessagingService.erase(tx, org, contactId, phone, now);
            evidence(tx, org, "messages", contactId, texts, now, plan);
            tx.deleteFrom(CONTACT_LIST_MEMBERS).where(CONTACT_LIST_MEMBERS.CONTACT_ID.eq(contactId)).execute();
            tx.deleteFrom(CONTACTS).where(CONTACTS.ID.eq(contactId)).execute();
            evidence(tx, org, "contacts", contactId, 1, now, plan);
            Erasure done = new Erasure(contactId, theirs.size(), objects.size(), segments, summaries, anonymised, texts);
            audit.record(tx, AuditEvent.of(actor, "privacy.erase", "contact", contactId, Map.of(
                    "calls", Integer.toString(done.callsAnonymised()),
                    "recording_objects", Integer.toString(done.recordingObjectsDeleted()),
                    "transcript_segments", Integer.toString(done.transcriptSegmentsDeleted()),
                    "summaries", Integer.toString(done.summariesDeleted()),
                    "consents", Long.toString(done.consentsAnonymised()),
                    "messages", Integer.toString(done.messagesAnonymised())), now));
            // objects last but inside the transaction: if storage fails, nothing above is committed and the
            // erasure can simply be repeated; if the commit fails after, the objects are gone and a repeat
            // finishes the rows
            store.deleteAll(objects);
            return done;
        });
        return result;
    }

    private static void evidence(DSLContext tx, UUID org, String dataClass, UUID resource, int items, Instant now,
                                 String plan) {
        if (items == 0) {
            return;
        }
        tx.insertInto(RETENTION_DELETIONS).set(RETENTION_DELETIONS.ORGANIZATION_ID, org)
                .set(RETENTION_DELETIONS.DATA_CLASS, dataClass)
                .set(RETENTION_DELETIONS.RESOURCE_TYPE, dataClass.equals("contacts") || dataClass.equals("messages")
                        ? "contact" : "call")
                .set(RETENTION_DELETIONS.RESOURCE_ID, resource.toString()).set(RETENTION_DELETIONS.ITEMS, items)
                .set(RETENTION_DELETIONS.EXPIRED_AT, now).set(RETENTION_DELETIONS.DELETED_AT, now)
                .set(RETENTION_DELETIONS.REASON, "erased").set(RETENTION_DELETIONS.PLAN_ID, plan).execute();
    }

    // ------------------------------------------------------------------ output

    private interface Sink extends AutoCloseable {
        void begin(Instant at, UUID org) throws IOException;

        void item(String list, int index, ObjectNode node) throws IOException;

        void end() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** One JSON document: {"exported_at", "organization_id", "contacts": [...], "calls_without_contact": [...]}. */
    private static final class JsonSink implements Sink {
        private final JsonGenerator g;
        private String open;

        JsonSink(Writer w) throws IOException {
            this.g = JSON.getFactory().createGenerator(w);
        }

        @Override
        public void begin(Instant at, UUID org) throws IOException {
            g.writeStartObject();
            g.writeStringField("exported_at", at.toString());
            g.writeStringField("organization_id", org.toString());
        }

        @Override
        public void item(String list, int index, ObjectNode node) throws IOException {
            if (!list.equals(open)) {
                if (open != null) {
                    g.writeEndArray();
                }
                g.writeArrayFieldStart(list);
                open = list;
            }
            JSON.writeTree(g, node);
        }

        @Override
        public void end() throws IOException {
            if (open != null) {
                g.writeEndArray();
            }
            g.writeEndObject();
        }

        @Override
        public void close() throws IOException {
            g.close();
        }
    }

    /** {@code path,value} rows: {@code contacts[0].calls[1].transcript[2].text,"..."}. */
    private static final class CsvSink implements Sink {
        private final Writer w;

        CsvSink(Writer w) {
            this.w = w;
        }

        @Override
        public void begin(Instant at, UUID org) throws IOException {
            w.write("path,value\n");
            row("exported_at", at.toString());
            row("organization_id", org.toString());
        }

        @Override
        public void item(String list, int index, ObjectNode node) throws IOException {
            flatten(list + "[" + index + "]", node);
        }

        private void flatten(String path, JsonNode n) throws IOException {
            if (n.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    flatten(path + "." + e.getKey(), e.getValue());
                }
            } else if (n.isArray()) {
                for (int i = 0; i < n.size(); i++) {
                    flatten(path + "[" + i + "]", n.get(i));
                }
            } else if (!n.isNull()) {
                row(path, n.asText());
            }
        }

        private void row(String path, String value) throws IOException {
            w.write(csv(path));
            w.write(',');
            w.write(csv(value));
            w.write('\n');
        }

        private static String csv(String s) {
            if (s.isEmpty() || s.chars().noneMatch(ch -> ch == ',' || ch == '"' || ch == '\n' || ch == '\r')) {
                return s;
            }
            return '"' + s.replace("\"", "\"\"") + '"';
        }

        @Override
        public void end() {
        }

        @Override
        public void close() throws IOException {
            w.flush();
        }
    }

    /** Hands on text in chunks of about {@link #CHUNK} characters as it is written. */
    private static final class ChunkWriter extends Writer {
        private final Consumer<String> out;
        private final StringBuilder buf = new StringBuilder(CHUNK + 1024);

        ChunkWriter(Consumer<String> out) {
            this.out = out;
        }

        @Override
        public void write(char[] c, int off, int len) {
            buf.append(c, off, len);
            if (buf.length() >= CHUNK) {
                flush();
            }
        }

        @Override
        public void flush() {
            if (!buf.isEmpty()) {
                out.accept(buf.toString());
                buf.setLength(0);
            }
        }

        @Override
        public void close() {
            flush();
        }
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
