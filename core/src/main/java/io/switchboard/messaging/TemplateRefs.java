package io.switchboard.messaging;

import static io.switchboard.db.Tables.MESSAGE_TEMPLATES;
import static io.switchboard.db.Tables.MESSAGING_SENDERS;

import java.util.Optional;
import java.util.UUID;

import io.switchboard.db.tables.records.MessageTemplatesRecord;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Templates and senders as an agent names them (a flow's {@code send_sms} node, the LLM's allowed templates): a
 * template by its name or its id, a sender by its address, always within one organisation, so an agent can never
 * name another organisation's template. Used when an agent is saved and again when the call sends.
 */
public final class TemplateRefs {

    private TemplateRefs() {
    }

    /** The organisation's live template named {@code ref}, or with id {@code ref}. */
    public static Optional<Template> live(DSLContext dsl, UUID org, String ref) {
        return find(dsl, org, ref, false).map(MessagingService::template);
    }

    /** The channel of the organisation's sender number {@code address}. */
    public static Optional<Channel> senderChannel(DSLContext dsl, UUID org, String address) {
        return dsl.select(MESSAGING_SENDERS.CHANNEL).from(MESSAGING_SENDERS)
                .where(MESSAGING_SENDERS.ORGANIZATION_ID.eq(org)).and(MESSAGING_SENDERS.ADDRESS.eq(address))
                .fetchOptional(MESSAGING_SENDERS.CHANNEL).map(Channel::of);
    }

    /**
     * By id first (a name may look like an id), then by name; with {@code evenDeleted}, a deleted template (the
     * most recently deleted of that name) when no live one matches, so a send it can no longer make is still
     * recorded against it.
     */
    static Optional<MessageTemplatesRecord> find(DSLContext dsl, UUID org, String ref, boolean evenDeleted) {
        if (ref == null || ref.isBlank()) {
            return Optional.empty();
        }
        String r = ref.strip();
        var ofOrg = MESSAGE_TEMPLATES.ORGANIZATION_ID.eq(org);
        var alive = evenDeleted ? DSL.noCondition() : MESSAGE_TEMPLATES.DELETED_AT.isNull();
        Optional<UUID> id = uuid(r);
        if (id.isPresent()) {
            Optional<MessageTemplatesRecord> byId = dsl.selectFrom(MESSAGE_TEMPLATES).where(ofOrg)
                    .and(MESSAGE_TEMPLATES.ID.eq(id.get())).and(alive).fetchOptional();
            if (byId.isPresent()) {
                return byId;
            }
        }
        return dsl.selectFrom(MESSAGE_TEMPLATES).where(ofOrg).and(MESSAGE_TEMPLATES.NAME.eq(r)).and(alive)
                .orderBy(MESSAGE_TEMPLATES.DELETED_AT.desc().nullsFirst()).limit(1).fetchOptional();
    }

    private static Optional<UUID> uuid(String s) {
        try {
            return s.length() == 36 ? Optional.of(UUID.fromString(s)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
