package io.switchboard.dialer;

import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CAMPAIGN_CONTACTS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.CONTACT_LIST_MEMBERS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static io.switchboard.db.Tables.DIAL_REFUSALS;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.campaigns.Campaign;
import io.switchboard.campaigns.CampaignRows;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.compliance.Callee;
import io.switchboard.compliance.LiveCallCap;
import io.switchboard.common.Ids;
import io.switchboard.common.SwitchboardException;
import io.switchboard.db.enums.CallState;
import io.switchboard.db.enums.CampaignState;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.EffectivePolicy;
import io.switchboard.plans.PlanService;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * The campaign runner. Each {@link #tick()} goes over the running campaigns: takes in contacts added to a
 * campaign's list, claims contacts that are due, checks the {@link DialGuards}, and asks the carrier to
 * place calls up to the campaign's concurrency and the plan's live-call limit; it completes a campaign
 * whose every contact reached a final state, hangs up the calls of cancelled campaigns, and settles
 * attempts whose outcome the carrier never reported.
 *
 * <p>Any number of workers may tick at once. A claim runs under the organisation's call lock (the one
 * {@code CallService.open} takes), so concurrency is counted and used atomically; the contacts it claims are
 * locked {@code SKIP LOCKED}, and the database allows one unfinished attempt per contact, so no two workers
 * ever dial the same person at the same time. A pause, resume or cancel is seen by the next tick.
 */
public final class Dialer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Dialer.class.getName());

    /**
     * @param syncInterval  how often a running campaign's list is read again for new members
     * @param placingTimeout an attempt claimed but never confirmed by the carrier for this long is failed
     * @param ringTimeout   how long the carrier lets a call ring; with a margin, the longest an attempt may
     *                      wait for a status before it is failed
     * @param claimBatch    contacts examined per campaign per tick at most
     */
    public record Settings(String worker, Duration syncInterval, Duration placingTimeout, Duration ringTimeout,
                           int claimBatch) {
        public static Settings defaults(String worker) {
            return new Settings(worker, Duration.ofSeconds(10), Duration.ofMinutes(2), Duration.ofSeconds(60), 200);
        }
    }

    /**
     * What is done for a placed call while it rings (its greeting is synthesised, so it is spoken the moment the
     * call is answered), beside the carrier's request; it must not throw. {@link #sweep} runs with the dialer's
     * periodic sweep and cleans up after calls that ended.
     */
    public interface WhileRinging {
        WhileRinging NOTHING = r -> { };

        void ringing(Telephony.DialRequest request);

        default void sweep() {
        }
    }

    /** What one tick did. */
    public record Tick(int placed, int refused, int deferred, int completedCampaigns, int hungUp, int settledLost) {
    }

    private final DSLContext dsl;
    private final Clock clock;
    private final PlanService plans;
    private final CampaignService campaigns;
    private final DialAttempts attempts;
    private final DialGuards guards;
    private final Telephony telephony;
    private final Settings settings;
    private final WhileRinging whileRinging;
    private final ExecutorService dialling = Executors.newVirtualThreadPerTaskExecutor();
    private Instant lastLostSweep = Instant.EPOCH;

    public Dialer(DSLContext dsl, Clock clock, PlanService plans, CampaignService campaigns, DialAttempts attempts,
                  DialGuards guards, Telephony telephony, Settings settings) {
        this(dsl, clock, plans, campaigns, attempts, guards, telephony, settings, WhileRinging.NOTHING);
    }

    public Dialer(DSLContext dsl, Clock clock, PlanService plans, CampaignService campaigns, DialAttempts attempts,
                  DialGuards guards, Telephony telephony, Settings settings, WhileRinging whileRinging) {
        this.whileRinging = whileRinging;
        this.dsl = dsl;
        this.clock = clock;
        this.plans = plans;
        this.campaigns = campaigns;
        this.attempts = attempts;
        this.guards = guards;
        this.telephony = telephony;
        this.settings = settings;
    }

    public Tick tick() {
        Instant now = now();
        int placed = 0;
        int refused = 0;
        int deferred = 0;
        int completed = 0;
        List<Campaign> running = dsl.selectFrom(CAMPAIGNS).where(CAMPAIGNS.STATE.eq(CampaignState.running))
                .and(CAMPAIGNS.DELETED_AT.isNull())
                .and(CAMPAIGNS.SCHEDULE_START.isNull().or(CAMPAIGNS.SCHEDULE_START.le(now)))
                .fetch(CampaignRows::campaign);
        List<Campaign> order = new ArrayList<>(running);
        Collections.shuffle(order); // no campaign always first in line for the plan's capacity
        for (Campaign c : order) {
            try {
                if (c.scheduleEnd().isPresent() && !c.scheduleEnd().get().isAfter(now)) {
                    completed += complete(c, tx -> true, "its schedule ended at " + c.scheduleEnd().get()) ? 1 : 0;
                    continue;
                }
                sync(c, now);
                Claim claim = claim(c, now);
                placed += claim.placed().size();
                refused += claim.refused();
                deferred += claim.deferred();
                claim.placed().forEach(r -> dialling.submit(() -> place(r)));
                if (claim.placed().isEmpty() && finished(dsl, c)) {
                    // decided again under the campaign's lock: a pause or a claim may have come in between
                    completed += complete(c, tx -> finished(tx, c), "every contact reached a final state") ? 1 : 0;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dialling campaign " + c.id() + " failed this round; the next retries", e);
            }
        }
        int hungUp = hangUpCancelled();
        int lost = 0;
        if (Duration.between(lastLostSweep, now).compareTo(Duration.ofSeconds(15)) >= 0) {
            lastLostSweep = now;
            lost = settleLost(now);
            try {
                whileRinging.sweep();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "sweeping after rung calls failed; the next sweep retries", e);
            }
        }
        return new Tick(placed, refused, deferred, completed, hungUp, lost);
    }

    // ------------------------------------------------------------------ contacts in, due contacts out

    /**
     * Takes in the list's members that are not yet in the campaign; throttled to one worker per interval. The
     * stamp and the rows commit together: a worker that sees the stamp sees the contacts (otherwise another
     * worker could find a freshly stamped campaign with no contacts yet and complete it).
     */
    void sync(Campaign c, Instant now) {
        dsl.transaction(cfg -> {
            DSLContext tx = DSL.using(cfg);
            int due = tx.update(CAMPAIGNS).set(CAMPAIGNS.CONTACTS_SYNCED_AT, now).where(CAMPAIGNS.ID.eq(c.id()))
                    .and(CAMPAIGNS.CONTACTS_SYNCED_AT.isNull()
                            .or(CAMPAIGNS.CONTACTS_SYNCED_AT.le(now.minus(settings.syncInterval()))))
                    .execute();
            if (due == 0) {
                return;
            }
            var m = CONTACT_LIST_MEMBERS;
            tx.insertInto(CAMPAIGN_CONTACTS, CAMPAIGN_CONTACTS.CAMPAIGN_ID, CAMPAIGN_CONTACTS.CONTACT_ID,
                            CAMPAIGN_CONTACTS.ORGANIZATION_ID, CAMPAIGN_CONTACTS.STATE, CAMPAIGN_CONTACTS.NEXT_ATTEMPT_AT,
                            CAMPAIGN_CONTACTS.UPDATED_AT)
                    .select(DSL.select(DSL.val(c.id()), m.CONTACT_ID, DSL.val(c.organizationId()), DSL.inline("pending"),
                                    DSL.val(now), DSL.val(now)).from(m).join(CONTACTS).on(CONTACTS.ID.eq(m.CONTACT_ID))
                            .where(m.CONTACT_LIST_ID.eq(c.contactListId())).and(m.ORGANIZATION_ID.eq(c.organizationId()))
                            .and(CONTACTS.DELETED_AT.isNull()))
                    .onConflictDoNothing().execute();
        });
    }

    private record Claim(List<Telephony.DialRequest> placed, int refused, int deferred) {
    }

    private Claim claim(Campaign c, Instant now) {
        EffectivePolicy policy = plans.effectivePolicy(c.organizationId());
        int maxLive = policy.limits().maxConcurrentCalls();
        Instant expires = policy.retention(DataClass.CALL_LOGS).expiry(now).orElse(null); // attempts are call logs
        return dsl.transactionResult(cfg -> {
            DSLContext tx = DSL.using(cfg);
            LiveCallCap.lock(tx, c.organizationId());
            // the campaign row FOR SHARE: a pause or cancel waits for this claim, and the next one sees it
            CampaignState state = tx.select(CAMPAIGNS.STATE).from(CAMPAIGNS).where(CAMPAIGNS.ID.eq(c.id())).forShare()
                    .fetchOne(CAMPAIGNS.STATE);
            if (state != CampaignState.running) {
                return new Claim(List.of(), 0, 0);
            }
            int capacity = c.maxConcurrency() - tx.fetchCount(DIAL_ATTEMPTS, DIAL_ATTEMPTS.CAMPAIGN_ID.eq(c.id())
                    .and(DIAL_ATTEMPTS.STATE.ne("finished")));
            capacity = Math.min(capacity, LiveCallCap.free(tx, c.organizationId(), maxLive));
            if (capacity <= 0) {
                return new Claim(List.of(), 0, 0);
            }
            var cc = CAMPAIGN_CONTACTS;
            var due = tx.select(cc.CONTACT_ID, cc.ATTEMPTS, CONTACTS.PHONE_E164, CONTACTS.TIME_ZONE, CONTACTS.DELETED_AT)
                    .from(cc).join(CONTACTS).on(CONTACTS.ID.eq(cc.CONTACT_ID))
                    .where(cc.CAMPAIGN_ID.eq(c.id())).and(cc.STATE.in("pending", "retry")).and(cc.NEXT_ATTEMPT_AT.le(now))
                    .orderBy(cc.NEXT_ATTEMPT_AT, cc.CONTACT_ID).limit(settings.claimBatch())
                    .forUpdate().of(cc).skipLocked().fetch();
            List<Telephony.DialRequest> placed = new ArrayList<>();
            int refused = 0;
            int deferred = 0;
            for (Record r : due) {
                if (placed.size() >= capacity) {
                    break;
                }
                UUID contactId = r.get(cc.CONTACT_ID);
                if (r.get(CONTACTS.DELETED_AT) != null) {
                    setContact(tx, c, contactId, "skipped", now, "", "the contact was deleted", now);
                    refused++;
                    continue;
                }
                if (tx.fetchExists(DIAL_ATTEMPTS, DIAL_ATTEMPTS.CONTACT_ID.eq(contactId)
                        .and(DIAL_ATTEMPTS.STATE.ne("finished")))) {
                    // on a call for another campaign: look again shortly
                    setContact(tx, c, contactId, null, now.plusSeconds(30), null, "on another call", now);
                    deferred++;
                    continue;
                }
                Callee callee = Callee.contact(contactId, r.get(CONTACTS.PHONE_E164), r.get(CONTACTS.TIME_ZONE));
                Optional<DialGuards.Refusal> refusal = guards.check(tx, c, callee, now);
                if (refusal.isPresent()) {
                    DialGuards.Refusal x = refusal.get();
                    tx.insertInto(DIAL_REFUSALS).set(DIAL_REFUSALS.ORGANIZATION_ID, c.organizationId())
                            .set(DIAL_REFUSALS.CAMPAIGN_ID, c.id()).set(DIAL_REFUSALS.CONTACT_ID, contactId)
                            .set(DIAL_REFUSALS.REASON, x.reason()).set(DIAL_REFUSALS.DETAIL, x.detail())
                            .set(DIAL_REFUSALS.DEFERRED_UNTIL, x.until().orElse(null)).set(DIAL_REFUSALS.REFUSED_AT, now)
                            .set(DIAL_REFUSALS.EXPIRES_AT, expires).execute();
                    if (x.until().isPresent()) {
                        setContact(tx, c, contactId, null, x.until().get(), null, x.reason() + ": " + x.detail(), now);
                        deferred++;
                    } else {
                        setContact(tx, c, contactId, "skipped", now, "", x.reason() + ": " + x.detail(), now);
                        refused++;
                    }
                    continue;
                }
                UUID attemptId = Ids.newId();
                int attempt = r.get(cc.ATTEMPTS) + 1;
                tx.insertInto(DIAL_ATTEMPTS).set(DIAL_ATTEMPTS.ID, attemptId)
                        .set(DIAL_ATTEMPTS.ORGANIZATION_ID, c.organizationId()).set(DIAL_ATTEMPTS.CAMPAIGN_ID, c.id())
                        .set(DIAL_ATTEMPTS.CONTACT_ID, contactId).set(DIAL_ATTEMPTS.ATTEMPT, attempt)
                        .set(DIAL_ATTEMPTS.FROM_NUMBER, c.callerId()).set(DIAL_ATTEMPTS.TO_NUMBER, callee.dialled())
                        .set(DIAL_ATTEMPTS.STATE, "placing").set(DIAL_ATTEMPTS.CARRIER, telephony.name())
                        .set(DIAL_ATTEMPTS.WORKER, settings.worker()).set(DIAL_ATTEMPTS.PLACED_AT, now)
                        .set(DIAL_ATTEMPTS.UPDATED_AT, now).set(DIAL_ATTEMPTS.EXPIRES_AT, expires).execute();
                tx.update(cc).set(cc.STATE, "dialing").set(cc.ATTEMPTS, attempt).set(cc.LAST_REASON, "")
                        .set(cc.UPDATED_AT, now).where(cc.CAMPAIGN_ID.eq(c.id())).and(cc.CONTACT_ID.eq(contactId))
                        .execute();
                placed.add(new Telephony.DialRequest(attemptId, c.organizationId(), c.id(), contactId, c.callerId(),
                        callee.dialled()));
            }
            return new Claim(placed, refused, deferred);
        });
    }

    /** @param state null keeps the state; @param outcome null keeps the last outcome */
    private static void setContact(DSLContext tx, Campaign c, UUID contactId, String state, Instant next, String outcome,
                                   String reason, Instant now) {
        var cc = CAMPAIGN_CONTACTS;
        var u = tx.update(cc).set(cc.NEXT_ATTEMPT_AT, next).set(cc.LAST_REASON, abbreviate(reason)).set(cc.UPDATED_AT, now);
        if (state != null) {
            u = u.set(cc.STATE, state);
        }
        if (outcome != null) {
            u = u.set(cc.LAST_OUTCOME, outcome);
        }
        u.where(cc.CAMPAIGN_ID.eq(c.id())).and(cc.CONTACT_ID.eq(contactId)).execute();
    }

    /**
     * Asks the carrier. Only a definite refusal settles the attempt as failed (retried by policy): after a
     * timeout the call may be ringing, and failing it would free the contact to be called a second time; such
     * an attempt stays unconfirmed until the carrier's callbacks or {@link #settleLost} settle it.
     */
    private void place(Telephony.DialRequest r) {
        if (whileRinging != WhileRinging.NOTHING) {
            try {
                dialling.submit(() -> whileRinging.ringing(r)); // beside the carrier's request: it may answer at once
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down: the call synthesises its own greeting
            }
        }
        String carrierId;
        try {
            carrierId = telephony.dial(r);
        } catch (Telephony.TelephonyException e) {
            switch (e.failure()) {
                case REFUSED -> attempts.finish(r.attemptId(), DialOutcome.FAILED, "the carrier did not place the call: "
                        + e.getMessage(), Optional.empty());
                case UNREACHABLE -> {
                    LOG.warning("attempt " + r.attemptId() + " not placed, the carrier is down: " + e.getMessage());
                    attempts.finish(r.attemptId(), DialOutcome.NOT_PLACED, "the carrier could not be reached: "
                            + e.getMessage(), Optional.empty());
                }
                case UNCERTAIN -> LOG.warning("attempt " + r.attemptId() + ": " + e.getMessage()
                        + "; left to the carrier's status callbacks");
            }
            return;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "placing attempt " + r.attemptId() + " failed; left to the carrier's callbacks", e);
            return;
        }
        try {
            attempts.accepted(r.attemptId(), carrierId);
            // cancelled while the carrier was being asked: hang up at once
            if (dsl.fetchExists(CAMPAIGNS, CAMPAIGNS.ID.eq(r.campaignId()).and(CAMPAIGNS.STATE.eq(CampaignState.cancelled)))) {
                hangUpCancelled();
            }
        } catch (RuntimeException e) {
            // the call is placed: its callbacks still settle it (they carry the attempt id)
            LOG.log(Level.WARNING, "recording carrier call " + carrierId + " of attempt " + r.attemptId() + " failed", e);
        }
    }

    // ------------------------------------------------------------------ endings

    /**
     * Whether every contact is final. The order matters, since each check is its own statement: every list
     * member taken in (checked first), then none pending. A sync committing between the two makes its new
     * contacts visible to the second as pending, so a member can never slip through both.
     */
    private static boolean finished(DSLContext dsl, Campaign c) {
        var m = CONTACT_LIST_MEMBERS;
        return dsl.fetchValue(DSL.select(CAMPAIGNS.CONTACTS_SYNCED_AT).from(CAMPAIGNS).where(CAMPAIGNS.ID.eq(c.id())))
                != null
                && !dsl.fetchExists(CAMPAIGN_CONTACTS, CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(c.id())
                        .and(CAMPAIGN_CONTACTS.STATE.in("pending", "retry", "dialing")))
                // members added to the list since the last sync are not yet taken in
                && !dsl.fetchExists(DSL.selectOne().from(m).join(CONTACTS).on(CONTACTS.ID.eq(m.CONTACT_ID))
                        .where(m.CONTACT_LIST_ID.eq(c.contactListId())).and(CONTACTS.DELETED_AT.isNull())
                        .andNotExists(DSL.selectOne().from(CAMPAIGN_CONTACTS).where(CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(c.id()))
                                .and(CAMPAIGN_CONTACTS.CONTACT_ID.eq(m.CONTACT_ID))))
                && !dsl.fetchExists(CAMPAIGN_CONTACTS, CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(c.id())
                        .and(CAMPAIGN_CONTACTS.STATE.in("pending", "retry", "dialing")))
                && !dsl.fetchExists(DIAL_ATTEMPTS, DIAL_ATTEMPTS.CAMPAIGN_ID.eq(c.id())
                        .and(DIAL_ATTEMPTS.STATE.ne("finished")))
                // the carrier may report the outcome before the last audio is handled: wait for the calls to end
                && !dsl.fetchExists(CALLS, CALLS.CAMPAIGN_ID.eq(c.id()).and(CALLS.STATE.eq(CallState.active)));
    }

    /**
     * Completes the campaign as the platform (audited as {@code system:dialer}) if it is still RUNNING and
     * {@code still} holds under its row lock; false if a pause, a cancel, another worker or a new contact came first.
     */
    private boolean complete(Campaign c, Predicate<DSLContext> still, String why) {
        try {
            if (!campaigns.completeIfFinished(Principal.system(c.organizationId(), Role.ADMIN, "system:dialer"), c.id(),
                    still)) {
                return false;
            }
            LOG.info(() -> "campaign " + c.id() + " completed: " + why);
            return true;
        } catch (SwitchboardException.NotFound e) {
            return false; // deleted meanwhile
        }
    }

    /** Asks the carrier to end the unfinished calls of cancelled campaigns, once each. */
    private int hangUpCancelled() {
        Instant now = now();
        var a = DIAL_ATTEMPTS;
        // claimed by stamping; a hang-up that did not end the call is asked again after a minute
        List<String> ids = dsl.update(a).set(a.HANGUP_REQUESTED_AT, now).set(a.UPDATED_AT, now)
                .where(a.STATE.ne("finished")).and(a.CARRIER_CALL_ID.isNotNull())
                .and(a.HANGUP_REQUESTED_AT.isNull().or(a.HANGUP_REQUESTED_AT.le(now.minusSeconds(60))))
                .and(a.CAMPAIGN_ID.in(DSL.select(CAMPAIGNS.ID).from(CAMPAIGNS).where(CAMPAIGNS.STATE.eq(CampaignState.cancelled))))
                .returning(a.CARRIER_CALL_ID).fetch(a.CARRIER_CALL_ID);
        for (String id : ids) {
            dialling.submit(() -> {
                try {
                    telephony.hangUp(id);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "hanging up carrier call " + id + " of a cancelled campaign failed", e);
                }
            });
        }
        return ids.size();
    }

    /**
     * Attempts whose outcome the carrier never reported: claimed but never accepted (the worker stopped in
     * between), ringing past the ring timeout with no call, or with a call that ended long ago.
     */
    int settleLost(Instant now) {
        var a = DIAL_ATTEMPTS;
        int n = 0;
        for (UUID id : dsl.select(a.ID).from(a).where(a.STATE.eq("placing"))
                .and(a.PLACED_AT.le(now.minus(settings.placingTimeout()))).fetch(a.ID)) {
            n += attempts.finish(id, DialOutcome.FAILED, "the carrier never confirmed the call (the dialer stopped?)",
                    Optional.empty()) ? 1 : 0;
        }
        Duration margin = settings.ringTimeout().plus(settings.placingTimeout());
        for (UUID id : dsl.select(a.ID).from(a).where(a.STATE.eq("ringing")).and(a.CALL_ID.isNull())
                .and(a.PLACED_AT.le(now.minus(margin))).fetch(a.ID)) {
            n += attempts.finish(id, DialOutcome.FAILED, "no status from the carrier within " + margin.toSeconds() + " s",
                    Optional.empty()) ? 1 : 0;
        }
        for (UUID id : dsl.select(a.ID).from(a).where(a.STATE.eq("in_progress")).and(a.CALL_ID.isNull())
                .and(a.ANSWERED_AT.le(now.minus(settings.placingTimeout()))).fetch(a.ID)) {
            n += attempts.finish(id, DialOutcome.FAILED, "answered, but no audio arrived within "
                    + settings.placingTimeout().toSeconds() + " s", Optional.empty()) ? 1 : 0;
        }
        var ended = dsl.select(a.ID, CALLS.ENDED_AT, CALLS.STARTED_AT).from(a).join(CALLS).on(CALLS.ID.eq(a.CALL_ID))
                .where(a.STATE.ne("finished")).and(CALLS.STATE.ne(CallState.active))
                .and(CALLS.ENDED_AT.le(now.minus(settings.placingTimeout()))).fetch();
        for (var r : ended) {
            n += attempts.finish(r.value1(), DialOutcome.COMPLETED, "the call ended; the carrier's final status never came",
                    Optional.of(Duration.between(r.value3(), r.value2()).toMillis())) ? 1 : 0;
        }
        return n;
    }

    private static String abbreviate(String s) {
        return s.length() <= 500 ? s : s.substring(0, 500) + "…";
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public void close() {
        dialling.shutdown();
        try {
            if (!dialling.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                dialling.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
