package io.switchboard.contacts;

import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.CONTACT_LISTS;
import static io.switchboard.db.Tables.CONTACT_LIST_MEMBERS;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Ids;
import io.switchboard.common.Keyset;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.UpdateMask;
import io.switchboard.common.Violations;
import io.switchboard.db.enums.CampaignState;
import io.switchboard.db.tables.records.ContactListsRecord;
import io.switchboard.idempotency.RequestId;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.db.tables.records.ContactsRecord;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Contacts and contact lists. Numbers are stored in E.164; the time zone is derived from the number unless
 * given. Deletes are soft; deleting a contact drops it from every list, and a list an unfinished campaign
 * dials cannot be deleted. Bulk import and export live in {@link ContactTransfer}.
 */
public final class ContactService {

    public static final Set<String> UPDATABLE = Set.of("external_id", "phone_number", "first_name", "last_name", "email",
            "metadata", "tags", "time_zone", "list_ids");
    public static final Set<String> LIST_UPDATABLE = Set.of("name", "description");
    /** How long a deleted contact is kept (out of every list and read) before it is purged. */
    public static final Duration PURGE_AFTER = Duration.ofDays(30);
    static final int MAX_TAGS = 50;
    static final int MAX_METADATA_BYTES = 16 * 1024;
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
    static final ObjectMapper JSON = new ObjectMapper();

    private final DSLContext dsl;
    private final Clock clock;
    private final AuditSink audit;
    private final RequestIds requestIds;

    public ContactService(DSLContext dsl, Clock clock, AuditSink audit, RequestIds requestIds) {
        this.dsl = dsl;
        this.clock = clock;
        this.audit = audit;
        this.requestIds = requestIds;
    }

    DSLContext dsl() {
        return dsl;
    }

    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    AuditSink audit() {
        return audit;
    }

    // ---------------------------------------------------------------- contacts

    public Contact create(Principal actor, ContactSpec spec, String defaultRegion) {
        return create(actor, spec, defaultRegion, RequestId.NONE);
    }

    /** Creates a contact; a retry with the same {@code requestId} gets the contact the first attempt made. */
    public Contact create(Principal actor, ContactSpec spec, String defaultRegion, RequestId requestId) {
        actor.require(Role.AGENT, "creating contacts");
        Violations v = new Violations();
        region(defaultRegion, "default_region", v);
        Valid c = validate("contact.", spec, defaultRegion, v);
        List<UUID> listIds = ids("contact.list_ids", spec.listIds(), v);
        v.throwIfAny();
        Instant now = now();
        return requestIds.once(actor.organizationId(), requestId, "contact", tx -> {
            requireLists(tx, actor, listIds);
            requireExternalIdFree(tx, actor, c.externalId(), Optional.empty());
            ContactsRecord r = tx.newRecord(CONTACTS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                    .setCreatedAt(now).setUpdatedAt(now);
            c.applyTo(r);
            r.store();
            addToLists(tx, actor, listIds, List.of(r.getId()), now);
            audit.record(tx, AuditEvent.of(actor, "contact.create", "contact", r.getId(), Map.of(), now));
            return RequestIds.Made.of(toDomain(r, listIds), r.getId());
        }, (tx, id, secret) -> toDomain(fetch(tx, actor, id, false),
                listsOf(tx, List.of(id)).getOrDefault(id, List.of())));
    }

    public Contact get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading contacts");
        ContactsRecord r = fetch(dsl, actor, Ids.parse("id", idText), false);
        return toDomain(r, listsOf(dsl, List.of(r.getId())).getOrDefault(r.getId(), List.of()));
    }

    /** Live contacts in creation order, optionally only those in {@code listId} or carrying {@code tag}. */
    public Page<Contact> list(Principal actor, String listIdText, String tag, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing contacts");
        Optional<UUID> listId = Ids.parseOptional("list_id", listIdText);
        String scope = "contacts:" + listId.map(UUID::toString).orElse("") + ":" + tag;
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition where = live(actor);
        if (listId.isPresent()) {
            requireLists(dsl, actor, List.of(listId.get()));
            where = where.and(CONTACTS.ID.in(DSL.select(CONTACT_LIST_MEMBERS.CONTACT_ID).from(CONTACT_LIST_MEMBERS)
                    .where(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID.eq(listId.get()))
                    .and(CONTACT_LIST_MEMBERS.ORGANIZATION_ID.eq(actor.organizationId()))));
        }
        if (tag != null && !tag.isEmpty()) {
            where = where.and(DSL.condition("{0} @> ARRAY[{1}]::text[]", CONTACTS.TAGS, DSL.val(tag)));
        }
        Page<ContactsRecord> rows = Keyset.page(dsl, CONTACTS, where, CONTACTS.CREATED_AT, CONTACTS.ID, page, scope,
                r -> r, r -> new PageRequest.Cursor(r.getCreatedAt(), r.getId()));
        Map<UUID, List<UUID>> lists = listsOf(dsl, rows.items().stream().map(ContactsRecord::getId).toList());
        return rows.map(r -> toDomain(r, lists.getOrDefault(r.getId(), List.of())));
    }

    public Contact update(Principal actor, String idText, ContactSpec patch, List<String> maskPaths, String defaultRegion) {
        actor.require(Role.AGENT, "updating contacts");
        UUID id = Ids.parse("contact.id", idText);
        UpdateMask mask = UpdateMask.of(maskPaths, UPDATABLE);
        Violations v = new Violations();
        region(defaultRegion, "default_region", v);
        v.throwIfAny();
        Instant now = now();
        Contact updated = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ContactsRecord r = fetch(tx, actor, id, true);
            List<UUID> currentLists = listsOf(tx, List.of(id)).getOrDefault(id, List.of());
            ContactSpec current = toSpec(r);
            ContactSpec merged = new ContactSpec(
                    mask.has("external_id") ? patch.externalId() : current.externalId(),
                    mask.has("phone_number") ? patch.phoneNumber() : current.phoneNumber(),
                    mask.has("first_name") ? patch.firstName() : current.firstName(),
                    mask.has("last_name") ? patch.lastName() : current.lastName(),
                    mask.has("email") ? patch.email() : current.email(),
                    mask.has("metadata") ? patch.metadataJson() : current.metadataJson(),
                    mask.has("tags") ? patch.tags() : current.tags(),
                    // a new number without an explicit zone gets the new number's zone
                    mask.has("time_zone") ? patch.timeZone()
                            : mask.has("phone_number") ? "" : current.timeZone(),
                    List.of());
            Violations vv = new Violations();
            Valid c = validate("contact.", merged, defaultRegion, vv);
            List<UUID> lists = mask.has("list_ids") ? ids("contact.list_ids", patch.listIds(), vv) : currentLists;
            vv.throwIfAny();
            if (mask.has("external_id")) {
                requireExternalIdFree(tx, actor, c.externalId(), Optional.of(id));
            }
            c.applyTo(r);
            r.setUpdatedAt(now).store();
            if (mask.has("list_ids")) {
                requireLists(tx, actor, lists);
                tx.deleteFrom(CONTACT_LIST_MEMBERS).where(CONTACT_LIST_MEMBERS.CONTACT_ID.eq(id))
                        .and(CONTACT_LIST_MEMBERS.ORGANIZATION_ID.eq(actor.organizationId()))
                        .and(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID.notIn(lists)).execute();
                addToLists(tx, actor, lists, List.of(id), now);
            }
            audit.record(tx, AuditEvent.of(actor, "contact.update", "contact", id,
                    Map.of("fields", String.join(",", mask.paths().stream().sorted().toList())), now));
            return toDomain(r, lists);
        });
        return updated;
    }

    /**
     * Soft delete: the contact leaves every list at once; {@link #PURGE_AFTER} later the retention sweeper
     * deletes the row (unless a legal hold stands), and calls that reached it stop pointing at it.
     */
    public void delete(Principal actor, String idText) {
        actor.require(Role.AGENT, "deleting contacts");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ContactsRecord r = fetch(tx, actor, id, true);
            tx.deleteFrom(CONTACT_LIST_MEMBERS).where(CONTACT_LIST_MEMBERS.CONTACT_ID.eq(id))
                    .and(CONTACT_LIST_MEMBERS.ORGANIZATION_ID.eq(actor.organizationId())).execute();
            r.setDeletedAt(now).setPurgeAt(now.plus(PURGE_AFTER)).setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "contact.delete", "contact", id,
                    Map.of("purge_at", now.plus(PURGE_AFTER).toString()), now));
        });
    }

    // ---------------------------------------------------------------- lists

    public ContactList createList(Principal actor, String name, String description) {
        return createList(actor, name, description, RequestId.NONE);
    }

    /** Creates a contact list; a retry with the same {@code requestId} gets the list the first attempt made. */
    public ContactList createList(Principal actor, String name, String description, RequestId requestId) {
        actor.require(Role.ADMIN, "creating contact lists");
        Violations v = new Violations().requireText("contact_list.name", name, 200)
                .maxLength("contact_list.description", description, 2000);
        v.throwIfAny();
        Instant now = now();
        return requestIds.once(actor.organizationId(), requestId, "contact_list", tx -> {
            ContactListsRecord r = tx.newRecord(CONTACT_LISTS).setId(Ids.newId()).setOrganizationId(actor.organizationId())
                    .setName(name.strip()).setDescription(description == null ? "" : description)
                    .setCreatedAt(now).setUpdatedAt(now);
            r.store();
            audit.record(tx, AuditEvent.of(actor, "contact_list.create", "contact_list", r.getId(), Map.of(), now));
            return RequestIds.Made.of(toDomain(r, 0), r.getId());
        }, (tx, id, secret) -> toDomain(fetchList(tx, actor, id, false),
                counts(tx, List.of(id)).getOrDefault(id, 0L)));
    }

    public ContactList getList(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading contact lists");
        ContactListsRecord r = fetchList(dsl, actor, Ids.parse("id", idText), false);
        return toDomain(r, counts(dsl, List.of(r.getId())).getOrDefault(r.getId(), 0L));
    }

    public Page<ContactList> listLists(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing contact lists");
        PageRequest page = PageRequest.of(pageSize, pageToken, "contact_lists");
        Page<ContactListsRecord> rows = Keyset.page(dsl, CONTACT_LISTS, CONTACT_LISTS.ORGANIZATION_ID.eq(actor.organizationId())
                        .and(CONTACT_LISTS.DELETED_AT.isNull()), CONTACT_LISTS.CREATED_AT, CONTACT_LISTS.ID, page,
                "contact_lists", r -> r, r -> new PageRequest.Cursor(r.getCreatedAt(), r.getId()));
        Map<UUID, Long> counts = counts(dsl, rows.items().stream().map(ContactListsRecord::getId).toList());
        return rows.map(r -> toDomain(r, counts.getOrDefault(r.getId(), 0L)));
    }

    public ContactList updateList(Principal actor, String idText, String name, String description, List<String> maskPaths) {
        actor.require(Role.ADMIN, "updating contact lists");
        UUID id = Ids.parse("contact_list.id", idText);
        UpdateMask mask = UpdateMask.of(maskPaths, LIST_UPDATABLE);
        Violations v = new Violations();
        if (mask.has("name")) {
            v.requireText("contact_list.name", name, 200);
        }
        if (mask.has("description")) {
            v.maxLength("contact_list.description", description, 2000);
        }
        v.throwIfAny();
        Instant now = now();
        ContactList list = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ContactListsRecord r = fetchList(tx, actor, id, true);
            if (mask.has("name")) {
                r.setName(name.strip());
            }
            if (mask.has("description")) {
                r.setDescription(description == null ? "" : description);
            }
            r.setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "contact_list.update", "contact_list", id,
                    Map.of("fields", String.join(",", mask.paths().stream().sorted().toList())), now));
            return toDomain(r, counts(tx, List.of(id)).getOrDefault(id, 0L));
        });
        return list;
    }

    /** Soft delete; refused while a draft, running or paused campaign dials the list. Contacts stay. */
    public void deleteList(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting contact lists");
        UUID id = Ids.parse("id", idText);
        Instant now = now();
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            ContactListsRecord r = fetchList(tx, actor, id, true);
            List<UUID> users = tx.select(CAMPAIGNS.ID).from(CAMPAIGNS).where(CAMPAIGNS.CONTACT_LIST_ID.eq(id))
                    .and(CAMPAIGNS.ORGANIZATION_ID.eq(actor.organizationId())).and(CAMPAIGNS.DELETED_AT.isNull())
                    .and(CAMPAIGNS.STATE.in(CampaignState.draft, CampaignState.running, CampaignState.paused))
                    .limit(5).fetch(CAMPAIGNS.ID);
            if (!users.isEmpty()) {
                throw new SwitchboardException.FailedPrecondition("CONTACT_LIST_IN_USE", "contact list " + id
                        + " is dialled by unfinished campaigns " + users + "; complete, cancel or re-point them first");
            }
            tx.deleteFrom(CONTACT_LIST_MEMBERS).where(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID.eq(id))
                    .and(CONTACT_LIST_MEMBERS.ORGANIZATION_ID.eq(actor.organizationId())).execute();
            r.setDeletedAt(now).setUpdatedAt(now).store();
            audit.record(tx, AuditEvent.of(actor, "contact_list.delete", "contact_list", id, Map.of(), now));
        });
    }

    // ---------------------------------------------------------------- validation

    /** A contact's columns after validation; {@code externalId} null when absent. */
    record Valid(String externalId, String phone, String firstName, String lastName, String email, JSONB metadata,
                 String[] tags, String timeZone) {

        void applyTo(ContactsRecord r) {
            r.setExternalId(externalId).setPhoneE164(phone).setFirstName(firstName).setLastName(lastName)
                    .setEmail(email).setMetadata(metadata).setTags(tags).setTimeZone(timeZone);
        }

        boolean sameAs(ContactsRecord r) {
            return java.util.Objects.equals(externalId, r.getExternalId()) && phone.equals(r.getPhoneE164())
                    && firstName.equals(r.getFirstName()) && lastName.equals(r.getLastName())
                    && email.equals(r.getEmail()) && jsonEquals(metadata, r.getMetadata())
                    && java.util.Arrays.equals(tags, r.getTags()) && timeZone.equals(r.getTimeZone());
        }
    }

    /** Validates every field, naming each as {@code prefix + field}; the result is meaningful only if {@code v} stayed empty. */
    static Valid validate(String prefix, ContactSpec s, String defaultRegion, Violations v) {
        String externalId = s.externalId() == null ? "" : s.externalId().strip();
        if (externalId.length() > 200) {
            v.add(prefix + "external_id", "must be at most 200 characters");
        }
        String phone = PhoneNumbers.normalize(prefix + "phone_number", s.phoneNumber(),
                PhoneNumbers.isKnownRegion(defaultRegion) ? defaultRegion : "", v).orElse("");
        String first = nn(s.firstName()).strip();
        String last = nn(s.lastName()).strip();
        v.maxLength(prefix + "first_name", first, 200).maxLength(prefix + "last_name", last, 200);
        String email = nn(s.email()).strip();
        if (!email.isEmpty() && (email.length() > 320 || !EMAIL.matcher(email).matches())) {
            v.add(prefix + "email", "is not an email address: '" + abbreviate(email) + "'");
        }
        JSONB metadata = JSONB.jsonb("{}");
        String m = s.metadataJson() == null || s.metadataJson().isBlank() ? "{}" : s.metadataJson();
        if (m.length() > MAX_METADATA_BYTES) {
            v.add(prefix + "metadata", "must be at most " + MAX_METADATA_BYTES + " bytes of JSON");
        } else {
            try {
                JsonNode node = JSON.readTree(m);
                if (node == null || !node.isObject()) {
                    v.add(prefix + "metadata", "must be a JSON object");
                } else {
                    metadata = JSONB.jsonb(JSON.writeValueAsString(node));
                }
            } catch (JsonProcessingException e) {
                v.add(prefix + "metadata", "is not valid JSON: " + e.getOriginalMessage());
            }
        }
        Set<String> tags = new LinkedHashSet<>();
        for (int i = 0; i < s.tags().size(); i++) {
            String t = nn(s.tags().get(i)).strip();
            if (t.isEmpty() || t.length() > 64) {
                v.add(prefix + "tags[" + i + "]", "must be 1 to 64 characters");
            } else {
                tags.add(t);
            }
        }
        if (tags.size() > MAX_TAGS) {
            v.add(prefix + "tags", "at most " + MAX_TAGS + " tags");
        }
        String zone = nn(s.timeZone()).strip();
        if (!zone.isEmpty()) {
            try {
                zone = ZoneId.of(zone).getId();
            } catch (DateTimeException e) {
                v.add(prefix + "time_zone", "is not an IANA time zone like America/New_York: '" + abbreviate(zone) + "'");
            }
        } else if (!phone.isEmpty()) {
            zone = PhoneNumbers.zoneOf(phone).orElse("");
        }
        return new Valid(externalId.isEmpty() ? null : externalId, phone, first, last, email, metadata,
                tags.toArray(String[]::new), zone);
    }

    static void region(String region, String field, Violations v) {
        if (!PhoneNumbers.isKnownRegion(region)) {
            v.add(field, "is not an ISO 3166 region libphonenumber knows, e.g. US or GB: '" + abbreviate(region) + "'");
        }
    }

    private static List<UUID> ids(String field, List<String> texts, Violations v) {
        List<UUID> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            try {
                UUID id = Ids.parse(field + "[" + i + "]", texts.get(i));
                if (!out.contains(id)) {
                    out.add(id);
                }
            } catch (SwitchboardException.InvalidArgument e) {
                e.violations().forEach(x -> v.add(x.field(), x.reason()));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- persistence helpers

    static void requireLists(DSLContext tx, Principal actor, Collection<UUID> listIds) {
        if (listIds.isEmpty()) {
            return;
        }
        Set<UUID> found = new java.util.HashSet<>(tx.select(CONTACT_LISTS.ID).from(CONTACT_LISTS)
                .where(CONTACT_LISTS.ID.in(listIds)).and(CONTACT_LISTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(CONTACT_LISTS.DELETED_AT.isNull()).forShare().fetch(CONTACT_LISTS.ID));
        for (UUID id : listIds) {
            if (!found.contains(id)) {
                throw new SwitchboardException.NotFound("contact list", id.toString());
            }
        }
    }

    static void addToLists(DSLContext tx, Principal actor, Collection<UUID> listIds, Collection<UUID> contactIds, Instant now) {
        if (listIds.isEmpty() || contactIds.isEmpty()) {
            return;
        }
        var insert = tx.insertInto(CONTACT_LIST_MEMBERS, CONTACT_LIST_MEMBERS.CONTACT_LIST_ID,
                CONTACT_LIST_MEMBERS.CONTACT_ID, CONTACT_LIST_MEMBERS.ORGANIZATION_ID, CONTACT_LIST_MEMBERS.ADDED_AT);
        for (UUID list : listIds) {
            for (UUID contact : contactIds) {
                insert = insert.values(list, contact, actor.organizationId(), now);
            }
        }
        insert.onConflictDoNothing().execute();
    }

    private static void requireExternalIdFree(DSLContext tx, Principal actor, String externalId, Optional<UUID> self) {
        if (externalId == null) {
            return;
        }
        Condition c = live(actor).and(CONTACTS.EXTERNAL_ID.eq(externalId));
        if (self.isPresent()) {
            c = c.and(CONTACTS.ID.ne(self.get()));
        }
        tx.select(CONTACTS.ID).from(CONTACTS).where(c).fetchOptional(CONTACTS.ID).ifPresent(other -> {
            throw new SwitchboardException.AlreadyExists("contact " + other + " already has external_id '" + externalId
                    + "'; external ids are unique within the organisation");
        });
    }

    static Condition live(Principal actor) {
        return CONTACTS.ORGANIZATION_ID.eq(actor.organizationId()).and(CONTACTS.DELETED_AT.isNull());
    }

    private static ContactsRecord fetch(DSLContext tx, Principal actor, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(CONTACTS).where(CONTACTS.ID.eq(id)).and(live(actor));
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("contact", id.toString()));
    }

    private static ContactListsRecord fetchList(DSLContext tx, Principal actor, UUID id, boolean forUpdate) {
        var q = tx.selectFrom(CONTACT_LISTS).where(CONTACT_LISTS.ID.eq(id))
                .and(CONTACT_LISTS.ORGANIZATION_ID.eq(actor.organizationId())).and(CONTACT_LISTS.DELETED_AT.isNull());
        return (forUpdate ? q.forUpdate().fetchOptional() : q.fetchOptional())
                .orElseThrow(() -> new SwitchboardException.NotFound("contact list", id.toString()));
    }

    /** List memberships of the given contacts, in list creation order. */
    static Map<UUID, List<UUID>> listsOf(DSLContext tx, Collection<UUID> contactIds) {
        Map<UUID, List<UUID>> out = new HashMap<>();
        if (contactIds.isEmpty()) {
            return out;
        }
        tx.select(CONTACT_LIST_MEMBERS.CONTACT_ID, CONTACT_LIST_MEMBERS.CONTACT_LIST_ID).from(CONTACT_LIST_MEMBERS)
                .join(CONTACT_LISTS).on(CONTACT_LISTS.ID.eq(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID))
                .where(CONTACT_LIST_MEMBERS.CONTACT_ID.in(contactIds)).and(CONTACT_LISTS.DELETED_AT.isNull())
                .orderBy(CONTACT_LISTS.CREATED_AT, CONTACT_LISTS.ID)
                .forEach(r -> out.computeIfAbsent(r.value1(), k -> new ArrayList<>()).add(r.value2()));
        return out;
    }

    private static Map<UUID, Long> counts(DSLContext tx, Collection<UUID> listIds) {
        Map<UUID, Long> out = new HashMap<>();
        if (listIds.isEmpty()) {
            return out;
        }
        tx.select(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID, DSL.count()).from(CONTACT_LIST_MEMBERS)
                .where(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID.in(listIds)).groupBy(CONTACT_LIST_MEMBERS.CONTACT_LIST_ID)
                .forEach(r -> out.put(r.value1(), r.value2().longValue()));
        return out;
    }

    static ContactSpec toSpec(ContactsRecord r) {
        return new ContactSpec(nn(r.getExternalId()), r.getPhoneE164(), r.getFirstName(), r.getLastName(), r.getEmail(),
                r.getMetadata().data(), List.of(r.getTags()), r.getTimeZone(), List.of());
    }

    static Contact toDomain(ContactsRecord r, List<UUID> listIds) {
        return new Contact(r.getId(), r.getOrganizationId(), nn(r.getExternalId()), r.getPhoneE164(), r.getFirstName(),
                r.getLastName(), r.getEmail(), r.getMetadata().data(), List.of(r.getTags()), r.getTimeZone(),
                List.copyOf(listIds), r.getCreatedAt(), r.getUpdatedAt());
    }

    private static ContactList toDomain(ContactListsRecord r, long count) {
        return new ContactList(r.getId(), r.getOrganizationId(), r.getName(), r.getDescription(), count,
                r.getCreatedAt(), r.getUpdatedAt());
    }

    static boolean jsonEquals(JSONB a, JSONB b) {
        try {
            return JSON.readTree(a.data()).equals(JSON.readTree(b.data()));
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    static String nn(String s) {
        return s == null ? "" : s;
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
