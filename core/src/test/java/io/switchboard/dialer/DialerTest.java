package io.switchboard.dialer;

import static io.switchboard.db.Tables.CAMPAIGN_CONTACTS;
import static io.switchboard.db.Tables.DIAL_ATTEMPTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import io.switchboard.agents.AgentSpec;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.campaigns.CampaignState;
import io.switchboard.campaigns.RetryPolicy;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.privacy.Consents;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The campaign runner against the real database, on a test clock. The carrier is the one boundary replaced
 * here: a {@link Telephony} that records what it is asked and lets the test report outcomes the way the
 * server's carrier bridge does ({@link DialAttempts}). The whole loop through the Twilio wire protocol and
 * the softphone runs in the app module's DialerEndToEndTest.
 */
class DialerTest {

    /** Saturday 7 March 2026, 17:00 UTC: 12:00 in New York, 09:00 in Los Angeles. */
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-07T17:00:00Z"));
    private Fixtures f;
    private Fixtures.Tenant acme;
    private String agent;
    private Carrier carrier;

    /** Records dial and hang-up requests; optionally refuses. */
    static final class Carrier implements Telephony {
        final List<DialRequest> dials = new CopyOnWriteArrayList<>();
        final List<String> hangUps = new CopyOnWriteArrayList<>();
        final AtomicBoolean refuse = new AtomicBoolean();
        final AtomicBoolean timeOut = new AtomicBoolean();
        final AtomicBoolean down = new AtomicBoolean();

        @Override
        public String name() {
            return "test";
        }

        @Override
        public String dial(DialRequest r) {
            if (refuse.get()) {
                throw new TelephonyException("HTTP 400, code 21211: The 'To' number is not a valid phone number.");
            }
            if (down.get()) {
                throw new TelephonyException("the carrier at http://127.0.0.1:1 cannot be reached: Connection refused",
                        null, TelephonyException.Failure.UNREACHABLE);
            }
            if (timeOut.get()) {
                throw new TelephonyException("no answer from the carrier: HttpTimeoutException", null,
                        TelephonyException.Failure.UNCERTAIN);
            }
            dials.add(r);
            return "CA" + r.attemptId().toString().replace("-", "");
        }

        @Override
        public void hangUp(String carrierCallId) {
            hangUps.add(carrierCallId);
        }
    }

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        acme = f.tenant("Acme", "growth");
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        carrier = new Carrier();
    }

    private Dialer dialer(NationalDoNotCall national) {
        var p = f.plane;
        return new Dialer(p.database().dsl(), clock, p.plans(), p.campaigns(), p.dialAttempts(), new DialGuards(national),
                carrier, new Dialer.Settings("w1", Duration.ZERO, Duration.ofMinutes(2), Duration.ofSeconds(60), 200));
    }

    private Dialer dialer() {
        return dialer(NationalDoNotCall.none());
    }

    private String list(String... phonesAndZones) {
        String list = f.plane.contacts().createList(acme.owner(), "L" + UUID.randomUUID(), "").id().toString();
        for (int i = 0; i < phonesAndZones.length; i += 2) {
            f.plane.contacts().create(acme.owner(), new ContactSpec("", phonesAndZones[i], "", "", "", "{}", List.of(),
                    phonesAndZones[i + 1], List.of(list)), "US");
        }
        return list;
    }

    private String campaign(String list, int concurrency, CampaignSpec.Retry retry, CampaignSpec.Dialing dialing) {
        String id = f.plane.campaigns().create(acme.owner(), new CampaignSpec("C", agent, list, "+14155550100",
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, concurrency, retry, List.of(), dialing))
                .id().toString();
        f.plane.campaigns().start(acme.owner(), id);
        return id;
    }

    /** Dials placed on virtual threads: waits until {@code n} have reached the carrier. */
    private void awaitDials(int n) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (carrier.dials.size() < n && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        Thread.sleep(100); // and no more than that
        assertEquals(n, carrier.dials.size(), "dials placed: " + carrier.dials);
    }

    private String contactState(String campaign, UUID contact) {
        return f.plane.database().dsl().select(CAMPAIGN_CONTACTS.STATE).from(CAMPAIGN_CONTACTS)
                .where(CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(UUID.fromString(campaign)))
                .and(CAMPAIGN_CONTACTS.CONTACT_ID.eq(contact)).fetchSingle(CAMPAIGN_CONTACTS.STATE);
    }

    private CampaignState state(String campaign) {
        return f.plane.campaigns().get(acme.owner(), campaign).state();
    }

    /** A running campaign whose only contact was reached: the next tick would complete it. */
    private String campaignRunItsCourse() throws InterruptedException {
        int before = carrier.dials.size();
        String c = campaign(list("+12125550101", "America/New_York"), 1, CampaignSpec.Retry.UNSET,
                CampaignSpec.Dialing.UNSET);
        dialer().tick();
        awaitDials(before + 1);
        f.plane.dialAttempts().finish(carrier.dials.getLast().attemptId(), DialOutcome.COMPLETED, "answered",
                Optional.of(1000L));
        return c;
    }

    private List<CampaignState> history(String c) {
        return f.plane.campaigns().transitions(acme.owner(), c).stream().map(CampaignService.Transition::to).toList();
    }

    /**
     * The dialer decides a campaign is finished, then completes it; a pause may commit in between. The
     * completion is a conditional transition under the campaign's row lock (RUNNING only, and still finished),
     * so a pause that committed first wins: the campaign stays PAUSED, and completes once resumed.
     */
    @Test
    void aPauseThatCommitsFirstWinsOverACompletionAlreadyDecided() throws Exception {
        String c = campaignRunItsCourse();
        f.plane.campaigns().pause(acme.owner(), c);
        // the completion the dialer decided on before the pause: it must not take a paused campaign
        assertFalse(f.plane.campaigns().completeIfFinished(Principal.system(acme.owner().organizationId(), Role.ADMIN,
                "system:dialer"), UUID.fromString(c), tx -> true));
        assertEquals(0, dialer().tick().completedCampaigns());
        assertEquals(CampaignState.PAUSED, state(c));
        assertEquals(List.of(CampaignState.RUNNING, CampaignState.PAUSED), history(c));

        f.plane.campaigns().resume(acme.owner(), c);
        assertEquals(1, dialer().tick().completedCampaigns(), "resumed, it completes at the next tick");
        assertEquals(List.of(CampaignState.RUNNING, CampaignState.PAUSED, CampaignState.RUNNING, CampaignState.COMPLETED),
                history(c));
        var late = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> f.plane.campaigns().pause(acme.owner(), c));
        assertEquals("CAMPAIGN_STATE", late.type(), "a pause after the completion is refused");
    }

    /**
     * The pause and the dialer's tick at the same instant, many times: whichever commits first, the campaign
     * ends in exactly one of two states and the other party is told or does nothing. Never both: no
     * "paused" answer for a campaign that then completes, no completion recorded after a pause.
     */
    @Test
    void aPauseRacingCompletionEndsInOneWellDefinedState() throws Exception {
        Dialer d = dialer();
        Map<CampaignState, Integer> outcomes = new java.util.EnumMap<>(CampaignState.class);
        for (int round = 0; round < 12; round++) {
            String c = campaignRunItsCourse();
            CountDownLatch go = new CountDownLatch(1);
            java.util.concurrent.Future<Object> pause;
            java.util.concurrent.Future<Dialer.Tick> tick;
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                pause = pool.submit(() -> {
                    go.await();
                    try {
                        return f.plane.campaigns().pause(acme.owner(), c);
                    } catch (SwitchboardException.FailedPrecondition e) {
                        return e;
                    }
                });
                tick = pool.submit(() -> {
                    go.await();
                    return d.tick();
                });
                go.countDown();
            }
            CampaignState end = state(c);
            outcomes.merge(end, 1, Integer::sum);
            if (end == CampaignState.PAUSED) {
                assertTrue(pause.get() instanceof io.switchboard.campaigns.Campaign, "the pause won and was told so");
                assertEquals(0, tick.get().completedCampaigns());
                assertEquals(List.of(CampaignState.RUNNING, CampaignState.PAUSED), history(c));
            } else {
                assertEquals(CampaignState.COMPLETED, end);
                assertTrue(pause.get() instanceof SwitchboardException.FailedPrecondition e
                        && e.type().equals("CAMPAIGN_STATE"), "the pause lost and was refused: " + pause.get());
                assertEquals(1, tick.get().completedCampaigns());
                assertEquals(List.of(CampaignState.RUNNING, CampaignState.COMPLETED), history(c));
            }
            long completions = f.audited.stream().filter(e -> e.action().equals("campaign.complete")
                    && e.resourceId().equals(c)).count();
            assertEquals(end == CampaignState.COMPLETED ? 1 : 0, completions, "audited once, or not at all");
        }
        assertEquals(12, outcomes.values().stream().mapToInt(Integer::intValue).sum(), "outcomes: " + outcomes);
    }

    @Test
    void concurrencyIsHeldAndNoContactIsDialledTwiceByWorkersRacing() throws Exception {
        String list = list("+12125550101", "America/New_York", "+12125550102", "America/New_York",
                "+12125550103", "America/New_York", "+12125550104", "America/New_York", "+12125550105", "America/New_York");
        String c = campaign(list, 2, CampaignSpec.Retry.UNSET, CampaignSpec.Dialing.UNSET);
        List<Dialer> workers = List.of(dialer(), dialer(), dialer(), dialer());
        for (int round = 0; round < 3; round++) {
            CountDownLatch go = new CountDownLatch(1);
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Dialer d : workers) {
                    pool.submit(() -> {
                        go.await();
                        return d.tick();
                    });
                }
                go.countDown();
            }
        }
        awaitDials(2);
        assertEquals(2, new HashSet<>(carrier.dials.stream().map(Telephony.DialRequest::contactId).toList()).size());
        // the carrier reports both answered and over: two more go out, then the last one
        for (var r : List.copyOf(carrier.dials)) {
            f.plane.dialAttempts().finish(r.attemptId(), DialOutcome.COMPLETED, "answered", Optional.of(30_000L));
        }
        workers.get(1).tick();
        awaitDials(4);
        for (var r : carrier.dials.subList(2, 4)) {
            f.plane.dialAttempts().finish(r.attemptId(), DialOutcome.COMPLETED, "answered", Optional.of(30_000L));
        }
        workers.get(2).tick();
        awaitDials(5);
        assertEquals(5, new HashSet<>(carrier.dials.stream().map(Telephony.DialRequest::contactId).toList()).size());
        f.plane.dialAttempts().finish(carrier.dials.get(4).attemptId(), DialOutcome.VOICEMAIL, "machine", Optional.empty());
        assertEquals(CampaignState.RUNNING, state(c));
        assertEquals(1, workers.get(3).tick().completedCampaigns());
        assertEquals(CampaignState.COMPLETED, state(c));
        var stats = f.plane.campaignProgress().stats(acme.owner(), c);
        assertEquals(Map.of("done", 5L), stats.contacts());
        assertEquals(Map.of("completed", 4L, "voicemail", 1L), stats.outcomes());
        assertEquals(5, stats.dialAttempts());
        assertTrue(f.audited.stream().anyMatch(e -> e.action().equals("campaign.complete")
                && e.remoteAddress().equals("system:dialer")));
    }

    @Test
    void busyAndNoAnswerAreRetriedAfterTheDelayUntilAttemptsRunOut() throws Exception {
        String list = list("+12125550111", "America/New_York");
        String c = campaign(list, 1, new CampaignSpec.Retry(2, Optional.of(Duration.ofMinutes(10)),
                List.of(RetryPolicy.Outcome.BUSY, RetryPolicy.Outcome.NO_ANSWER)), CampaignSpec.Dialing.UNSET);
        Dialer d = dialer();
        d.tick();
        awaitDials(1);
        UUID contact = carrier.dials.getFirst().contactId();
        f.plane.dialAttempts().finish(carrier.dials.getFirst().attemptId(), DialOutcome.BUSY, "busy", Optional.empty());
        assertEquals("retry", contactState(c, contact));
        clock.advance(Duration.ofMinutes(9));
        d.tick();
        awaitDials(1); // not due yet
        clock.advance(Duration.ofMinutes(1));
        d.tick();
        awaitDials(2);
        assertEquals(2, f.plane.database().dsl().select(DIAL_ATTEMPTS.ATTEMPT).from(DIAL_ATTEMPTS)
                .where(DIAL_ATTEMPTS.ID.eq(carrier.dials.get(1).attemptId())).fetchSingle(DIAL_ATTEMPTS.ATTEMPT));
        f.plane.dialAttempts().finish(carrier.dials.get(1).attemptId(), DialOutcome.NO_ANSWER, "no answer", Optional.empty());
        assertEquals("exhausted", contactState(c, contact));
        // a repeated callback for a settled attempt changes nothing
        assertTrue(!f.plane.dialAttempts().finish(carrier.dials.get(1).attemptId(), DialOutcome.COMPLETED, "late", Optional.empty()));
        d.tick();
        assertEquals(CampaignState.COMPLETED, state(c));
    }

    @Test
    void aCarrierRefusalFailsTheAttemptAndTheFailedOutcomeIsRetried() throws Exception {
        String c = campaign(list("+12125550121", "America/New_York"), 1,
                new CampaignSpec.Retry(2, Optional.of(Duration.ZERO), List.of()), CampaignSpec.Dialing.UNSET);
        carrier.refuse.set(true);
        Dialer d = dialer();
        d.tick();
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        var a = DIAL_ATTEMPTS;
        while (System.nanoTime() < until && f.plane.database().dsl().fetchCount(a, a.OUTCOME.eq("failed")) == 0) {
            Thread.sleep(10);
        }
        var failed = f.plane.database().dsl().selectFrom(a).where(a.CAMPAIGN_ID.eq(UUID.fromString(c))).fetchSingle();
        assertEquals("failed", failed.getOutcome());
        assertTrue(failed.getDetail().contains("21211"), failed.getDetail());
        carrier.refuse.set(false);
        d.tick();
        awaitDials(1);
    }

    /**
     * Calls the carrier never placed (it was down) burn nothing: not the campaign's attempts, not the
     * contact's daily limit. With one attempt a day allowed, five ticks into an outage leave the contact
     * untouched, and it is called, as attempt 1, once the carrier is back.
     */
    @Test
    void aCarrierOutageBurnsNoAttemptsAndTheContactIsCalledWhenTheCarrierIsBack() throws Exception {
        String c = campaign(list("+12125550141", "America/New_York"), 1,
                new CampaignSpec.Retry(1, Optional.of(Duration.ZERO), List.of()), new CampaignSpec.Dialing(false, 1,
                        List.of()));
        carrier.down.set(true);
        Dialer d = dialer();
        var a = DIAL_ATTEMPTS;
        var dsl = f.plane.database().dsl();
        for (int i = 1; i <= 5; i++) {
            assertEquals(1, d.tick().placed(), "tick " + i + " asks the carrier");
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until && dsl.fetchCount(a, a.OUTCOME.eq("not_placed")) < i) {
                Thread.sleep(10);
            }
            assertEquals(i, dsl.fetchCount(a, a.OUTCOME.eq("not_placed")));
            var cc = dsl.selectFrom(CAMPAIGN_CONTACTS).where(CAMPAIGN_CONTACTS.CAMPAIGN_ID.eq(UUID.fromString(c)))
                    .fetchSingle();
            assertEquals("pending", cc.getState(), "not exhausted by an outage");
            assertEquals(0, cc.getAttempts(), "no attempt used");
            assertEquals(clock.instant().plus(DialAttempts.CARRIER_OUTAGE_RETRY), cc.getNextAttemptAt());
            assertTrue(cc.getLastReason().startsWith("the carrier could not be reached"), cc.getLastReason());
            assertEquals(0, d.tick().placed(), "not asked again before the outage retry is due");
            clock.advance(DialAttempts.CARRIER_OUTAGE_RETRY);
        }
        assertEquals(0, dsl.fetchCount(io.switchboard.db.Tables.DIAL_REFUSALS), "the daily limit was not reached");
        assertEquals(0, f.plane.campaignProgress().stats(acme.owner(), c).dialAttempts(), "nothing was attempted");

        carrier.down.set(false);
        d.tick();
        awaitDials(1);
        assertEquals(1, dsl.select(a.ATTEMPT).from(a).where(a.STATE.ne("finished")).fetchSingle().value1(),
                "the first real attempt, within the day's limit of one");
        f.plane.dialAttempts().finish(carrier.dials.getFirst().attemptId(), DialOutcome.COMPLETED, "answered",
                Optional.of(1000L));
        assertEquals("done", contactState(c, carrier.dials.getFirst().contactId()));
        assertEquals(1, f.plane.campaignProgress().stats(acme.owner(), c).dialAttempts());
    }

    @Test
    void guardsSkipOrDeferWithTheirReasons(@TempDir Path registry) throws Exception {
        Files.writeString(registry.resolve("us-dnc.txt"), "# registry download\n212-555-0133\n");
        String list = list("+12125550131", "America/New_York",   // on the organisation's list
                "+12125550133", "America/New_York",                // on the national registry
                "+12125550134", "America/New_York",                // no consent on record
                "+12125550135", "Asia/Tokyo",                      // 02:00 in Tokyo
                "+12125550136", "America/New_York");               // consent granted: dialled
        f.plane.doNotCall().add(acme.owner(), List.of("+12125550131"), "US", "asked", "api");
        Consents consents = new Consents(f.plane.database().dsl(), clock, f.plane.audit());
        UUID granted = null;
        for (var x : f.plane.contacts().list(acme.owner(), "", "", 100, "").items()) {
            if (x.phoneNumber().equals("+12125550136") || x.phoneNumber().equals("+12125550135")) {
                consents.record(acme.owner(), new Consents.Input(x.id().toString(),
                        Optional.of(io.switchboard.privacy.Consent.Purpose.CALLS), true, "web form", "", Optional.empty()));
                granted = x.phoneNumber().equals("+12125550136") ? x.id() : granted;
            }
        }
        String c = campaign(list, 5, CampaignSpec.Retry.UNSET, new CampaignSpec.Dialing(true, 0, List.of()));
        Dialer d = dialer(NationalDoNotCall.fromFiles(registry, "1"));
        Dialer.Tick t = d.tick();
        awaitDials(1);
        assertEquals(granted, carrier.dials.getFirst().contactId());
        assertEquals(3, t.refused());
        assertEquals(1, t.deferred());
        var stats = f.plane.campaignProgress().stats(acme.owner(), c);
        assertEquals(Map.of("do_not_call", 1L, "national_do_not_call", 1L, "no_consent", 1L, "outside_calling_window", 1L),
                stats.refusals());
        assertEquals(Map.of("skipped", 3L, "pending", 1L, "dialing", 1L), stats.contacts());
        // Tokyo's next 08:00 is 23:00 UTC
        var tokyo = f.plane.campaignProgress().contacts(acme.owner(), c, "pending", 10, "").items().getFirst();
        assertEquals(Instant.parse("2026-03-07T23:00:00Z"), tokyo.nextAttemptAt());
        assertTrue(tokyo.lastReason().startsWith("outside_calling_window: callee local time 2026-03-08T02:00 Asia/Tokyo"),
                tokyo.lastReason());
    }

    @Test
    void attemptsPerDayAndHolidaysDeferToTheNextAllowedLocalMorning() throws Exception {
        String c = campaign(list("+12125550141", "America/New_York"), 1,
                new CampaignSpec.Retry(5, Optional.of(Duration.ZERO), List.of()), new CampaignSpec.Dialing(false, 1,
                        List.of("2026-03-08")));
        Dialer d = dialer();
        d.tick();
        awaitDials(1);
        f.plane.dialAttempts().finish(carrier.dials.getFirst().attemptId(), DialOutcome.BUSY, "busy", Optional.empty());
        assertEquals(1, d.tick().deferred());
        awaitDials(1);
        var p = f.plane.campaignProgress().contacts(acme.owner(), c, "", 10, "").items().getFirst();
        assertTrue(p.lastReason().startsWith("daily_attempts: 1 attempts today"), p.lastReason());
        // Sunday the 8th is a holiday: the next morning is Monday 9 March, 08:00 EDT (after the DST change)
        assertEquals(Instant.parse("2026-03-09T12:00:00Z"), p.nextAttemptAt());
        clock.set(Instant.parse("2026-03-09T12:00:00Z"));
        d.tick();
        awaitDials(2);
    }

    @Test
    void pauseStopsNewDialsResumeRestartsAndCancelHangsUpCallsInFlight() throws Exception {
        String c = campaign(list("+12125550151", "America/New_York", "+12125550152", "America/New_York",
                "+12125550153", "America/New_York"), 1, CampaignSpec.Retry.UNSET, CampaignSpec.Dialing.UNSET);
        Dialer d = dialer();
        d.tick();
        awaitDials(1);
        f.plane.campaigns().pause(acme.owner(), c);
        f.plane.dialAttempts().finish(carrier.dials.getFirst().attemptId(), DialOutcome.COMPLETED, "ok", Optional.empty());
        d.tick();
        awaitDials(1);
        f.plane.campaigns().resume(acme.owner(), c);
        d.tick();
        awaitDials(2);
        f.plane.campaigns().cancel(acme.owner(), c);
        assertEquals(1, d.tick().hungUp());
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (carrier.hangUps.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(List.of("CA" + carrier.dials.get(1).attemptId().toString().replace("-", "")), carrier.hangUps);
        f.plane.dialAttempts().finish(carrier.dials.get(1).attemptId(), DialOutcome.CANCELED, "hung up", Optional.empty());
        assertEquals("pending", contactState(c, carrier.dials.get(1).contactId()));
        assertEquals(0, d.tick().hungUp());
        awaitDials(2);
    }

    @Test
    void thePlansLiveCallLimitHoldsAcrossCampaigns() throws Exception {
        Fixtures.Tenant small = f.tenant("Small", "starter"); // 5 live calls
        String a = f.plane.agents().create(small.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        List<String> campaigns = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            String list = f.plane.contacts().createList(small.owner(), "L" + k, "").id().toString();
            for (int i = 0; i < 4; i++) {
                f.plane.contacts().create(small.owner(), new ContactSpec("", "+1212555" + (1000 + k * 10 + i), "", "", "",
                        "{}", List.of(), "America/New_York", List.of(list)), "US");
            }
            String id = f.plane.campaigns().create(small.owner(), new CampaignSpec("C" + k, a, list, "+14155550100",
                    Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 10, CampaignSpec.Retry.UNSET, List.of()))
                    .id().toString();
            f.plane.campaigns().start(small.owner(), id);
            campaigns.add(id);
        }
        Dialer d = dialer();
        d.tick();
        d.tick();
        awaitDials(5);
    }

    @Test
    void aContactAddedToTheListKeepsTheCampaignFromCompletingUntilItIsCalled() throws Exception {
        String list = list("+12125550171", "America/New_York");
        String c = campaign(list, 1, CampaignSpec.Retry.UNSET, CampaignSpec.Dialing.UNSET);
        var p = f.plane;
        Dialer hourly = new Dialer(p.database().dsl(), clock, p.plans(), p.campaigns(), p.dialAttempts(),
                new DialGuards(NationalDoNotCall.none()), carrier,
                new Dialer.Settings("w1", Duration.ofHours(1), Duration.ofMinutes(2), Duration.ofSeconds(60), 200));
        hourly.tick();
        awaitDials(1);
        f.plane.contacts().create(acme.owner(), new ContactSpec("", "+12125550172", "", "", "", "{}", List.of(),
                "America/New_York", List.of(list)), "US");
        p.dialAttempts().finish(carrier.dials.getFirst().attemptId(), DialOutcome.COMPLETED, "ok", Optional.empty());
        assertEquals(0, hourly.tick().completedCampaigns(), "a member not yet taken in is not final");
        assertEquals(CampaignState.RUNNING, state(c));
        clock.advance(Duration.ofHours(1));
        hourly.tick();
        awaitDials(2);
    }

    @Test
    void attemptsAndRefusalsAreCallLogsKeptAsLongAsThePlanSaysAndHoldsKeepThem() throws Exception {
        String list = list("+12125550181", "America/New_York", "+12125550182", "America/New_York",
                "+12125550183", "America/New_York");
        f.plane.doNotCall().add(acme.owner(), List.of("+12125550183"), "US", "", "api");
        String c = campaign(list, 3, CampaignSpec.Retry.UNSET, CampaignSpec.Dialing.UNSET);
        dialer().tick();
        awaitDials(2);
        var dsl = f.plane.database().dsl();
        var a = DIAL_ATTEMPTS;
        // growth keeps call logs 90 days, as long as recordings
        assertEquals(List.of(Instant.parse("2026-06-05T17:00:00Z"), Instant.parse("2026-06-05T17:00:00Z")),
                dsl.select(a.EXPIRES_AT).from(a).fetch(a.EXPIRES_AT));
        for (var r : carrier.dials) {
            f.plane.dialAttempts().finish(r.attemptId(), DialOutcome.COMPLETED, "ok", Optional.empty());
        }
        UUID held = carrier.dials.getFirst().contactId();
        f.plane.legalHolds().place(acme.owner(), Optional.of(io.switchboard.retention.LegalHold.Scope.CONTACT),
                held.toString(), "litigation");
        var sweeper = new io.switchboard.retention.RetentionSweeper(dsl, clock,
                new io.switchboard.recordings.RecordingStore(io.switchboard.testing.TestObjectStore.freshBucket()), f.plane.auditLog(),
                f.plane.plans(), 50);
        clock.advance(Duration.ofDays(91));
        var swept = sweeper.sweepAll();
        assertEquals(2, swept.callLogs(), "the unheld attempt and the refusal: " + swept);
        assertEquals(List.of(held), dsl.select(a.CONTACT_ID).from(a).fetch(a.CONTACT_ID));
        assertEquals(0, dsl.fetchCount(io.switchboard.db.Tables.DIAL_REFUSALS));
        assertTrue(f.plane.campaignProgress().stats(acme.owner(), c).outcomes().equals(Map.of("completed", 1L)));
    }

    @Test
    void aCarrierTimeoutLeavesTheAttemptToItsCallbacksAndTheDialerSettlesWhatNeverReports() throws Exception {
        String c = campaign(list("+12125550191", "America/New_York", "+12125550192", "America/New_York"), 2,
                new CampaignSpec.Retry(3, Optional.of(Duration.ZERO), List.of()), CampaignSpec.Dialing.UNSET);
        carrier.timeOut.set(true);
        Dialer d = dialer();
        d.tick();
        Thread.sleep(300);
        var dsl = f.plane.database().dsl();
        var a = DIAL_ATTEMPTS;
        // the call may be ringing: not failed, and the contacts are not free to be called again
        assertEquals(List.of("placing", "placing"), dsl.select(a.STATE).from(a).fetch(a.STATE));
        carrier.timeOut.set(false);
        d.tick();
        awaitDials(0);
        // one of them is answered but its audio never comes; the other never hears back at all
        UUID answered = dsl.select(a.ID).from(a).limit(1).fetchSingle(a.ID);
        f.plane.dialAttempts().answered(answered);
        clock.advance(Duration.ofMinutes(3));
        assertEquals(2, d.settleLost(clock.instant()));
        assertEquals(List.of("failed", "failed"), dsl.select(a.OUTCOME).from(a).fetch(a.OUTCOME));
        assertTrue(dsl.select(a.DETAIL).from(a).where(a.ID.eq(answered)).fetchSingle(a.DETAIL).contains("no audio"));
        d.tick();
        awaitDials(2); // retried, now that they are settled
        assertEquals(CampaignState.RUNNING, state(c));
    }

    @Test
    void attemptsRingingHoldTheirSlotsAgainstThePlansLiveCallLimit() throws Exception {
        Fixtures.Tenant small = f.tenant("Small", "starter"); // 5 live calls
        String a = f.plane.agents().create(small.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        String list = f.plane.contacts().createList(small.owner(), "L", "").id().toString();
        for (int i = 0; i < 5; i++) {
            f.plane.contacts().create(small.owner(), new ContactSpec("", "+1212555" + (2000 + i), "", "", "", "{}", List.of(),
                    "America/New_York", List.of(list)), "US");
        }
        String id = f.plane.campaigns().create(small.owner(), new CampaignSpec("C", a, list, "+14155550100",
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 10, CampaignSpec.Retry.UNSET, List.of()))
                .id().toString();
        f.plane.campaigns().start(small.owner(), id);
        dialer().tick();
        awaitDials(5);
        var calls = f.calls(io.switchboard.testing.TestObjectStore.freshBucket());
        // five ringing: an API call would be the sixth
        var full = assertThrows(SwitchboardException.ResourceExhausted.class, () -> calls.open(small.owner(),
                new io.switchboard.calls.CallSpec(a, "", "", io.switchboard.calls.Call.Direction.INBOUND, "", "",
                        io.switchboard.audio.AudioFormat.Encoding.MULAW, 8000, 1, io.switchboard.audio.AudioFormat.Container.RAW)));
        assertTrue(full.getMessage().contains("ringing"), full.getMessage());
        // but an answered attempt's own call is opened in the slot it holds
        var r = carrier.dials.getFirst();
        calls.open(io.switchboard.tenancy.Principal.system(r.organizationId(), io.switchboard.tenancy.Role.AGENT,
                "carrier:twilio"), new io.switchboard.calls.CallSpec(a, id, r.contactId().toString(),
                io.switchboard.calls.Call.Direction.OUTBOUND, r.from(), r.to(), io.switchboard.audio.AudioFormat.Encoding.MULAW,
                8000, 1, io.switchboard.audio.AudioFormat.Container.RAW));
    }

    @Test
    void progressIsReadOnlyWithinTheOrganisation() {
        String c = campaign(list("+12125550161", "America/New_York"), 1, CampaignSpec.Retry.UNSET, CampaignSpec.Dialing.UNSET);
        Fixtures.Tenant other = f.tenant("Other", "growth");
        assertThrows(SwitchboardException.NotFound.class,
                () -> f.plane.campaignProgress().contacts(other.owner(), c, "", 10, ""));
        assertThrows(SwitchboardException.NotFound.class,
                () -> f.plane.campaignProgress().attempts(other.owner(), c, "", 10, ""));
        assertThrows(SwitchboardException.NotFound.class, () -> f.plane.campaignProgress().stats(other.owner(), c));
        var bad = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> f.plane.campaignProgress().contacts(acme.owner(), c, "ringing", 10, ""));
        assertTrue(bad.getMessage().contains("state"), bad.getMessage());
    }
}
