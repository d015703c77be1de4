package io.switchboard.compliance;

import static io.switchboard.db.Tables.DO_NOT_CALL;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The organisation's do-not-call list. Numbers are normalised to E.164 (national forms with a default
 * region); adding is idempotent; every outbound call is checked against it before it starts
 * ({@link #refuseIfListed}).
 */
public final class DoNotCall {

    /** Most numbers one request may add: a list larger than this is imported in several requests. */
    public static final int MAX_PER_REQUEST = 10_000;

    /** One listed number. */
    public record Entry(String phoneNumber, String reason, String source, Optional<UUID> addedBy, Instant addedAt) {
    }

    /** What an import did: numbers newly listed, numbers already listed, and the rejected ones by index. */
    public record Added(int added, int alreadyListed, List<SwitchboardException.Violation> rejected) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;

    public DoNotCall(DSLContext dsl, Clock clock, AuditSink audit) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * Lists numbers (agents and up: a callee asking not to be called is recorded by whoever hears it).
     * Valid numbers are listed even when others in the request are not; the bad ones come back by index.
     */
    public Added add(Principal actor, List<String> numbers, String defaultRegion, String reason, String source) {
        actor.require(Role.AGENT, "adding to the do-not-call list");
        Violations v = new Violations().maxLength("reason", reason, 500);
        if (numbers.isEmpty() || numbers.size() > MAX_PER_REQUEST) {
            v.add("phone_numbers", "give 1 to " + MAX_PER_REQUEST + " numbers per request");
        }
        if (!PhoneNumbers.isKnownRegion(defaultRegion)) {
            v.add("default_region", "'" + defaultRegion + "' is not an ISO 3166 region code");
        }
        if (!Set.of("api", "import", "opt-out").contains(source)) {
            v.add("source", "must be api, import or opt-out");
        }
        v.throwIfAny();
        Set<String> valid = new LinkedHashSet<>();
        List<SwitchboardException.Violation> rejected = new ArrayList<>();
        for (int i = 0; i < numbers.size(); i++) {
            Violations one = new Violations();
            String field = "phone_numbers[" + i + "]";
            PhoneNumbers.normalize(field, numbers.get(i), defaultRegion, one).ifPresent(valid::add);
            rejected.addAll(one.list());
        }
        Instant now = now();
        int added = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            int n = 0;
            for (String phone : valid) {
                n += tx.insertInto(DO_NOT_CALL).set(DO_NOT_CALL.ORGANIZATION_ID, actor.organizationId())
                        .set(DO_NOT_CALL.PHONE_E164, phone).set(DO_NOT_CALL.REASON, reason == null ? "" : reason.strip())
                        .set(DO_NOT_CALL.SOURCE, source).set(DO_NOT_CALL.ADDED_BY, actor.apiKeyId())
                        .set(DO_NOT_CALL.ADDED_AT, now).onConflictDoNothing().execute();
            }
            audit.record(tx, AuditEvent.of(actor, "dnc.add", "do_not_call", actor.organizationId(),
                    Map.of("added", Integer.toString(n), "source", source), now));
            return n;
        });
        return new Added(added, valid.size() - added, rejected);
    }

    /** A line of an imported file that was not taken, and why (lines are 1-based, the header is line 1). */
    public record RowError(long line, String field, String reason) {
    }

    public record Imported(long rowsRead, int added, int alreadyListed, List<RowError> errors) {
    }

    /** Rows an import may have; larger lists are split. */
    public static final int MAX_IMPORT_ROWS = 1_000_000;
    private static final Set<String> PHONE_COLUMNS = Set.of("phone_number", "phone", "number", "phone_e164");

    /**
     * Imports a do-not-call file: CSV with a header naming a {@code phone_number} (or {@code phone},
     * {@code number}) column and optionally {@code reason}, or a bare list with one number per line (what
     * registries and other dialers export). Valid rows are listed in one transaction, audited once; the
     * others come back by line. Reading the file fails as a whole only when it is not text or too long.
     */
    public Imported importCsv(Principal actor, InputStream file, String defaultRegion, String reason, String source) {
        actor.require(Role.AGENT, "adding to the do-not-call list");
        Violations v = new Violations().maxLength("options.reason", reason, 500);
        String src = source == null || source.isBlank() ? "import" : source.strip();
        if (!Set.of("import", "opt-out").contains(src)) {
            v.add("options.source", "must be import or opt-out");
        }
        if (!PhoneNumbers.isKnownRegion(defaultRegion)) {
            v.add("options.default_region", "'" + defaultRegion + "' is not an ISO 3166 region code");
        }
        v.throwIfAny();
        List<String[]> rows = new ArrayList<>(); // e164, reason
        List<RowError> errors = new ArrayList<>();
        long read = 0;
        try (Reader in = new InputStreamReader(file, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)); CSVParser csv = CSVFormat.DEFAULT.builder()
                .setTrim(true).setIgnoreEmptyLines(true).setCommentMarker('#').get().parse(in)) {
            int phoneColumn = 0;
            int reasonColumn = -1;
            boolean first = true;
            for (CSVRecord r : csv) {
                if (first) {
                    first = false;
                    List<String> header = r.toList().stream().map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList();
                    int p = -1;
                    for (int i = 0; i < header.size(); i++) {
                        if (PHONE_COLUMNS.contains(header.get(i))) {
                            p = i;
                        }
                    }
                    if (p >= 0) {
                        phoneColumn = p;
                        reasonColumn = header.indexOf("reason");
                        continue;
                    }
                    if (header.size() > 1 && header.stream().noneMatch(h -> h.matches("[+0-9 ().-]+"))) {
                        throw new SwitchboardException.InvalidArgument("chunk", "the header has no phone_number column: "
                                + abbreviate(String.join(",", header)));
                    }
                }
                if (++read > MAX_IMPORT_ROWS) {
                    throw new SwitchboardException.InvalidArgument("chunk", "more than " + MAX_IMPORT_ROWS
                            + " rows; split the file");
                }
                long line = csv.getCurrentLineNumber();
                String number = phoneColumn < r.size() ? r.get(phoneColumn) : "";
                Violations one = new Violations();
                Optional<String> phone = PhoneNumbers.normalize("phone_number", number, defaultRegion, one);
                if (phone.isEmpty() || !one.isEmpty()) {
                    one.list().forEach(x -> errors.add(new RowError(line, x.field(), x.reason())));
                    if (one.isEmpty()) {
                        errors.add(new RowError(line, "phone_number", "is not a phone number"));
                    }
                    continue;
                }
                String why = reasonColumn >= 0 && reasonColumn < r.size() && !r.get(reasonColumn).isBlank()
                        ? r.get(reasonColumn) : reason == null ? "" : reason.strip();
                if (why.length() > 500) {
                    errors.add(new RowError(line, "reason", "at most 500 characters"));
                    continue;
                }
                rows.add(new String[] {phone.get(), why});
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new SwitchboardException.InvalidArgument("chunk", "the file is not UTF-8 CSV: " + e.getMessage());
        }
        Instant now = now();
        String s = src;
        long rowsRead = read;
        int added = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            int n = 0;
            for (int i = 0; i < rows.size(); i += 1000) {
                var insert = tx.insertInto(DO_NOT_CALL, DO_NOT_CALL.ORGANIZATION_ID, DO_NOT_CALL.PHONE_E164,
                        DO_NOT_CALL.REASON, DO_NOT_CALL.SOURCE, DO_NOT_CALL.ADDED_BY, DO_NOT_CALL.ADDED_AT);
                for (String[] row : rows.subList(i, Math.min(rows.size(), i + 1000))) {
                    insert = insert.values(actor.organizationId(), row[0], row[1], s, actor.apiKeyId(), now);
                }
                n += insert.onConflictDoNothing().execute();
            }
            audit.record(tx, AuditEvent.of(actor, "dnc.import", "do_not_call", actor.organizationId(),
                    Map.of("rows", Long.toString(rowsRead), "added", Integer.toString(n),
                            "rejected", Integer.toString(errors.size()), "source", s), now));
            return n;
        });
        return new Imported(rowsRead, added, rows.size() - added, errors);
    }

    /**
     * Writes the whole list as CSV ({@code phone_number,reason,source,added_at}) in number order; audited
     * before the first row, since the list is personal data.
     */
    public void exportCsv(Principal actor, OutputStream out) {
        actor.require(Role.VIEWER, "reading the do-not-call list");
        audit.record(dsl, AuditEvent.of(actor, "dnc.export", "do_not_call", actor.organizationId(), Map.of(), now()));
        try {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder()
                    .setHeader("phone_number", "reason", "source", "added_at").get());
            String after = "";
            List<Entry> page;
            do {
                page = list(actor, after, 1000);
                for (Entry e : page) {
                    csv.printRecord(e.phoneNumber(), e.reason(), e.source(), e.addedAt().toString());
                }
                after = page.isEmpty() ? after : page.getLast().phoneNumber();
            } while (page.size() == 1000);
            csv.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String abbreviate(String t) {
        return t.length() <= 60 ? t : t.substring(0, 60) + "…";
    }

    /** Takes a number off the list (admins); NOT_FOUND if it was not on it. */
    public void remove(Principal actor, String number, String defaultRegion) {
        actor.require(Role.ADMIN, "removing from the do-not-call list");
        String phone = normalize("phone_number", number, defaultRegion);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            if (tx.deleteFrom(DO_NOT_CALL).where(DO_NOT_CALL.ORGANIZATION_ID.eq(actor.organizationId()))
                    .and(DO_NOT_CALL.PHONE_E164.eq(phone)).execute() == 0) {
                throw new SwitchboardException.NotFound("do_not_call", phone);
            }
            // the number itself is personal data; the audit trail keeps only its last digits
            audit.record(tx, AuditEvent.of(actor, "dnc.remove", "do_not_call", actor.organizationId(),
                    Map.of("number_ending", phone.substring(phone.length() - 2)), now));
        });
    }

    public Optional<Entry> find(Principal actor, String number, String defaultRegion) {
        actor.require(Role.VIEWER, "reading the do-not-call list");
        return find(actor.organizationId(), normalize("phone_number", number, defaultRegion));
    }

    /** The list in number order, {@code pageSize} (1..1000) after {@code afterNumber} (export). */
    public List<Entry> list(Principal actor, String afterNumber, int pageSize) {
        actor.require(Role.VIEWER, "reading the do-not-call list");
        if (pageSize < 0) {
            throw new SwitchboardException.InvalidArgument("page_size", "must not be negative");
        }
        return dsl.selectFrom(DO_NOT_CALL).where(DO_NOT_CALL.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(afterNumber == null || afterNumber.isEmpty() ? DSL.noCondition() : DO_NOT_CALL.PHONE_E164.gt(afterNumber))
                .orderBy(DO_NOT_CALL.PHONE_E164).limit(pageSize == 0 ? 100 : Math.min(pageSize, 1000))
                .fetch(r -> new Entry(r.getPhoneE164(), r.getReason(), r.getSource(), Optional.ofNullable(r.getAddedBy()),
                        r.getAddedAt()));
    }

    /** The guard's question: is {@code e164} on {@code org}'s list (read in the caller's transaction)? */
    public static boolean listed(DSLContext tx, UUID org, String e164) {
        return tx.fetchExists(DO_NOT_CALL, DO_NOT_CALL.ORGANIZATION_ID.eq(org).and(DO_NOT_CALL.PHONE_E164.eq(e164)));
    }

    private Optional<Entry> find(UUID org, String phone) {
        return dsl.selectFrom(DO_NOT_CALL).where(DO_NOT_CALL.ORGANIZATION_ID.eq(org)).and(DO_NOT_CALL.PHONE_E164.eq(phone))
                .fetchOptional(r -> new Entry(r.getPhoneE164(), r.getReason(), r.getSource(),
                        Optional.ofNullable(r.getAddedBy()), r.getAddedAt()));
    }

    private static String normalize(String field, String number, String defaultRegion) {
        Violations v = new Violations();
        Optional<String> phone = PhoneNumbers.normalize(field, number, defaultRegion, v);
        v.throwIfAny();
        return phone.orElseThrow();
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
