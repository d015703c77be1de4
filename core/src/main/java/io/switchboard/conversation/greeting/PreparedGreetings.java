package io.switchboard.conversation.greeting;

import static io.switchboard.db.Tables.CALL_GREETINGS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.encryption.ContentSeal;
import io.switchboard.plans.PlanService;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Greetings synthesised while the phone rings, shared between the dialer that places a call (a worker) and the
 * server its media stream reaches: stored per dial attempt, taken (read and deleted at once) by the call the attempt
 * became, never by another organisation's, and swept once expired or once their attempt finished unanswered. A
 * HIPAA-mode organisation's greeting (it says the contact's name) is stored only sealed, bound to its attempt.
 */
public final class PreparedGreetings {

    private static final Logger LOG = Logger.getLogger(PreparedGreetings.class.getName());

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final ContentSeal seal;

    public PreparedGreetings(DSLContext dsl, Clock clock, PlanService plans, ContentSeal seal) {
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.seal = seal;
    }

    /**
     * Keeps {@code greeting} for attempt {@code attemptId} of {@code org} until {@code expiresAt}, unless the attempt
     * already has its call (answered first: the call synthesised its own) or is finished.
     *
     * @return whether it was stored
     */
    public boolean store(UUID org, UUID attemptId, PreparedGreeting greeting, Instant expiresAt) {
        Instant now = now();
        if (!expiresAt.isAfter(now)) {
            throw new IllegalArgumentException("expiresAt: must be after now, got " + expiresAt);
        }
        boolean sealed = plans.effectivePolicy(org).hipaaMode();
        byte[] content = greeting.encode();
        if (sealed) {
            content = seal.seal(org, place(attemptId), content);
        }
        var g = CALL_GREETINGS;
        var a = DIAL_ATTEMPTS;
        return dsl.insertInto(g, g.ATTEMPT_ID, g.ORGANIZATION_ID, g.VOICE, g.SAMPLE_RATE, g.CONTENT, g.SEALED,
                        g.CREATED_AT, g.EXPIRES_AT)
                .select(DSL.select(a.ID, a.ORGANIZATION_ID, DSL.val(greeting.voice()), DSL.val(greeting.sampleRate()),
                                DSL.val(content), DSL.val(sealed), DSL.val(now), DSL.val(expiresAt.truncatedTo(ChronoUnit.MICROS)))
                        .from(a).where(a.ID.eq(attemptId)).and(a.ORGANIZATION_ID.eq(org)).and(a.CALL_ID.isNull())
                        .and(a.STATE.ne("finished")))
                .onConflictDoNothing().execute() == 1;
    }

    /**
     * The greeting prepared for call {@code callId} of {@code org} (the call its dial attempt became), deleted as it
     * is read: it is spoken once. Empty when none was prepared, it expired, or it is another organisation's.
     */
    public Optional<PreparedGreeting> take(UUID org, UUID callId) {
        var g = CALL_GREETINGS;
        var a = DIAL_ATTEMPTS;
        var row = dsl.deleteFrom(g).using(a).where(g.ATTEMPT_ID.eq(a.ID)).and(a.CALL_ID.eq(callId))
                .and(a.ORGANIZATION_ID.eq(org)).and(g.ORGANIZATION_ID.eq(org))
                .returning(g.ATTEMPT_ID, g.VOICE, g.SAMPLE_RATE, g.CONTENT, g.SEALED, g.EXPIRES_AT).fetchOptional();
        if (row.isEmpty() || !row.get().getExpiresAt().isAfter(now())) {
            return Optional.empty();
        }
        var r = row.get();
        try {
            byte[] content = r.getSealed() ? seal.open(org, place(r.getAttemptId()), r.getContent()) : r.getContent();
            return Optional.of(PreparedGreeting.decode(r.getVoice(), r.getSampleRate(), content));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the greeting prepared for call " + callId + " does not open; it is synthesised", e);
            return Optional.empty();
        }
    }

    /** Deletes greetings past their expiry or whose attempt finished without them; returns how many. */
    public int sweep() {
        var g = CALL_GREETINGS;
        var a = DIAL_ATTEMPTS;
        return dsl.deleteFrom(g).where(g.EXPIRES_AT.le(now()))
                .or(g.ATTEMPT_ID.in(DSL.select(a.ID).from(a).where(a.STATE.eq("finished")))).execute();
    }

    private static String place(UUID attemptId) {
        return "call-greeting:" + attemptId;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
