package io.switchboard.dialer;

import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_CONTACTS;
import static io.switchboard.db.Tables.CALL_SUMMARIES;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.campaigns.Campaign;
import io.switchboard.campaigns.CampaignRows;
import io.switchboard.db.tables.records.DialAttemptsRecord;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * What became of the calls the dialer placed: the carrier's status reports and the media stream move an
 * attempt from ringing to answered to finished, and a finished attempt moves its contact on through the
 * campaign under the campaign's retry policy. Every method is idempotent: carriers repeat callbacks, and a
 * report that arrives after the outcome is settled changes nothing.
 */
public final class DialAttempts {

    /** An attempt as the server needs it to connect a media stream to the right call. */
    public record Attempt(UUID id, UUID organizationId, UUID campaignId, UUID contactId, UUID agentId, int attempt,
                          String from, String to, String state, Optional<String> carrierCallId, Optional<UUID> callId) {
    }

    /** How soon a contact whose call the carrier could not place (an outage) is tried again. */
    public static final Duration CARRIER_OUTAGE_RETRY = Duration.ofSeconds(30);

    private final DSLContext dsl;
    private final Clock clock;

    public DialAttempts(DSLContext dsl, Clock clock) {
        this.dsl = dsl;
        this.clock = clock;
    }

    public Optional<Attempt> find(UUID attemptId) {
        return dsl.select(DIAL_ATTEMPTS.asterisk(), CAMPAIGNS.AGENT_ID).from(DIAL_ATTEMPTS).join(CAMPAIGNS)
                .on(CAMPAIGNS.ID.eq(DIAL_ATTEMPTS.CAMPAIGN_ID)).where(DIAL_ATTEMPTS.ID.eq(attemptId))
                .fetchOptional(r -> {
                    DialAttemptsRecord a = r.into(DIAL_ATTEMPTS);
                    return new Attempt(a.getId(), a.getOrganizationId(), a.getCampaignId(), a.getContactId(),
                            r.get(CAMPAIGNS.AGENT_ID), a.getAttempt(), a.getFromNumber(), a.getToNumber(), a.getState(),
                            Optional.ofNullable(a.getCarrierCallId()), Optional.ofNullable(a.getCallId()));
                });
    }

    /**
     * Whether the call the attempt became was taken by an answering machine, as the agent on the call found it
     * (the call's disposition is {@code voicemail}), whatever the carrier's own detection said.
     */
    public boolean reachedVoicemail(UUID attemptId) {
        return dsl.fetchExists(dsl.selectOne().from(DIAL_ATTEMPTS).join(CALL_SUMMARIES)
                .on(CALL_SUMMARIES.CALL_ID.eq(DIAL_ATTEMPTS.CALL_ID))
                .and(CALL_SUMMARIES.ORGANIZATION_ID.eq(DIAL_ATTEMPTS.ORGANIZATION_ID))
                .where(DIAL_ATTEMPTS.ID.eq(attemptId)).and(CALL_SUMMARIES.DISPOSITION.eq("voicemail")));
    }

    /** The carrier's id of call {@code callId}, while the dial attempt that placed it is unfinished. */
    public Optional<String> liveCarrierCall(UUID org, UUID callId) {
        return dsl.select(DIAL_ATTEMPTS.CARRIER_CALL_ID).from(DIAL_ATTEMPTS).where(DIAL_ATTEMPTS.CALL_ID.eq(callId))
                .and(DIAL_ATTEMPTS.ORGANIZATION_ID.eq(org)).and(DIAL_ATTEMPTS.STATE.ne("finished"))
                .and(DIAL_ATTEMPTS.CARRIER_CALL_ID.isNotNull()).limit(1).fetchOptional(DIAL_ATTEMPTS.CARRIER_CALL_ID);
    }

    /** The carrier accepted the request: the attempt is ringing, under the carrier's id. */
    public void accepted(UUID attemptId, String carrierCallId) {
        Instant now = now();
        dsl.update(DIAL_ATTEMPTS).set(DIAL_ATTEMPTS.CARRIER_CALL_ID, DSL.coalesce(DIAL_ATTEMPTS.CARRIER_CALL_ID,
                        DSL.val(carrierCallId)))
                .set(DIAL_ATTEMPTS.STATE, DSL.when(DIAL_ATTEMPTS.STATE.eq("placing"), DSL.inline("ringing"))
                        .otherwise(DIAL_ATTEMPTS.STATE))
                .set(DIAL_ATTEMPTS.UPDATED_AT, now).where(DIAL_ATTEMPTS.ID.eq(attemptId)).execute();
    }

    /** The callee picked up (the carrier said so, or their audio started). */
    public void answered(UUID attemptId) {
        Instant now = now();
        dsl.update(DIAL_ATTEMPTS).set(DIAL_ATTEMPTS.STATE, "in_progress")
                .set(DIAL_ATTEMPTS.ANSWERED_AT, DSL.coalesce(DIAL_ATTEMPTS.ANSWERED_AT, DSL.val(now)))
                .set(DIAL_ATTEMPTS.UPDATED_AT, now)
                .where(DIAL_ATTEMPTS.ID.eq(attemptId)).and(DIAL_ATTEMPTS.STATE.in("placing", "ringing")).execute();
    }

    /** The attempt's audio became call {@code callId}. */
    public void linkCall(UUID attemptId, UUID callId) {
        dsl.update(DIAL_ATTEMPTS).set(DIAL_ATTEMPTS.CALL_ID, callId).set(DIAL_ATTEMPTS.UPDATED_AT, now())
                .where(DIAL_ATTEMPTS.ID.eq(attemptId)).execute();
    }

    /**
     * Settles the attempt's outcome and moves its contact on: reached → done; an outcome the campaign
     * retries, with attempts left → due again after the retry delay; otherwise exhausted. A second report
     * for a finished attempt is ignored.
     *
     * @return whether this call settled it
     */
    public boolean finish(UUID attemptId, DialOutcome outcome, String detail, Optional<Long> durationMs) {
        Instant now = now();
        return dsl.transactionResult(cfg -> finish(DSL.using(cfg), attemptId, outcome, detail, durationMs, now));
    }

    static boolean finish(DSLContext tx, UUID attemptId, DialOutcome outcome, String detail, Optional<Long> durationMs,
                          Instant now) {
        DialAttemptsRecord a = tx.selectFrom(DIAL_ATTEMPTS).where(DIAL_ATTEMPTS.ID.eq(attemptId)).forUpdate()
                .fetchOptional().orElse(null);
        if (a == null || a.getState().equals("finished")) {
            return false;
        }
        a.setState("finished").setOutcome(outcome.dbName()).setDetail(abbreviate(detail)).setEndedAt(now)
                .setDurationMs(durationMs.orElse(null)).setUpdatedAt(now).store();
        Campaign c = CampaignRows.campaign(tx.selectFrom(CAMPAIGNS).where(CAMPAIGNS.ID.eq(a.getCampaignId()))
                .fetchSingle());
        var cc = tx.selectFrom(CAMPAIGN_CONTACTS).where(CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(a.getCampaignId()))
                .and(CAMPAIGN_CONTACTS.CONTACT_ID.eq(a.getContactId())).forUpdate().fetchOptional().orElse(null);
        if (cc == null) {
            return true;
        }
        boolean retry = outcome.retryable().filter(o -> c.retryPolicy().retryOn().contains(o)).isPresent()
                && cc.getAttempts() < c.retryPolicy().maxAttempts();
        String state;
        Instant next = cc.getNextAttemptAt();
        if (outcome == DialOutcome.CANCELED) {
            state = "pending"; // we hung up (the campaign was cancelled): the contact was not tried
            cc.setAttempts(Math.max(0, cc.getAttempts() - 1));
        } else if (outcome == DialOutcome.NOT_PLACED) {
            // the carrier is down: the contact was not tried; ask again once it may be back
            cc.setAttempts(Math.max(0, cc.getAttempts() - 1));
            state = cc.getAttempts() == 0 ? "pending" : "retry";
            next = now.plus(CARRIER_OUTAGE_RETRY);
        } else if (retry) {
            state = "retry";
            next = now.plus(c.retryPolicy().retryDelay());
        } else {
            state = outcome.reached() ? "done" : "exhausted";
        }
        cc.setState(state).setNextAttemptAt(next).setLastOutcome(outcome.dbName())
                .setLastReason(retry ? "retry " + (cc.getAttempts() + 1) + " of " + c.retryPolicy().maxAttempts()
                        + " due " + next : outcome == DialOutcome.NOT_PLACED ? abbreviate(detail + "; tried again at "
                        + next + ", no attempt used") : abbreviate(detail))
                .setUpdatedAt(now).store();
        return true;
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s.strip();
        return t.length() <= 500 ? t : t.substring(0, 500) + "…";
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
