package io.switchboard.messaging;

import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CONSENTS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.MESSAGES;
import static io.switchboard.db.Tables.MESSAGE_TEMPLATES;
import static io.switchboard.db.Tables.MESSAGING_CONSENT_EVENTS;
import static io.switchboard.db.Tables.MESSAGING_SENDERS;
import static io.switchboard.db.Tables.ORGANIZATIONS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditSink;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptStore;
import io.switchboard.campaigns.CallingWindow;
import io.switchboard.campaigns.Campaign;
import io.switchboard.campaigns.CampaignRows;
import io.switchboard.common.Ids;
import io.switchboard.common.Page;
import io.switchboard.common.PageRequest;
import io.switchboard.common.SwitchboardException;
import io.switchboard.common.Violations;
import io.switchboard.compliance.Callee;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.db.tables.records.ContactsRecord;
import io.switchboard.db.tables.records.MessageTemplatesRecord;
import io.switchboard.db.tables.records.MessagesRecord;
import io.switchboard.db.tables.records.MessagingConsentEventsRecord;
import io.switchboard.db.tables.records.MessagingSendersRecord;
import io.switchboard.encryption.ContentSeal;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.PlanService;
import io.switchboard.queue.JobQueue;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.usage.UsageService;
import io.switchboard.webhooks.WebhookEvent;
import io.switchboard.webhooks.Webhooks;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Texts between the organisation's sender numbers and its contacts. A send is checked (opt-outs, the
 * do-not-call list, marketing consent, the WhatsApp 24-hour window, the recipient's calling window), stored
 * with its body sealed under the organisation's data key, and queued as a {@value #SEND_JOB} job in the same
 * transaction; the worker hands it to the carrier ({@code SendMessageJob}). Inbound texts and the carrier's
 * status callbacks come in through {@link #receive} and {@link #carrierStatus}; keywords (STOP, START, HELP)
 * change the number's standing organisation-wide and are answered once.
 */
public final class MessagingService {

    public static final String SEND_JOB = "message.send";
    /** WhatsApp: free-form text only this long after the contact's last inbound message. */
    public static final Duration WHATSAPP_WINDOW = Duration.ofHours(24);
    /** How far ahead a send outside the calling window may be scheduled. */
    static final int WINDOW_HORIZON_DAYS = 14;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param helpText the platform's answer to HELP/INFO, for organisations that set none of their own;
     *                 {@code {organization}} is replaced by the organisation's name
     */
    public record Settings(String helpText) {
        public static final Settings DEFAULT = new Settings(
                "{organization}: reply STOP to stop receiving texts, START to receive them again.");
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final JobQueue jobs;
    private final ContentSeal seal;
    private final AuditSink audit;
    private final Webhooks webhooks;
    private final TranscriptStore transcripts;
    private final UsageService usage;
    private final Settings settings;

    public MessagingService(DSLContext dsl, Clock clock, PlanService plans, JobQueue jobs, ContentSeal seal,
                            AuditSink audit, Webhooks webhooks, TranscriptStore transcripts, UsageService usage,
                            Settings settings) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.jobs = jobs;
        this.seal = seal;
        this.audit = audit;
        this.webhooks = webhooks;
        this.transcripts = transcripts;
        this.usage = usage;
        this.settings = settings;
    }

    // ------------------------------------------------------------------ senders

    public Sender addSender(Principal actor, String addressText) {
        actor.require(Role.ADMIN, "adding sender numbers");
        String address = address("address", addressText);
        Instant now = now();
        MessagingSendersRecord r = dsl.newRecord(MESSAGING_SENDERS).setId(Ids.newId())
                .setOrganizationId(actor.organizationId()).setAddress(address)
                .setChannel(Channel.ofAddress(address).key()).setNextSendAt(now).setCreatedAt(now);
        int n = dsl.insertInto(MESSAGING_SENDERS).set(r).onConflictDoNothing().execute();
        if (n == 0) {
            throw new SwitchboardException.AlreadyExists("address", address + " is already a sender number");
        }
        audit.record(dsl, AuditEvent.of(actor, "messaging.sender.add", "sender", r.getId(), Map.of("address", address), now));
        return sender(r);
    }

    public Page<Sender> senders(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing sender numbers");
        PageRequest page = PageRequest.of(pageSize, pageToken, "senders");
        return io.switchboard.common.Keyset.page(dsl, MESSAGING_SENDERS,
                MESSAGING_SENDERS.ORGANIZATION_ID.eq(actor.organizationId()), MESSAGING_SENDERS.CREATED_AT,
                MESSAGING_SENDERS.ID, page, "senders", MessagingService::sender,
                s -> new PageRequest.Cursor(s.createdAt(), s.id()));
    }

    public void removeSender(Principal actor, String idText) {
        actor.require(Role.ADMIN, "removing sender numbers");
        UUID id = Ids.parse("id", idText);
        if (dsl.deleteFrom(MESSAGING_SENDERS).where(MESSAGING_SENDERS.ID.eq(id))
                .and(MESSAGING_SENDERS.ORGANIZATION_ID.eq(actor.organizationId())).execute() == 0) {
            throw new SwitchboardException.NotFound("sender", id.toString());
        }
        audit.record(dsl, AuditEvent.of(actor, "messaging.sender.remove", "sender", id, Map.of(), now()));
    }

    private static Sender sender(MessagingSendersRecord r) {
        return new Sender(r.getId(), r.getAddress(), Channel.of(r.getChannel()), r.getCreatedAt());
    }

    // ------------------------------------------------------------------ templates

    public record TemplateSpec(String name, Optional<Channel> channel, Optional<Template.Category> category,
                               String body, String contentSid) {
    }

    public Template createTemplate(Principal actor, TemplateSpec spec) {
        actor.require(Role.ADMIN, "creating message templates");
        Violations v = new Violations();
        if (spec.name() == null || !spec.name().matches("[a-z0-9][a-z0-9_.-]{0,63}")) {
            v.add("template.name", "is required: 1-64 lower-case letters, digits, '_', '.' or '-'");
        }
        if (spec.channel().isEmpty()) {
            v.add("template.channel", "is required: sms or whatsapp");
        }
        validateTemplate(v, spec, spec.channel().orElse(Channel.SMS));
        v.throwIfAny();
        Instant now = now();
        MessageTemplatesRecord r = dsl.newRecord(MESSAGE_TEMPLATES).setId(Ids.newId())
                .setOrganizationId(actor.organizationId()).setName(spec.name()).setChannel(spec.channel().get().key())
                .setCategory(spec.category().orElse(Template.Category.TRANSACTIONAL).name().toLowerCase(Locale.ROOT))
                .setBody(spec.body()).setContentSid(spec.contentSid() == null ? "" : spec.contentSid().strip())
                .setCreatedAt(now).setUpdatedAt(now);
        if (dsl.insertInto(MESSAGE_TEMPLATES).set(r).onConflictDoNothing().execute() == 0) {
            throw new SwitchboardException.AlreadyExists("template.name", "a template named " + spec.name() + " exists");
        }
        audit.record(dsl, AuditEvent.of(actor, "messaging.template.create", "message_template", r.getId(),
                Map.of("name", spec.name()), now));
        return template(r);
    }

    /** Replaces the body, category and content id; the name and channel stay. */
    public Template updateTemplate(Principal actor, String idText, TemplateSpec spec) {
        actor.require(Role.ADMIN, "changing message templates");
        UUID id = Ids.parse("template.id", idText);
        MessageTemplatesRecord r = liveTemplate(actor.organizationId(), id, "template.id");
        Violations v = new Violations();
        validateTemplate(v, spec, Channel.of(r.getChannel()));
        v.throwIfAny();
        r.setBody(spec.body()).setContentSid(spec.contentSid() == null ? "" : spec.contentSid().strip())
                .setCategory(spec.category().orElse(Template.Category.valueOf(r.getCategory().toUpperCase(Locale.ROOT)))
                        .name().toLowerCase(Locale.ROOT)).setUpdatedAt(now()).store();
        audit.record(dsl, AuditEvent.of(actor, "messaging.template.update", "message_template", id, Map.of(), now()));
        return template(r);
    }

    public void deleteTemplate(Principal actor, String idText) {
        actor.require(Role.ADMIN, "deleting message templates");
        UUID id = Ids.parse("id", idText);
        MessageTemplatesRecord r = liveTemplate(actor.organizationId(), id, "id");
        r.setDeletedAt(now()).store();
        audit.record(dsl, AuditEvent.of(actor, "messaging.template.delete", "message_template", id, Map.of(), now()));
    }

    public Page<Template> templates(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing message templates");
        PageRequest page = PageRequest.of(pageSize, pageToken, "templates");
        return io.switchboard.common.Keyset.page(dsl, MESSAGE_TEMPLATES,
                MESSAGE_TEMPLATES.ORGANIZATION_ID.eq(actor.organizationId()).and(MESSAGE_TEMPLATES.DELETED_AT.isNull()),
                MESSAGE_TEMPLATES.CREATED_AT, MESSAGE_TEMPLATES.ID, page, "templates", MessagingService::template,
                t -> new PageRequest.Cursor(t.createdAt(), t.id()));
    }

    private static void validateTemplate(Violations v, TemplateSpec spec, Channel channel) {
        String body = spec.body() == null ? "" : spec.body();
        Segments.refusal(body).ifPresent(reason -> v.add("template.body", reason));
        TemplateText.problem(body).ifPresent(reason -> v.add("template.body", reason));
        String sid = spec.contentSid() == null ? "" : spec.contentSid().strip();
        if (!sid.isEmpty() && !sid.matches("HX[0-9a-fA-F]{32}")) {
            v.add("template.content_sid", "must be the carrier's content id: HX and 32 hexadecimal digits");
        }
        if (!sid.isEmpty() && channel != Channel.WHATSAPP) {
            v.add("template.content_sid", "only WhatsApp templates have an approved content id");
        }
    }

    private MessageTemplatesRecord liveTemplate(UUID org, UUID id, String field) {
        return dsl.selectFrom(MESSAGE_TEMPLATES).where(MESSAGE_TEMPLATES.ID.eq(id))
                .and(MESSAGE_TEMPLATES.ORGANIZATION_ID.eq(org)).and(MESSAGE_TEMPLATES.DELETED_AT.isNull())
                .fetchOptional().orElseThrow(() -> new SwitchboardException.NotFound("message_template", id.toString()));
    }

    static Template template(MessageTemplatesRecord r) {
        return new Template(r.getId(), r.getName(), Channel.of(r.getChannel()),
                Template.Category.valueOf(r.getCategory().toUpperCase(Locale.ROOT)), r.getBody(), r.getContentSid(),
                r.getCreatedAt(), r.getUpdatedAt());
    }

    // ------------------------------------------------------------------ sending

    /**
     * What a client asks to send: to a contact or a number, from a sender of the organisation, a body or a
     * template; {@code variables} fill the template's own {@code {{NAME}}} placeholders and a WhatsApp
     * template's content variables.
     */
    public record SendRequest(String contactId, String to, String from, String body, String templateId, String callId,
                              String campaignId, Map<String, String> variables) {
    }

    public Message send(Principal actor, SendRequest in) {
        actor.require(Role.AGENT, "sending messages");
        UUID org = actor.organizationId();
        Violations v = new Violations();
        Optional<UUID> contactId = Ids.parseOptional("contact_id", in.contactId());
        Optional<UUID> templateId = Ids.parseOptional("template_id", in.templateId());
        Optional<UUID> callId = Ids.parseOptional("call_id", in.callId());
        Optional<UUID> campaignId = Ids.parseOptional("campaign_id", in.campaignId());
        String body = in.body() == null ? "" : in.body();
        if (contactId.isPresent() == !blank(in.to())) {
            v.add("to", "give exactly one of contact_id and to");
        }
        if (body.isEmpty() == templateId.isEmpty()) {
            v.add("body", "give exactly one of body and template_id");
        }
        if (!body.isEmpty()) {
            Segments.refusal(body).ifPresent(reason -> v.add("body", reason));
        }
        String from = blank(in.from()) ? "" : address("from", in.from(), v);
        if (blank(in.from())) {
            v.add("from", "is required: a sender number of the organisation");
        }
        Optional<String> to = blank(in.to()) ? Optional.empty() : Optional.of(address("to", in.to(), v));
        v.throwIfAny();
        Channel channel = Channel.ofAddress(from);
        if (to.isPresent() && Channel.ofAddress(to.get()) != channel) {
            throw new SwitchboardException.InvalidArgument("to", "is on " + Channel.ofAddress(to.get()).key()
                    + " but from is on " + channel.key() + "; both must be on the same channel");
        }
        if (!dsl.fetchExists(MESSAGING_SENDERS, MESSAGING_SENDERS.ADDRESS.eq(from)
                .and(MESSAGING_SENDERS.ORGANIZATION_ID.eq(org)))) {
            throw new SwitchboardException.InvalidArgument("from", from + " is not a sender number of the organisation");
        }
        Optional<ContactsRecord> contact = contactId.map(id -> dsl.selectFrom(CONTACTS).where(CONTACTS.ID.eq(id))
                .and(CONTACTS.ORGANIZATION_ID.eq(org)).and(CONTACTS.DELETED_AT.isNull()).fetchOptional()
                .orElseThrow(() -> new SwitchboardException.NotFound("contact", id.toString())));
        String phone = contact.map(ContactsRecord::getPhoneE164).orElseGet(() -> Channel.phoneOf(to.orElseThrow()));
        if (contact.isEmpty()) {
            contact = dsl.selectFrom(CONTACTS).where(CONTACTS.ORGANIZATION_ID.eq(org)).and(CONTACTS.PHONE_E164.eq(phone))
                    .and(CONTACTS.DELETED_AT.isNull()).orderBy(CONTACTS.CREATED_AT).limit(1).fetchOptional();
        }
        callId.ifPresent(id -> {
            if (!dsl.fetchExists(CALLS, CALLS.ID.eq(id).and(CALLS.ORGANIZATION_ID.eq(org)))) {
                throw new SwitchboardException.NotFound("call", id.toString());
            }
        });
        Optional<Campaign> campaign = campaignId.map(id -> CampaignRows.campaign(dsl.selectFrom(CAMPAIGNS)
                .where(CAMPAIGNS.ID.eq(id)).and(CAMPAIGNS.ORGANIZATION_ID.eq(org)).fetchOptional()
                .orElseThrow(() -> new SwitchboardException.NotFound("campaign", id.toString()))));
        Optional<MessageTemplatesRecord> template = templateId.map(id -> liveTemplate(org, id, "template_id"));
        Map<String, String> variables = in.variables() == null ? Map.of() : in.variables();
        String text = body;
        String contentSid = "";
        if (template.isPresent()) {
            MessageTemplatesRecord t = template.get();
            if (Channel.of(t.getChannel()) != channel) {
                throw new SwitchboardException.InvalidArgument("template_id", "is a " + t.getChannel()
                        + " template; the message goes on " + channel.key());
            }
            refuseUnfillableByAnyRecipient(t.getBody(), callId, variables);
            contentSid = t.getContentSid();
        }
        String recipient = channel.address(phone);
        Instant now = now();
        // compliance: nothing below reaches the carrier unless every check passes. These refusals are about the
        // recipient, so they come before the template is filled in with the recipient's data: an opted-out
        // contact is reported as opted out, not as a contact short of a first name, and its data is not read.
        refuseIfOptedOut(actor, org, phone);
        if (DoNotCall.listed(dsl, org, phone)) {
            refuse(actor, "do_not_call", "DO_NOT_CALL", phone + " is on the organisation's do-not-call list, which"
                    + " applies to texts too; the message was not sent");
        }
        if (template.isPresent() && template.get().getCategory().equals("marketing")
                && !marketingConsent(org, contact.map(ContactsRecord::getId), phone)) {
            refuse(actor, "no_marketing_consent", "NO_MARKETING_CONSENT", "template " + template.get().getName()
                    + " is marketing, and " + phone + " has no recorded marketing consent; the message was not sent");
        }
        if (channel == Channel.WHATSAPP && contentSid.isEmpty()) {
            Optional<Instant> last = lastInbound(org, phone, Channel.WHATSAPP);
            if (last.isEmpty() || !now.isBefore(last.get().plus(WHATSAPP_WINDOW))) {
                refuse(actor, "outside_whatsapp_window", "OUTSIDE_WHATSAPP_WINDOW", last.map(t -> "the contact's last"
                        + " WhatsApp message was at " + t).orElse("the contact has never sent a WhatsApp message")
                        + "; outside 24 hours after it only an approved template (with a content id) may be sent");
            }
        }
        CallingWindow window = campaign.map(Campaign::callingWindow).orElse(CallingWindow.DEFAULT);
        Set<LocalDate> holidays = campaign.map(c -> c.dialingRules().holidays()).orElse(Set.of());
        Callee callee = new Callee(contact.map(ContactsRecord::getId), phone, Optional.of(phone),
                contact.map(ContactsRecord::getPhoneE164), contact.map(ContactsRecord::getTimeZone).orElse(""));
        List<ZoneId> zones = callee.zones(window.fallbackZone());
        if (zones.isEmpty()) {
            refuse(actor, "no_time_zone", "NO_TIME_ZONE", "the local time of " + phone + " is unknown (no contact time"
                    + " zone, the number names no region" + (campaign.isPresent() ? ", no campaign fallback zone" : "")
                    + "), so its calling window cannot be honoured; the message was not sent");
        }
        Optional<Instant> sendAfter = Optional.empty();
        if (!window.allowsEverywhere(now, zones, holidays)) {
            sendAfter = window.nextOpening(now, zones, holidays, WINDOW_HORIZON_DAYS);
            if (sendAfter.isEmpty()) {
                refuse(actor, "outside_calling_window", "OUTSIDE_CALLING_WINDOW", "the calling window of " + phone
                        + " does not open within " + WINDOW_HORIZON_DAYS + " days; the message was not sent");
            }
        }
        if (template.isPresent()) {
            text = render(org, template.get().getBody(), contact, callId, variables);
            Optional<String> tooLong = Segments.refusal(text);
            if (tooLong.isPresent()) {
                throw new SwitchboardException.InvalidArgument("template_id", "the filled-in text " + tooLong.get());
            }
        }
        Outgoing out = new Outgoing(org, channel, contact.map(ContactsRecord::getId), phone, from, recipient,
                Message.Purpose.TEXT, text, template.map(MessageTemplatesRecord::getId), contentSid,
                contentSid.isEmpty() ? Map.of() : variables, callId, campaignId, sendAfter);
        UUID id = dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            UUID m = enqueue(tx, out);
            audit.record(tx, AuditEvent.of(actor, "message.send", "message", m, Map.of("channel", channel.key(),
                    "template", template.map(MessageTemplatesRecord::getName).orElse("")), now));
            return m;
        });
        return find(org, id).orElseThrow();
    }

    /** An outbound text as queued: everything the worker needs, with the body still in the clear. */
    record Outgoing(UUID org, Channel channel, Optional<UUID> contactId, String phone, String from, String to,
                    Message.Purpose purpose, String body, Optional<UUID> templateId, String contentSid,
                    Map<String, String> contentVariables, Optional<UUID> callId, Optional<UUID> campaignId,
                    Optional<Instant> sendAfter) {
    }

    /** Stores an outbound text and queues its send job, in {@code tx}; returns its id. */
    private UUID enqueue(DSLContext tx, Outgoing o) {
        UUID id = Ids.newId();
        Instant now = now();
        Segments seg = Segments.of(o.body());
        tx.insertInto(MESSAGES).set(MESSAGES.ID, id).set(MESSAGES.ORGANIZATION_ID, o.org())
                .set(MESSAGES.CONTACT_ID, o.contactId().orElse(null)).set(MESSAGES.CALL_ID, o.callId().orElse(null))
                .set(MESSAGES.CAMPAIGN_ID, o.campaignId().orElse(null)).set(MESSAGES.CHANNEL, o.channel().key())
                .set(MESSAGES.DIRECTION, "outbound").set(MESSAGES.CONTACT_PHONE, o.phone())
                .set(MESSAGES.FROM_ADDRESS, o.from()).set(MESSAGES.TO_ADDRESS, o.to())
                .set(MESSAGES.PURPOSE, o.purpose().name().toLowerCase(Locale.ROOT))
                .set(MESSAGES.TEMPLATE_ID, o.templateId().orElse(null)).set(MESSAGES.CONTENT_SID, o.contentSid())
                .set(MESSAGES.SEALED, sealBody(o.org(), id, o.body(), o.contentVariables()))
                .set(MESSAGES.ENCODING, seg.encoding().key()).set(MESSAGES.SEGMENTS, seg.count())
                .set(MESSAGES.STATUS, o.sendAfter().isPresent() ? "scheduled" : "queued")
                .set(MESSAGES.SEND_AFTER, o.sendAfter().orElse(null))
                .set(MESSAGES.CREATED_AT, now).set(MESSAGES.UPDATED_AT, now)
                .set(MESSAGES.EXPIRES_AT, expiry(o.org(), now))
                .execute();
        jobs.enqueue(tx, new JobQueue.NewJob(SEND_JOB, Optional.of(o.org()), "{\"message_id\":\"" + id + "\"}",
                Optional.of(id.toString()), o.sendAfter(), 12));
        return id;
    }

    /**
     * The placeholders of a template that no recipient could fill, because only the request can: a {@code call.}
     * value when the send names no call, or a name that is neither a contact field ({@code first_name},
     * {@code last_name}, {@code phone}, {@code email}, {@code metadata.*}) nor given in the request's variables.
     * Such a send is malformed whoever it goes to, so it is refused as such before the recipient's consent is
     * looked at; a contact field this contact lacks is found only when the text is filled in, after it.
     */
    private static void refuseUnfillableByAnyRecipient(String body, Optional<UUID> callId, Map<String, String> variables) {
        for (String name : TemplateText.names(body)) {
            if (given(variables, name)) {
                continue;
            }
            String why = null;
            if (name.startsWith("call.")) {
                if (callId.isEmpty()) {
                    why = "the send names no call_id";
                }
            } else if (!CONTACT_FIELDS.contains(name) && !name.startsWith("metadata.")) {
                why = "it is not a contact field and the request's variables do not give it";
            }
            if (why != null) {
                throw new SwitchboardException.InvalidArgument("template_id", "{{" + name + "}} has no value: " + why
                        + "; the message was not sent");
            }
        }
    }

    /** The contact's own fields a template may name (besides {@code metadata.*}), as {@link #render} fills them. */
    private static final Set<String> CONTACT_FIELDS = Set.of("first_name", "last_name", "phone", "email");

    private static boolean given(Map<String, String> variables, String name) {
        String v = variables.get(name);
        return v != null && !v.isEmpty();
    }

    private String render(UUID org, String body, Optional<ContactsRecord> contact, Optional<UUID> callId,
                          Map<String, String> variables) {
        Map<String, String> values = new HashMap<>();
        contact.ifPresent(c -> {
            put(values, "first_name", c.getFirstName());
            put(values, "last_name", c.getLastName());
            put(values, "phone", c.getPhoneE164());
            put(values, "email", c.getEmail());
            JsonNode meta = readTree(c.getMetadata().data());
            meta.properties().forEach(e -> {
                if (e.getValue().isValueNode() && !e.getValue().asText().isEmpty()) {
                    values.put("metadata." + e.getKey(), e.getValue().asText());
                }
            });
        });
        Optional<CallSummary> summary = callId.flatMap(id -> transcripts.summary(org, id));
        summary.ifPresent(s -> {
            s.variables().forEach((k, val) -> put(values, "call.variables." + k, val));
            s.disposition().ifPresent(d -> values.put("call.disposition", d));
        });
        variables.forEach((k, val) -> put(values, k, val));
        try {
            return TemplateText.render(body, values);
        } catch (TemplateText.Missing e) {
            String why;
            if (e.name().startsWith("call.")) {
                why = callId.isEmpty() ? "the send names no call_id" : "the call captured no "
                        + e.name().substring(e.name().lastIndexOf('.') + 1);
            } else if (contact.isEmpty() && !variables.containsKey(e.name())) {
                why = "the recipient is not a contact and the request's variables do not give it";
            } else {
                why = "neither the contact nor the request's variables give it";
            }
            throw new SwitchboardException.InvalidArgument("template_id", "{{" + e.name() + "}} has no value: " + why
                    + "; the message was not sent");
        }
    }

    private static void put(Map<String, String> values, String name, String value) {
        if (value != null && !value.isEmpty()) {
            values.put(name, value);
        }
    }

    private boolean marketingConsent(UUID org, Optional<UUID> contactId, String phone) {
        Condition who = CONSENTS.PHONE_E164.eq(phone);
        if (contactId.isPresent()) {
            who = who.or(CONSENTS.CONTACT_ID.eq(contactId.get()));
        }
        return Boolean.TRUE.equals(dsl.select(CONSENTS.GRANTED).from(CONSENTS).where(CONSENTS.ORGANIZATION_ID.eq(org))
                .and(CONSENTS.PURPOSE.eq("marketing")).and(who).orderBy(CONSENTS.GIVEN_AT.desc(), CONSENTS.RECORDED_AT.desc())
                .limit(1).fetchOne(CONSENTS.GRANTED));
    }

    private void refuseIfOptedOut(Principal actor, UUID org, String phone) {
        Optional<ConsentEvent> last = lastConsent(dsl, org, phone);
        if (last.isPresent() && last.get().kind() == ConsentEvent.Kind.OPT_OUT) {
            refuse(actor, "opted_out", "OPTED_OUT", phone + " opted out of texts from the organisation ("
                    + last.get().words() + " at " + last.get().occurredAt() + ") and has not opted back in; the"
                    + " message was not sent");
        }
    }

    private void refuse(Principal actor, String reason, String type, String message) {
        audit.record(dsl, AuditEvent.of(actor, "message.refused", "message", "", Map.of("reason", reason), now()));
        throw new SwitchboardException.FailedPrecondition(type, message);
    }

    /** Whether {@code phone} is opted out of the organisation's texts now. */
    public boolean optedOut(UUID org, String phone) {
        return lastConsent(dsl, org, phone).filter(e -> e.kind() == ConsentEvent.Kind.OPT_OUT).isPresent();
    }

    private static Optional<ConsentEvent> lastConsent(DSLContext tx, UUID org, String phone) {
        return tx.selectFrom(MESSAGING_CONSENT_EVENTS).where(MESSAGING_CONSENT_EVENTS.ORGANIZATION_ID.eq(org))
                .and(MESSAGING_CONSENT_EVENTS.PHONE_E164.eq(phone)).orderBy(MESSAGING_CONSENT_EVENTS.SEQ.desc()).limit(1)
                .fetchOptional().map(MessagingService::consent);
    }

    private Optional<Instant> lastInbound(UUID org, String phone, Channel channel) {
        return dsl.select(DSL.max(MESSAGES.CREATED_AT)).from(MESSAGES).where(MESSAGES.ORGANIZATION_ID.eq(org))
                .and(MESSAGES.CONTACT_PHONE.eq(phone)).and(MESSAGES.CHANNEL.eq(channel.key()))
                .and(MESSAGES.DIRECTION.eq("inbound")).fetchOptional(0, Instant.class);
    }

    // ------------------------------------------------------------------ reading

    public record Thread(String contactPhone, Optional<UUID> contactId, Channel lastChannel,
                         Message.Direction lastDirection, Instant lastMessageAt, UUID lastMessageId, long messages,
                         boolean optedOut) {
    }

    /** One entry per contact number, the most recent activity first. */
    public Page<Thread> threads(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing message threads");
        UUID org = actor.organizationId();
        PageRequest page = PageRequest.of(pageSize, pageToken, "threads");
        Condition after = page.after().map(c -> DSL.condition("(t.created_at, t.id) < ({0}, {1})",
                DSL.val(c.createdAt()), DSL.val(c.id()))).orElse(DSL.noCondition());
        var rows = dsl.resultQuery("""
                SELECT t.contact_phone, t.contact_id, t.channel, t.direction, t.created_at, t.id, t.n
                  FROM (SELECT DISTINCT ON (contact_phone) contact_phone, contact_id, channel, direction, created_at, id,
                               count(*) OVER (PARTITION BY contact_phone) AS n
                          FROM messages WHERE organization_id = {0}
                         ORDER BY contact_phone, created_at DESC, id DESC) t
                 WHERE {1}
                 ORDER BY t.created_at DESC, t.id DESC
                 LIMIT {2}""", DSL.val(org), after, DSL.inline(page.pageSize() + 1)).fetch();
        List<Thread> threads = rows.map(r -> new Thread(r.get(0, String.class), Optional.ofNullable(r.get(1, UUID.class)),
                Channel.of(r.get(2, String.class)), Message.Direction.valueOf(r.get(3, String.class).toUpperCase(Locale.ROOT)),
                r.get(4, Instant.class), r.get(5, UUID.class), r.get(6, Long.class), false));
        threads = threads.stream().map(t -> new Thread(t.contactPhone(), t.contactId(), t.lastChannel(), t.lastDirection(),
                t.lastMessageAt(), t.lastMessageId(), t.messages(), optedOut(org, t.contactPhone()))).toList();
        return Page.of(threads, page.pageSize(), t -> new PageRequest.Cursor(t.lastMessageAt(), t.lastMessageId()),
                "threads");
    }

    /** A thread's messages, newest first; bodies opened (and, in HIPAA mode, the read audited). */
    public Page<Message> messages(Principal actor, String contactPhoneText, String contactIdText, int pageSize,
                                  String pageToken) {
        actor.require(Role.VIEWER, "reading messages");
        UUID org = actor.organizationId();
        Optional<UUID> contactId = Ids.parseOptional("contact_id", contactIdText);
        String phone;
        if (contactId.isPresent() == !blank(contactPhoneText)) {
            throw new SwitchboardException.InvalidArgument("contact_phone", "give exactly one of contact_phone and contact_id");
        }
        if (contactId.isPresent()) {
            phone = dsl.select(CONTACTS.PHONE_E164).from(CONTACTS).where(CONTACTS.ID.eq(contactId.get()))
                    .and(CONTACTS.ORGANIZATION_ID.eq(org)).fetchOptional(CONTACTS.PHONE_E164)
                    .orElseThrow(() -> new SwitchboardException.NotFound("contact", contactId.get().toString()));
        } else {
            Violations v = new Violations();
            phone = PhoneNumbers.strictE164("contact_phone", contactPhoneText, v).orElse("");
            v.throwIfAny();
        }
        String scope = "messages:" + phone;
        PageRequest page = PageRequest.of(pageSize, pageToken, scope);
        Condition c = MESSAGES.ORGANIZATION_ID.eq(org).and(MESSAGES.CONTACT_PHONE.eq(phone));
        if (page.after().isPresent()) {
            c = c.and(DSL.row(MESSAGES.CREATED_AT, MESSAGES.ID).lt(page.after().get().createdAt(), page.after().get().id()));
        }
        var rows = dsl.selectFrom(MESSAGES).where(c).orderBy(MESSAGES.CREATED_AT.desc(), MESSAGES.ID.desc())
                .limit(page.pageSize() + 1).fetch(this::toDomain);
        Page<Message> result = Page.of(rows, page.pageSize(), m -> new PageRequest.Cursor(m.createdAt(), m.id()), scope);
        auditRead(actor, "thread", phone, result.items().size());
        return result;
    }

    public Message get(Principal actor, String idText) {
        actor.require(Role.VIEWER, "reading messages");
        UUID id = Ids.parse("id", idText);
        Message m = find(actor.organizationId(), id).orElseThrow(() -> new SwitchboardException.NotFound("message",
                id.toString()));
        auditRead(actor, "message", id.toString(), 1);
        return m;
    }

    public Optional<Message> find(UUID org, UUID id) {
        return dsl.selectFrom(MESSAGES).where(MESSAGES.ID.eq(id)).and(MESSAGES.ORGANIZATION_ID.eq(org)).fetchOptional()
                .map(this::toDomain);
    }

    private void auditRead(Principal actor, String what, String which, int n) {
        boolean hipaa = Boolean.TRUE.equals(dsl.select(ORGANIZATIONS.HIPAA_MODE).from(ORGANIZATIONS)
                .where(ORGANIZATIONS.ID.eq(actor.organizationId())).fetchOne(ORGANIZATIONS.HIPAA_MODE));
        if (hipaa && n > 0) {
            audit.record(dsl, AuditEvent.of(actor, "message.content.read", what, which, Map.of("messages",
                    Integer.toString(n)), now()));
        }
    }

    // ------------------------------------------------------------------ opt-outs

    /** Numbers opted out now: the event that opted each out, newest first. */
    public Page<ConsentEvent> optOuts(Principal actor, int pageSize, String pageToken) {
        actor.require(Role.VIEWER, "listing opt-outs");
        PageRequest page = PageRequest.of(pageSize, pageToken, "opt-outs");
        Condition after = page.after().map(c -> DSL.condition("(occurred_at, id) < ({0}, {1})",
                DSL.val(c.createdAt()), DSL.val(c.id()))).orElse(DSL.noCondition());
        var rows = dsl.resultQuery("""
                SELECT * FROM (SELECT DISTINCT ON (phone_e164) * FROM messaging_consent_events
                                WHERE organization_id = {0} ORDER BY phone_e164, seq DESC) last
                 WHERE kind = 'opt_out' AND {1}
                 ORDER BY occurred_at DESC, id DESC LIMIT {2}""", DSL.val(actor.organizationId()), after,
                DSL.inline(page.pageSize() + 1)).fetchInto(MESSAGING_CONSENT_EVENTS);
        return Page.of(rows.map(MessagingService::consent), page.pageSize(),
                e -> new PageRequest.Cursor(e.occurredAt(), e.id()), "opt-outs");
    }

    /** Every opt-out and opt-in of a number, oldest first. */
    public List<ConsentEvent> consentEvents(Principal actor, String phoneText) {
        actor.require(Role.VIEWER, "reading consent events");
        Violations v = new Violations();
        String phone = PhoneNumbers.strictE164("phone_number", phoneText, v).orElse("");
        v.throwIfAny();
        return dsl.selectFrom(MESSAGING_CONSENT_EVENTS).where(MESSAGING_CONSENT_EVENTS.ORGANIZATION_ID.eq(actor.organizationId()))
                .and(MESSAGING_CONSENT_EVENTS.PHONE_E164.eq(phone)).orderBy(MESSAGING_CONSENT_EVENTS.SEQ)
                .fetch(MessagingService::consent);
    }

    private void consentEvent(DSLContext tx, UUID org, String phone, ConsentEvent.Kind kind, String words, String source,
                              Channel channel, String sender, Optional<UUID> messageId) {
        tx.insertInto(MESSAGING_CONSENT_EVENTS).set(MESSAGING_CONSENT_EVENTS.ID, Ids.newId())
                .set(MESSAGING_CONSENT_EVENTS.ORGANIZATION_ID, org).set(MESSAGING_CONSENT_EVENTS.PHONE_E164, phone)
                .set(MESSAGING_CONSENT_EVENTS.KIND, kind.name().toLowerCase(Locale.ROOT))
                .set(MESSAGING_CONSENT_EVENTS.WORDS, words.length() > 200 ? words.substring(0, 200) : words)
                .set(MESSAGING_CONSENT_EVENTS.SOURCE, source).set(MESSAGING_CONSENT_EVENTS.CHANNEL, channel.key())
                .set(MESSAGING_CONSENT_EVENTS.SENDER_ADDRESS, sender)
                .set(MESSAGING_CONSENT_EVENTS.MESSAGE_ID, messageId.orElse(null))
                .set(MESSAGING_CONSENT_EVENTS.OCCURRED_AT, now()).execute();
    }

    private static ConsentEvent consent(MessagingConsentEventsRecord r) {
        return new ConsentEvent(r.getId(), r.getPhoneE164(), ConsentEvent.Kind.valueOf(r.getKind().toUpperCase(Locale.ROOT)),
                r.getWords(), r.getSource(), Channel.of(r.getChannel()), r.getSenderAddress(),
                Optional.ofNullable(r.getMessageId()), r.getOccurredAt());
    }

    // ------------------------------------------------------------------ the carrier's side

    /** What an inbound text did. */
    public record Received(UUID organizationId, UUID messageId, Keywords.Kind keyword, Optional<UUID> replyId,
                           boolean duplicate) {
    }

    /**
     * An inbound text the carrier delivered to sender address {@code to}. Stored once per carrier id (the carrier
     * retries its webhook); a keyword opts the number out or in organisation-wide and is answered once.
     *
     * @throws SwitchboardException.NotFound when no organisation owns {@code to}
     */
    public Received receive(String carrierSid, String fromAddress, String toAddress, String body) {
        Violations v = new Violations();
        if (blank(carrierSid)) {
            v.add("MessageSid", "is required");
        }
        String from = address("From", fromAddress, v);
        String to = address("To", toAddress, v);
        v.throwIfAny();
        MessagingSendersRecord sender = dsl.selectFrom(MESSAGING_SENDERS).where(MESSAGING_SENDERS.ADDRESS.eq(to))
                .fetchOptional().orElseThrow(() -> new SwitchboardException.NotFound("sender", to));
        UUID org = sender.getOrganizationId();
        Channel channel = Channel.ofAddress(to);
        String phone = Channel.phoneOf(from);
        String text = body == null ? "" : body;
        Keywords.Kind keyword = Keywords.classify(text);
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            Optional<UUID> existing = tx.select(MESSAGES.ID).from(MESSAGES).where(MESSAGES.CARRIER_SID.eq(carrierSid))
                    .fetchOptional(MESSAGES.ID);
            if (existing.isPresent()) {
                return new Received(org, existing.get(), keyword, Optional.empty(), true);
            }
            // one keyword at a time per number, so two STOPs racing confirm once
            tx.select(DSL.field("pg_advisory_xact_lock(hashtextextended({0}, 0))", "messaging-consent:" + org + ":" + phone))
                    .fetch();
            Optional<UUID> contactId = tx.select(CONTACTS.ID).from(CONTACTS).where(CONTACTS.ORGANIZATION_ID.eq(org))
                    .and(CONTACTS.PHONE_E164.eq(phone)).and(CONTACTS.DELETED_AT.isNull()).orderBy(CONTACTS.CREATED_AT)
                    .limit(1).fetchOptional(CONTACTS.ID);
            UUID id = Ids.newId();
            Instant now = now();
            Segments seg = Segments.of(text);
            tx.insertInto(MESSAGES).set(MESSAGES.ID, id).set(MESSAGES.ORGANIZATION_ID, org)
                    .set(MESSAGES.CONTACT_ID, contactId.orElse(null)).set(MESSAGES.CHANNEL, channel.key())
                    .set(MESSAGES.DIRECTION, "inbound").set(MESSAGES.CONTACT_PHONE, phone)
                    .set(MESSAGES.FROM_ADDRESS, from).set(MESSAGES.TO_ADDRESS, to)
                    .set(MESSAGES.SEALED, sealBody(org, id, text, Map.of()))
                    .set(MESSAGES.ENCODING, seg.encoding().key()).set(MESSAGES.SEGMENTS, seg.count())
                    .set(MESSAGES.STATUS, "received").set(MESSAGES.CARRIER_SID, carrierSid)
                    .set(MESSAGES.CREATED_AT, now).set(MESSAGES.UPDATED_AT, now)
                    .set(MESSAGES.EXPIRES_AT, expiry(org, now)).execute();
            meter(tx, org, id, channel, seg.count(), now);
            boolean out = lastConsent(tx, org, phone).filter(e -> e.kind() == ConsentEvent.Kind.OPT_OUT).isPresent();
            Optional<UUID> reply = Optional.empty();
            var orgRow = tx.select(ORGANIZATIONS.NAME, ORGANIZATIONS.MESSAGING_HELP_TEXT, ORGANIZATIONS.CONFIRM_OPT_OUT)
                    .from(ORGANIZATIONS).where(ORGANIZATIONS.ID.eq(org)).fetchSingle();
            String orgName = orgRow.value1();
            String helpText = orgRow.value2() == null ? settings.helpText() : orgRow.value2();
            switch (keyword) {
                case OPT_OUT -> {
                    consentEvent(tx, org, phone, ConsentEvent.Kind.OPT_OUT, Keywords.word(text), "inbound_message",
                            channel, to, Optional.of(id));
                    if (!out && orgRow.value3()) {
                        reply = Optional.of(enqueue(tx, reply(org, channel, contactId, phone, to, from,
                                Message.Purpose.OPT_OUT_CONFIRMATION, orgName + ": you are unsubscribed and will"
                                        + " receive no more texts from us. Reply START to resubscribe.")));
                    }
                }
                case OPT_IN -> {
                    if (out) {
                        consentEvent(tx, org, phone, ConsentEvent.Kind.OPT_IN, Keywords.word(text), "inbound_message",
                                channel, to, Optional.of(id));
                        reply = Optional.of(enqueue(tx, reply(org, channel, contactId, phone, to, from,
                                Message.Purpose.OPT_IN_CONFIRMATION, orgName + ": you are resubscribed."
                                        + " Reply STOP to unsubscribe.")));
                    }
                }
                case HELP -> {
                    if (!out) {
                        reply = Optional.of(enqueue(tx, reply(org, channel, contactId, phone, to, from,
                                Message.Purpose.HELP, helpText.replace("{organization}", orgName))));
                    }
                }
                case NONE -> {
                }
            }
            ObjectNode data = Webhooks.JSON.createObjectNode().put("message_id", id.toString())
                    .put("channel", channel.key()).put("contact_id", contactId.map(UUID::toString).orElse(""))
                    .put("keyword", keyword == Keywords.Kind.NONE ? "" : keyword.name().toLowerCase(Locale.ROOT));
            webhooks.emit(tx, org, WebhookEvent.MESSAGE_RECEIVED, data);
            return new Received(org, id, keyword, reply, false);
        });
    }

    private static Outgoing reply(UUID org, Channel channel, Optional<UUID> contactId, String phone, String from,
                                  String to, Message.Purpose purpose, String body) {
        return new Outgoing(org, channel, contactId, phone, from, to, purpose, body, Optional.empty(), "", Map.of(),
                Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * A status callback for {@code messageId}: the status moves only forward (callbacks may arrive out of
     * order); a carrier opt-out error (21610) records an opt-out. Returns false when nothing changed.
     *
     * @throws SwitchboardException.NotFound for an unknown message
     */
    public boolean carrierStatus(UUID messageId, String carrierSid, String statusText, String errorCode,
                                 String errorMessage) {
        Message.Status status;
        try {
            status = Message.Status.valueOf(statusText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            status = switch (statusText) {
                case "accepted", "scheduled" -> Message.Status.QUEUED;
                case "canceled" -> Message.Status.FAILED;
                default -> throw new SwitchboardException.InvalidArgument("MessageStatus", "unknown value '"
                        + abbreviate(statusText) + "'");
            };
        }
        if (status == Message.Status.QUEUED || status == Message.Status.SCHEDULED) {
            status = Message.Status.SENDING; // the carrier has it
        }
        Message.Status next = status;
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            MessagesRecord r = tx.selectFrom(MESSAGES).where(MESSAGES.ID.eq(messageId)).and(MESSAGES.DIRECTION.eq("outbound"))
                    .forUpdate().fetchOptional()
                    .orElseThrow(() -> new SwitchboardException.NotFound("message", messageId.toString()));
            if (r.getCarrierSid() != null && !blank(carrierSid) && !r.getCarrierSid().equals(carrierSid)) {
                throw new SwitchboardException.FailedPrecondition("SID_MISMATCH", "MessageSid does not match the message");
            }
            Message.Status current = Message.Status.valueOf(r.getStatus().toUpperCase(Locale.ROOT));
            boolean changed = false;
            if (r.getCarrierSid() == null && !blank(carrierSid)) {
                r.setCarrierSid(carrierSid);
                changed = true;
            }
            if (next.after(current)) {
                r.setStatus(next.name().toLowerCase(Locale.ROOT));
                if (r.getSentAt() == null && next.after(Message.Status.SENDING)) {
                    r.setSentAt(now());
                }
                boolean expected = carrierConfirmedOptOut(Message.Purpose.valueOf(r.getPurpose().toUpperCase(Locale.ROOT)),
                        errorCode);
                r.setErrorCode(abbreviate16(errorCode)).setErrorMessage(trim(expected ? CARRIER_CONFIRMED : errorMessage, 500));
                changed = true;
            }
            if (!changed) {
                return false;
            }
            r.setUpdatedAt(now()).store();
            if (next.after(current) && !carrierConfirmedOptOut(Message.Purpose.valueOf(r.getPurpose()
                    .toUpperCase(Locale.ROOT)), errorCode)) {
                webhooks.emit(tx, r.getOrganizationId(), WebhookEvent.MESSAGE_STATUS, Webhooks.JSON.createObjectNode()
                        .put("message_id", messageId.toString()).put("status", r.getStatus())
                        .put("error_code", r.getErrorCode()));
                if ("21610".equals(errorCode) && !lastConsent(tx, r.getOrganizationId(), r.getContactPhone())
                        .filter(e -> e.kind() == ConsentEvent.Kind.OPT_OUT).isPresent()) {
                    consentEvent(tx, r.getOrganizationId(), r.getContactPhone(), ConsentEvent.Kind.OPT_OUT, "21610",
                            "carrier", Channel.of(r.getChannel()), r.getFromAddress(), Optional.of(messageId));
                }
            }
            return true;
        });
    }

    /** What the worker hands to the carrier for one queued message. */
    public record Dispatch(UUID id, UUID organizationId, Channel channel, Message.Purpose purpose, String from,
                           String to, String contactPhone, String body, String contentSid,
                           Map<String, String> contentVariables, Message.Status status, Optional<String> carrierSid,
                           Optional<Instant> sendStartedAt, int segments) {
    }

    /** The message behind a send job, body opened; empty when it no longer exists (erased, expired). */
    public Optional<Dispatch> dispatch(UUID messageId) {
        return dsl.selectFrom(MESSAGES).where(MESSAGES.ID.eq(messageId)).and(MESSAGES.DIRECTION.eq("outbound"))
                .fetchOptional().map(r -> {
                    JsonNode sealed = openBody(r);
                    Map<String, String> vars = new LinkedHashMap<>();
                    sealed.path("content_variables").properties().forEach(e -> vars.put(e.getKey(), e.getValue().asText()));
                    return new Dispatch(r.getId(), r.getOrganizationId(), Channel.of(r.getChannel()),
                            Message.Purpose.valueOf(r.getPurpose().toUpperCase(Locale.ROOT)), r.getFromAddress(),
                            r.getToAddress(), r.getContactPhone(), sealed.path("body").asText(""), r.getContentSid(), vars,
                            Message.Status.valueOf(r.getStatus().toUpperCase(Locale.ROOT)),
                            Optional.ofNullable(r.getCarrierSid()), Optional.ofNullable(r.getSendStartedAt()),
                            r.getSegments());
                });
    }

    /**
     * Reserves the sender's next slot (per-sender pacing): when this message may go to the carrier, or empty when
     * the sender's next free slot is more than {@code maxWait} away (try again later). Slots are handed out by one
     * UPDATE, so workers on any machine share the pace.
     */
    public Optional<Instant> reserveSlot(String fromAddress, Duration interval, Duration maxWait) {
        Instant now = now();
        return dsl.update(MESSAGING_SENDERS)
                .set(MESSAGING_SENDERS.NEXT_SEND_AT, DSL.greatest(MESSAGING_SENDERS.NEXT_SEND_AT, DSL.val(now))
                        .plus(DSL.field("{0}::interval", Object.class, DSL.inline(interval.toMillis() + " milliseconds"))))
                .where(MESSAGING_SENDERS.ADDRESS.eq(fromAddress)).and(MESSAGING_SENDERS.NEXT_SEND_AT.le(now.plus(maxWait)))
                .returning(MESSAGING_SENDERS.NEXT_SEND_AT)
                .fetchOptional().map(r -> r.getNextSendAt().minus(interval));
    }

    /** Marks a message as being handed to the carrier, before the request goes out (a retry then looks it up). */
    public void sending(UUID messageId) {
        Instant now = now();
        dsl.update(MESSAGES).set(MESSAGES.STATUS, "sending").set(MESSAGES.SEND_STARTED_AT, now)
                .set(MESSAGES.UPDATED_AT, now).where(MESSAGES.ID.eq(messageId))
                .and(MESSAGES.STATUS.in("scheduled", "queued", "sending")).execute();
    }

    /** Nothing reached the carrier (it was unreachable): the message is queued again, with nothing to look up. */
    public void notSent(UUID messageId) {
        dsl.update(MESSAGES).set(MESSAGES.STATUS, "queued").set(MESSAGES.SEND_STARTED_AT, (Instant) null)
                .set(MESSAGES.UPDATED_AT, now()).where(MESSAGES.ID.eq(messageId)).and(MESSAGES.STATUS.eq("sending"))
                .and(MESSAGES.CARRIER_SID.isNull()).execute();
    }

    /** The carrier took the message: its id is recorded and the message metered, once. */
    public void accepted(Dispatch d, String carrierSid) {
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            Instant now = now();
            tx.update(MESSAGES).set(MESSAGES.CARRIER_SID, carrierSid).set(MESSAGES.UPDATED_AT, now)
                    .set(MESSAGES.STATUS, DSL.when(MESSAGES.STATUS.in("scheduled", "queued"), "sending")
                            .otherwise(MESSAGES.STATUS))
                    .where(MESSAGES.ID.eq(d.id())).and(MESSAGES.CARRIER_SID.isNull()).execute();
            meter(tx, d.organizationId(), d.id(), d.channel(), d.segments(), now);
        });
    }

    /** The carrier refused the message, or a check at send time did: it is failed, with the reason. */
    public void failed(Dispatch d, String errorCode, String errorMessage) {
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            boolean expected = carrierConfirmedOptOut(d.purpose(), errorCode);
            int n = tx.update(MESSAGES).set(MESSAGES.STATUS, "failed").set(MESSAGES.ERROR_CODE, abbreviate16(errorCode))
                    .set(MESSAGES.ERROR_MESSAGE, trim(expected ? CARRIER_CONFIRMED : errorMessage, 500))
                    .set(MESSAGES.UPDATED_AT, now())
                    .where(MESSAGES.ID.eq(d.id())).and(MESSAGES.STATUS.in("scheduled", "queued", "sending")).execute();
            if (n == 0 || expected) {
                return;
            }
            webhooks.emit(tx, d.organizationId(), WebhookEvent.MESSAGE_STATUS, Webhooks.JSON.createObjectNode()
                    .put("message_id", d.id().toString()).put("status", "failed").put("error_code", errorCode));
            if ("21610".equals(errorCode) && !lastConsent(tx, d.organizationId(), d.contactPhone())
                    .filter(e -> e.kind() == ConsentEvent.Kind.OPT_OUT).isPresent()) {
                consentEvent(tx, d.organizationId(), d.contactPhone(), ConsentEvent.Kind.OPT_OUT, "21610", "carrier",
                        d.channel(), d.from(), Optional.of(d.id()));
            }
        });
    }

    /** What a confirmation the carrier refused because it had confirmed the opt-out itself records. */
    static final String CARRIER_CONFIRMED = "expected: the carrier had already opted the number out and sends its own"
            + " confirmation (e.g. Twilio Advanced Opt-Out); ours was not needed";

    /**
     * Error 21610 on our STOP confirmation: the carrier opted the number out before us and confirmed it itself
     * (Twilio's default and Advanced Opt-Out do), so the person got a confirmation: recorded, no alarm.
     */
    private static boolean carrierConfirmedOptOut(Message.Purpose purpose, String errorCode) {
        return purpose == Message.Purpose.OPT_OUT_CONFIRMATION && "21610".equals(errorCode);
    }

    private void meter(DSLContext tx, UUID org, UUID messageId, Channel channel, int segments, Instant at) {
        if (channel == Channel.SMS) {
            usage.record(tx, org, UsageService.Metric.SMS_SEGMENTS, segments, Optional.empty(), "message:" + messageId, at);
        } else {
            usage.record(tx, org, UsageService.Metric.WHATSAPP_MESSAGES, 1, Optional.empty(), "message:" + messageId, at);
        }
    }

    // ------------------------------------------------------------------ privacy

    /**
     * A person's texts for an export: every message of the organisation with the contact or to or from its
     * number, oldest first, bodies opened; and the number's consent events.
     */
    public record PersonTexts(List<Message> messages, List<ConsentEvent> consentEvents) {
    }

    public PersonTexts personTexts(UUID org, UUID contactId, String phone) {
        List<Message> messages = dsl.selectFrom(MESSAGES).where(MESSAGES.ORGANIZATION_ID.eq(org))
                .and(MESSAGES.CONTACT_ID.eq(contactId).or(MESSAGES.CONTACT_PHONE.eq(phone)))
                .orderBy(MESSAGES.CREATED_AT, MESSAGES.ID).fetch(this::toDomain);
        List<ConsentEvent> events = dsl.selectFrom(MESSAGING_CONSENT_EVENTS)
                .where(MESSAGING_CONSENT_EVENTS.ORGANIZATION_ID.eq(org)).and(MESSAGING_CONSENT_EVENTS.PHONE_E164.eq(phone))
                .orderBy(MESSAGING_CONSENT_EVENTS.SEQ).fetch(MessagingService::consent);
        return new PersonTexts(messages, events);
    }

    /**
     * Erases a person's texts in {@code tx}: bodies (and template variables) are deleted, the person's number
     * and contact are removed; the structure stays (direction, channel, status, segments, times: billing and
     * statistics). Texts still waiting to be sent fail and never go out. Opt-out events are kept: they are what
     * stops the organisation texting the number again. Returns how many texts were anonymised.
     */
    public static int erase(DSLContext tx, UUID org, UUID contactId, String phone, Instant now) {
        Condition theirs = MESSAGES.ORGANIZATION_ID.eq(org).and(MESSAGES.CONTACT_ID.eq(contactId)
                .or(MESSAGES.CONTACT_PHONE.eq(phone)));
        tx.update(MESSAGES).set(MESSAGES.STATUS, "failed").set(MESSAGES.ERROR_MESSAGE, "not sent: the recipient's data was erased")
                .where(theirs).and(MESSAGES.STATUS.in("scheduled", "queued")).execute();
        return tx.update(MESSAGES).set(MESSAGES.SEALED, (byte[]) null).set(MESSAGES.CONTACT_ID, (UUID) null)
                .set(MESSAGES.CONTACT_PHONE, "anonymised")
                .set(MESSAGES.TO_ADDRESS, DSL.when(MESSAGES.DIRECTION.eq("outbound"), "anonymised").otherwise(MESSAGES.TO_ADDRESS))
                .set(MESSAGES.FROM_ADDRESS, DSL.when(MESSAGES.DIRECTION.eq("inbound"), "anonymised").otherwise(MESSAGES.FROM_ADDRESS))
                .set(MESSAGES.ANONYMIZED_AT, now).set(MESSAGES.UPDATED_AT, now)
                .where(theirs).execute();
    }

    // ------------------------------------------------------------------ storage

    /** Where a message's body is sealed: it opens only on its own row of its own organisation. */
    public static String place(UUID messageId) {
        return "message:" + messageId;
    }

    private byte[] sealBody(UUID org, UUID id, String body, Map<String, String> contentVariables) {
        ObjectNode n = JSON.createObjectNode().put("body", body);
        n.set("content_variables", JSON.valueToTree(contentVariables));
        return seal.seal(org, place(id), n.toString());
    }

    private JsonNode openBody(MessagesRecord r) {
        if (r.getSealed() == null) {
            return JSON.createObjectNode(); // erased: the structure stays, the content is gone
        }
        return readTree(seal.openString(r.getOrganizationId(), place(r.getId()), r.getSealed()));
    }

    Message toDomain(MessagesRecord r) {
        return new Message(r.getId(), r.getOrganizationId(), Channel.of(r.getChannel()),
                Message.Direction.valueOf(r.getDirection().toUpperCase(Locale.ROOT)), Optional.ofNullable(r.getContactId()),
                r.getContactPhone(), r.getFromAddress(), r.getToAddress(),
                Message.Purpose.valueOf(r.getPurpose().toUpperCase(Locale.ROOT)), openBody(r).path("body").asText(""),
                Optional.ofNullable(r.getTemplateId()), Message.Status.valueOf(r.getStatus().toUpperCase(Locale.ROOT)),
                r.getErrorCode(), r.getErrorMessage(),
                new Segments(Segments.Encoding.of(r.getEncoding()), 0, r.getSegments()),
                Optional.ofNullable(r.getCallId()), Optional.ofNullable(r.getCarrierSid()),
                Optional.ofNullable(r.getSendAfter()), r.getCreatedAt(), r.getUpdatedAt());
    }

    private Instant expiry(UUID org, Instant at) {
        return plans.effectivePolicy(org).retention(DataClass.MESSAGES).expiry(at).orElse(null);
    }

    /** A +E164 or whatsapp:+E164 address, validated strictly. */
    private static String address(String field, String text) {
        Violations v = new Violations();
        String a = address(field, text, v);
        v.throwIfAny();
        return a;
    }

    private static String address(String field, String text, Violations v) {
        String s = text == null ? "" : text.strip();
        boolean wa = s.startsWith(Channel.WHATSAPP_PREFIX);
        Optional<String> e164 = PhoneNumbers.strictE164(field, wa ? s.substring(Channel.WHATSAPP_PREFIX.length()) : s, v);
        return e164.map(p -> wa ? Channel.WHATSAPP_PREFIX + p : p).orElse("");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String trim(String s, int max) {
        String t = s == null ? "" : s;
        return t.length() <= max ? t : t.substring(0, max);
    }

    private static String abbreviate16(String s) {
        return trim(s, 16);
    }

    private static String abbreviate(String s) {
        return trim(s, 40);
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
