package io.switchboard.contacts;

import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.CONTACT_LIST_MEMBERS;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audit.AuditEvent;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.db.tables.records.ContactsRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Bulk CSV import and CSV / JSON Lines export of contacts. Import upserts by external_id (or, for rows
 * without one, by phone number among contacts without one) in batches, each in its own transaction, so a
 * bad row costs only itself and re-running a file changes nothing. Export streams from a database cursor.
 */
public final class ContactTransfer {

    public static final int BATCH = 500;
    public static final int MAX_ROWS = 200_000;
    public static final int MAX_ERRORS = 1000;
    /** Rows per {@link #importRows} request. */
    public static final int MAX_CHUNK_ROWS = 1000;
    static final Set<String> KNOWN = Set.of("id", "external_id", "phone_number", "first_name", "last_name", "email",
            "tags", "time_zone");
    /** Export columns before the metadata keys; "id" is ignored on import so an export re-imports cleanly. */
    static final List<String> EXPORT_COLUMNS = List.of("id", "external_id", "phone_number", "first_name", "last_name",
            "email", "tags", "time_zone");

    public record RowError(long line, String field, String reason) {
    }

    public record ImportResult(long rowsRead, long created, long updated, long unchanged, long failed,
                               List<RowError> errors) {
    }

    public enum Format { CSV, JSON_LINES }

    private final ContactService contacts;

    public ContactTransfer(ContactService contacts) {
        this.contacts = contacts;
    }

    /** Checks the options before any byte is read, so a bad list id fails the upload at once. */
    public Optional<UUID> checkImport(Principal actor, String listIdText, String defaultRegion) {
        actor.require(Role.ADMIN, "importing contacts");
        Violations v = new Violations();
        ContactService.region(defaultRegion, "options.default_region", v);
        Optional<UUID> listId;
        try {
            listId = Ids.parseOptional("options.list_id", listIdText);
        } catch (SwitchboardException.InvalidArgument e) {
            e.violations().forEach(x -> v.add(x.field(), x.reason()));
            listId = Optional.empty();
        }
        v.throwIfAny();
        listId.ifPresent(id -> ContactService.requireLists(contacts.dsl(), actor, List.of(id)));
        return listId;
    }

    public ImportResult importCsv(Principal actor, InputStream csv, String listIdText, String defaultRegion) {
        Optional<UUID> listId = checkImport(actor, listIdText, defaultRegion);
        Reader reader = new InputStreamReader(csv, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                .setIgnoreEmptyLines(true).setAllowMissingColumnNames(false).setDuplicateHeaderMode(
                        org.apache.commons.csv.DuplicateHeaderMode.DISALLOW).get();
        Counts counts = new Counts();
        try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
            List<String> header = parser.getHeaderNames().stream().map(h -> h.strip().toLowerCase(java.util.Locale.ROOT)).toList();
            if (!header.contains("phone_number")) {
                throw new SwitchboardException.InvalidArgument("chunk",
                        "the CSV header must name a phone_number column; found " + header);
            }
            List<Row> batch = new ArrayList<>();
            for (CSVRecord rec : parser) {
                counts.read++;
                if (counts.read > MAX_ROWS) {
                    throw new SwitchboardException.InvalidArgument("chunk", "at most " + MAX_ROWS
                            + " rows per import; split the file (rows before line " + (rec.getRecordNumber() + 1)
                            + " were imported)");
                }
                long line = rec.getRecordNumber() + 1;
                Row row = parseRow(rec.toList(), header, line, defaultRegion, counts);
                if (row != null) {
                    batch.add(row);
                }
                if (batch.size() >= BATCH) {
                    flush(actor, batch, listId, counts);
                    batch.clear();
                }
            }
            flush(actor, batch, listId, counts);
        } catch (UncheckedIOException | IOException | IllegalArgumentException | IllegalStateException e) {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            String why = cause instanceof CharacterCodingException ? "is not UTF-8 text" : "is not valid CSV: " + cause.getMessage();
            throw new SwitchboardException.InvalidArgument("chunk", "the file " + why
                    + (counts.read > 0 ? " (near row " + counts.read + "; rows before it were imported)" : ""));
        }
        ImportResult result = new ImportResult(counts.read, counts.created, counts.updated, counts.unchanged,
                counts.failed, List.copyOf(counts.errors));
        contacts.audit().record(AuditEvent.of(actor, "contact.import", "contact_list",
                listId.map(UUID::toString).orElse(""), Map.of("rows", Long.toString(result.rowsRead()),
                        "created", Long.toString(result.created()), "updated", Long.toString(result.updated()),
                        "failed", Long.toString(result.failed())), contacts.now()));
        return result;
    }

    /** One row of a file the client read itself: its 1-based line number (the header is line 1) and its cells. */
    public record RowCells(long line, List<String> cells) {
        public RowCells {
            cells = List.copyOf(cells);
        }
    }

    /**
     * One chunk of a file the client parsed (a browser over grpc-web cannot stream): at most {@link #MAX_CHUNK_ROWS}
     * rows, checked and upserted as {@link #importCsv} does, in one batch. A chunk sent again changes nothing; a row
     * repeating an earlier row of the same chunk is refused as in a file (across chunks, the later one updates).
     */
    public ImportResult importRows(Principal actor, String listIdText, String defaultRegion, List<String> headerCells,
                                   List<RowCells> rows) {
        Optional<UUID> listId = checkImport(actor, listIdText, defaultRegion);
        List<String> header = headerCells.stream().map(h -> h.strip().toLowerCase(java.util.Locale.ROOT)).toList();
        Violations v = new Violations();
        if (!header.contains("phone_number")) {
            v.add("header", "must name a phone_number column; found " + header);
        } else if (new java.util.HashSet<>(header).size() != header.size()) {
            v.add("header", "names a column twice: " + header);
        }
        if (rows.size() > MAX_CHUNK_ROWS) {
            v.add("rows", "at most " + MAX_CHUNK_ROWS + " rows per request, got " + rows.size()
                    + "; send the file in smaller chunks");
        }
        for (int i = 0; i < rows.size() && v.isEmpty(); i++) {
            if (rows.get(i).line() < 2) {
                v.add("rows[" + i + "].line", "must be the row's line in the file, 2 or more (the header is line 1)");
            }
        }
        v.throwIfAny();
        Counts counts = new Counts();
        List<Row> batch = new ArrayList<>();
        for (RowCells r : rows) {
            counts.read++;
            List<String> cells = r.cells().stream().map(String::strip).toList();
            if (cells.stream().allMatch(String::isEmpty)) {
                counts.read--; // a blank line, as the file import skips it
                continue;
            }
            Row row = parseRow(cells, header, r.line(), defaultRegion, counts);
            if (row != null) {
                batch.add(row);
            }
        }
        flush(actor, batch, listId, counts);
        ImportResult result = new ImportResult(counts.read, counts.created, counts.updated, counts.unchanged,
                counts.failed, List.copyOf(counts.errors));
        contacts.audit().record(AuditEvent.of(actor, "contact.import", "contact_list",
                listId.map(UUID::toString).orElse(""), Map.of("rows", Long.toString(result.rowsRead()),
                        "created", Long.toString(result.created()), "updated", Long.toString(result.updated()),
                        "failed", Long.toString(result.failed()), "chunk", "true"), contacts.now()));
        return result;
    }

    private static final class Counts {
        long read;
        long created;
        long updated;
        long unchanged;
        long failed;
        final List<RowError> errors = new ArrayList<>();
        final Map<String, Long> externalIdLines = new HashMap<>();

        void fail(long line, String field, String reason) {
            failed++;
            error(line, field, reason);
        }

        /** Reports a problem without counting another failed row (a row may have several). */
        void error(long line, String field, String reason) {
            if (errors.size() < MAX_ERRORS) {
                errors.add(new RowError(line, field, reason));
            }
        }
    }

    private record Row(long line, ContactService.Valid contact) {
    }

    private static Row parseRow(List<String> values, List<String> header, long line, String region, Counts counts) {
        if (values.size() != header.size()) {
            counts.fail(line, "", "has " + values.size() + " cells; the header has " + header.size());
            return null;
        }
        Map<String, String> cells = new LinkedHashMap<>();
        ObjectNode metadata = ContactService.JSON.createObjectNode();
        for (int i = 0; i < header.size(); i++) {
            String name = header.get(i);
            String value = values.get(i);
            if (KNOWN.contains(name)) {
                cells.put(name, value);
            } else if (!value.isEmpty()) {
                metadata.put(name, value);
            }
        }
        List<String> tags = new ArrayList<>();
        for (String t : cells.getOrDefault("tags", "").split(";")) {
            if (!t.isBlank()) {
                tags.add(t.strip());
            }
        }
        ContactSpec spec = new ContactSpec(cells.getOrDefault("external_id", ""), cells.getOrDefault("phone_number", ""),
                cells.getOrDefault("first_name", ""), cells.getOrDefault("last_name", ""), cells.getOrDefault("email", ""),
                metadata.toString(), tags, cells.getOrDefault("time_zone", ""), List.of());
        Violations v = new Violations();
        ContactService.Valid c = ContactService.validate("", spec, region, v);
        if (!v.isEmpty()) {
            counts.failed++;
            v.list().forEach(x -> counts.error(line, x.field(), x.reason()));
            return null;
        }
        String key = c.externalId() != null ? "x:" + c.externalId() : "p:" + c.phone();
        Long earlier = counts.externalIdLines.putIfAbsent(key, line);
        if (earlier != null) {
            counts.fail(line, c.externalId() != null ? "external_id" : "phone_number",
                    "repeats line " + earlier + " of this file; the first one was kept");
            return null;
        }
        return new Row(line, c);
    }

    private void flush(Principal actor, List<Row> batch, Optional<UUID> listId, Counts counts) {
        if (batch.isEmpty()) {
            return;
        }
        Instant now = contacts.now();
        contacts.dsl().transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            List<String> externalIds = batch.stream().map(r -> r.contact().externalId()).filter(java.util.Objects::nonNull).toList();
            List<String> phones = batch.stream().filter(r -> r.contact().externalId() == null).map(r -> r.contact().phone()).toList();
            Map<String, ContactsRecord> byExternal = new HashMap<>();
            Map<String, ContactsRecord> byPhone = new HashMap<>();
            Condition live = ContactService.live(actor);
            if (!externalIds.isEmpty()) {
                tx.selectFrom(CONTACTS).where(live).and(CONTACTS.EXTERNAL_ID.in(externalIds)).forUpdate()
                        .forEach(r -> byExternal.put(r.getExternalId(), r));
            }
            if (!phones.isEmpty()) {
                tx.selectFrom(CONTACTS).where(live).and(CONTACTS.EXTERNAL_ID.isNull()).and(CONTACTS.PHONE_E164.in(phones))
                        .orderBy(CONTACTS.CREATED_AT).forUpdate()
                        .forEach(r -> byPhone.putIfAbsent(r.getPhoneE164(), r));
            }
            List<UUID> ids = new ArrayList<>();
            for (Row row : batch) {
                ContactService.Valid c = row.contact();
                ContactsRecord existing = c.externalId() != null ? byExternal.get(c.externalId()) : byPhone.get(c.phone());
                if (existing == null) {
                    ContactsRecord r = tx.newRecord(CONTACTS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                            .setCreatedAt(now).setUpdatedAt(now);
                    c.applyTo(r);
                    r.store();
                    ids.add(r.getId());
                    counts.created++;
                } else if (c.sameAs(existing)) {
                    ids.add(existing.getId());
                    counts.unchanged++;
                } else {
                    c.applyTo(existing);
                    existing.setUpdatedAt(now).store();
                    ids.add(existing.getId());
                    counts.updated++;
                }
            }
            listId.ifPresent(l -> ContactService.addToLists(tx, actor, List.of(l), ids, now));
        });
    }

    /** Writes every live contact (or those in {@code listIdText}) to {@code out}; closes nothing. */
    public long export(Principal actor, Format format, String listIdText, OutputStream out) {
        actor.require(Role.ADMIN, "exporting contacts");
        Optional<UUID> listId = Ids.parseOptional("list_id", listIdText);
        DSLContext dsl = contacts.dsl();
        listId.ifPresent(id -> ContactService.requireLists(dsl, actor, List.of(id)));
        // personal data leaves: audited before the first row goes, failing closed
        contacts.audit().record(dsl, AuditEvent.of(actor, "contact.export", "contact_list",
                listId.map(UUID::toString).orElse(""), Map.of("format", format.name()), contacts.now()));
        Condition where = ContactService.live(actor);
        if (listId.isPresent()) {
            where = where.and(CONTACTS.ID.in(DSL.select(CONTACT_LIST_MEMBERS.CONTACT_ID).from(CONTACT_LIST_MEMBERS)
                    .where(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID.eq(listId.get()))
                    .and(CONTACT_LIST_MEMBERS.ORGANIZATION_ID.eq(actor.organizationId()))));
        }
        Condition rows = where;
        long n = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            long count = 0;
            if (format == Format.CSV) {
                // metadata keys become columns, so the file re-imports into the same metadata
                Set<String> keys = new TreeSet<>(tx.selectDistinct(DSL.field("jsonb_object_keys({0})", String.class,
                        CONTACTS.METADATA)).from(CONTACTS).where(rows).fetch(0, String.class));
                keys.removeAll(KNOWN);
                List<String> header = new ArrayList<>(EXPORT_COLUMNS);
                header.addAll(keys);
                CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).get());
                try (Cursor<ContactsRecord> cursor = tx.selectFrom(CONTACTS).where(rows)
                        .orderBy(CONTACTS.CREATED_AT, CONTACTS.ID).fetchSize(BATCH).fetchLazy()) {
                    for (ContactsRecord r : cursor) {
                        Contact c = ContactService.toDomain(r, List.of());
                        var meta = ContactService.JSON.readTree(c.metadataJson());
                        List<String> cells = new ArrayList<>(List.of(c.id().toString(), c.externalId(), c.phoneNumber(),
                                c.firstName(), c.lastName(), c.email(), String.join(";", c.tags()), c.timeZone()));
                        for (String k : keys) {
                            var value = meta.get(k);
                            cells.add(value == null || value.isNull() ? "" : value.isTextual() ? value.asText() : value.toString());
                        }
                        csv.printRecord(cells.stream().map(ContactTransfer::neutralise).toList());
                        count++;
                    }
                }
                csv.flush();
            } else {
                try (Cursor<ContactsRecord> cursor = tx.selectFrom(CONTACTS).where(rows)
                        .orderBy(CONTACTS.CREATED_AT, CONTACTS.ID).fetchSize(BATCH).fetchLazy()) {
                    List<ContactsRecord> chunk = new ArrayList<>();
                    for (ContactsRecord r : cursor) {
                        chunk.add(r);
                        if (chunk.size() == BATCH) {
                            count += writeJsonLines(tx, chunk, w);
                            chunk.clear();
                        }
                    }
                    count += writeJsonLines(tx, chunk, w);
                }
                w.flush();
            }
            return count;
        });
        return n;
    }

    private static long writeJsonLines(DSLContext tx, List<ContactsRecord> chunk, Writer w) throws IOException {
        Map<UUID, List<UUID>> lists = ContactService.listsOf(tx, chunk.stream().map(ContactsRecord::getId).toList());
        for (ContactsRecord r : chunk) {
            Contact c = ContactService.toDomain(r, lists.getOrDefault(r.getId(), List.of()));
            ObjectNode o = ContactService.JSON.createObjectNode();
            o.put("id", c.id().toString()).put("external_id", c.externalId()).put("phone_number", c.phoneNumber())
                    .put("first_name", c.firstName()).put("last_name", c.lastName()).put("email", c.email());
            o.set("metadata", ContactService.JSON.readTree(c.metadataJson()));
            ArrayNode tags = o.putArray("tags");
            c.tags().forEach(tags::add);
            o.put("time_zone", c.timeZone());
            ArrayNode listIds = o.putArray("list_ids");
            c.listIds().forEach(l -> listIds.add(l.toString()));
            o.put("create_time", c.createdAt().toString()).put("update_time", c.updatedAt().toString());
            w.write(ContactService.JSON.writeValueAsString(o));
            w.write('\n');
        }
        return chunk.size();
    }

    /**
     * Spreadsheet formula injection: a cell starting with = + - @ (or a tab or carriage return) is run as a
     * formula when the file is opened in Excel or Sheets, so such cells get a leading apostrophe. E.164
     * numbers ("+" and digits only) are left alone: they evaluate to themselves.
     */
    static String neutralise(String cell) {
        if (cell.isEmpty() || cell.matches("^\\+[0-9]+$")) {
            return cell;
        }
        char c = cell.charAt(0);
        return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' ? "'" + cell : cell;
    }
}
