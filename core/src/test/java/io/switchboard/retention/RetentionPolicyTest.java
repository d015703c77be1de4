package io.switchboard.retention;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.AUDIT_LOG;
import static io.switchboard.db.Tables.CALLS;
import static io.switchboard.db.Tables.CAMPAIGNS;
import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.PLAN_RETENTION_APPLIED;
import static io.switchboard.db.Tables.RETENTION_DELETIONS;
import static io.switchboard.db.Tables.USAGE_RECORDS;
import static io.switchboard.db.Tables.USERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.CallSummary;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.Plan;
import io.switchboard.plans.PlanOverrides;
import io.switchboard.plans.RetentionPeriod;
import io.switchboard.storage.ObjectStore;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.usage.UsageService;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention beyond the first expiry: legal holds, plan changes (dry run, grace, what goes), call logs,
 * usage records and audit entries, and the 30-day purges of deleted calls, contacts and organisations.
 * Real PostgreSQL, real S3, time driven by an injected clock.
 */
class RetentionPolicyTest {

    private static final Duration DAY = Duration.ofDays(1);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T18:00:00Z")); // 10:00 in San Francisco
    private Fixtures f;
    private DSLContext dsl;
    private ObjectStore store;
    private CallService calls;
    private RetentionSweeper sweeper;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        dsl = f.plane.database().dsl();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        sweeper = new RetentionSweeper(dsl, clock, new RecordingStore(store), f.plane.auditLog(), f.plane.plans(), 50);
    }

    /** What one tenant's calls hang off: an agent, a list, a campaign and a contact on it. */
    private record Org(Fixtures.Tenant t, String agent, String campaign, String contact) {
        UUID id() {
            return t.owner().organizationId();
        }
    }

    private Org org(String name, String plan) {
        Fixtures.Tenant t = f.tenant(name, plan);
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        String list = f.plane.contacts().createList(t.owner(), "Leads", "").id().toString();
        String contact = f.plane.contacts().create(t.owner(), new ContactSpec("", "+14155550123", "Ada", "Lovelace",
                "ada@example.com", "{}", List.of(), "", List.of(list)), "US").id().toString();
        String campaign = f.plane.campaigns().create(t.owner(), new CampaignSpec("Spring", agent, list, "+14155550100",
                Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, 0, CampaignSpec.Retry.UNSET, List.of()))
                .id().toString();
        return new Org(t, agent, campaign, contact);
    }

    /** A finished call with a 2-segment transcript, a summary, an assembled recording and a usage record. */
    private Call call(Org o, String campaign, String contact) {
        Call c = calls.open(o.t().owner(), new CallSpec(o.agent(), campaign, contact, Call.Direction.OUTBOUND,
                "+14155550100", "+14155550123", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        calls.storeSegment(o.id(), c.id(), 0, new byte[8000]);
        calls.end(o.id(), c.id(), Call.State.ENDED, "hangup");
        for (int i = 0; i < 2; i++) {
            calls.saveSegment(o.id(), c.id(), new TranscriptSegment(0, i, "customer", i * 1000L, i * 1000L + 900,
                    "words " + i, List.of(), "live"));
        }
        calls.saveSummary(o.id(), c.id(), new CallSummary(Optional.of("a summary"), Map.of(), Optional.empty(),
                "in-process", Map.of()));
        assertTrue(calls.recordRecording(o.id(), c.id(), new RecordingStore(store).assemble(o.id(), c.id(), c.format(), 1, 8000)));
        f.plane.usage().record(o.id(), UsageService.Metric.CALL_MS, 1000, Optional.of(c.id()), "call:" + c.id(),
                clock.instant());
        return calls.find(o.id(), c.id()).orElseThrow();
    }

    private Call call(Org o) {
        return call(o, "", "");
    }

    private boolean contentLeft(Org o, Call c) {
        return !calls.transcript(o.id(), c.id()).isEmpty() || calls.summary(o.id(), c.id()).isPresent()
                || calls.find(o.id(), c.id()).flatMap(Call::recording).isPresent();
    }

    private boolean exists(Call c) {
        return dsl.fetchExists(CALLS, CALLS.ID.eq(c.id()));
    }

    /** Call ids in deletion evidence of {@code dataClass}. */
    private Set<String> evidenced(Org o, DataClass dataClass) {
        return new TreeSet<>(dsl.select(RETENTION_DELETIONS.RESOURCE_ID).from(RETENTION_DELETIONS)
                .where(RETENTION_DELETIONS.ORGANIZATION_ID.eq(o.id()))
                .and(RETENTION_DELETIONS.DATA_CLASS.eq(dataClass.configKey())).fetch(RETENTION_DELETIONS.RESOURCE_ID));
    }

    @Test
    void theDatabaseComputesExpiriesExactlyAsTheApplicationDoes() {
        List<String> created = List.of("2024-02-29T23:59:59.999999Z", "2026-01-31T10:00:00Z", "2026-03-31T00:00:00Z",
                "2025-12-31T23:30:00Z", "2026-03-29T01:30:00Z", "2026-10-25T00:59:59Z");
        List<RetentionPeriod> periods = List.of(RetentionPeriod.of(Period.ofYears(1)), RetentionPeriod.of(Period.ofMonths(1)),
                RetentionPeriod.of(Period.ofYears(7)), RetentionPeriod.of(Period.of(0, 1, 2)), RetentionPeriod.of(Period.ofDays(30)),
                RetentionPeriod.of(Duration.ofMinutes(15)), RetentionPeriod.of(Duration.ofDays(400).plusNanos(1000)));
        for (String c : created) {
            Instant at = Instant.parse(c);
            for (RetentionPeriod p : periods) {
                Instant sql = dsl.select(RetentionSql.expiry(DSL.val(at), p)).fetchSingle().value1();
                assertEquals(p.expiry(at).orElseThrow(), sql, p + " from " + c);
            }
        }
        assertNull(dsl.select(RetentionSql.expiry(DSL.val(Instant.EPOCH), RetentionPeriod.UNLIMITED)).fetchSingle().value1());
    }

    @Test
    void legalHoldsKeepWhatTheyCoverUntilReleased() {
        Org acme = org("Acme", "growth"); // content 90 days
        Call held = call(acme);
        Call ofCampaign = call(acme, acme.campaign(), "");
        Call ofContact = call(acme, "", acme.contact());
        Call free = call(acme);
        LegalHolds holds = f.plane.legalHolds();
        LegalHold callHold = holds.place(acme.t().owner(), Optional.of(LegalHold.Scope.CALL), held.id().toString(),
                "litigation 2026-17");
        holds.place(acme.t().owner(), Optional.of(LegalHold.Scope.CAMPAIGN), acme.campaign(), "regulator request");
        LegalHold contactHold = holds.place(acme.t().owner(), Optional.of(LegalHold.Scope.CONTACT), acme.contact(),
                "subject dispute");

        clock.advance(Duration.ofDays(90));
        sweeper.sweepAll();
        assertFalse(contentLeft(acme, free), "the unheld call's content expired");
        for (Call c : List.of(held, ofCampaign, ofContact)) {
            assertTrue(contentLeft(acme, c), "a hold keeps " + c.id());
            assertEquals(2, calls.transcript(acme.id(), c.id()).size());
        }
        var overdue = f.plane.retention().upcoming(acme.t().owner(), 1).overdue();
        assertEquals(3, overdue.stream().filter(d -> d.dataClass() == DataClass.RECORDINGS).mapToLong(
                RetentionService.DayCount::held).sum(), "the held recordings are reported as overdue and held");

        holds.release(acme.t().owner(), callHold.id().toString(), "settled");
        holds.release(acme.t().owner(), contactHold.id().toString(), "");
        sweeper.sweepAll();
        assertFalse(contentLeft(acme, held), "released: the policy applies again at the next sweep");
        assertFalse(contentLeft(acme, ofContact));
        assertTrue(contentLeft(acme, ofCampaign), "the campaign hold still stands");
        assertEquals(Set.of(free.id().toString(), held.id().toString(), ofContact.id().toString()),
                evidenced(acme, DataClass.RECORDINGS));

        var again = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> holds.release(acme.t().owner(), callHold.id().toString(), ""));
        assertEquals("ALREADY_RELEASED", again.type());
        assertEquals(3, holds.list(acme.t().owner(), true, 0, "").items().size());
        assertEquals(1, holds.list(acme.t().owner(), false, 0, "").items().size());
    }

    @Test
    void holdsNameOnlyTheCallersOwnResourcesAndNeedAReason() {
        Org acme = org("Acme", "growth");
        Org globex = org("Globex", "growth");
        Call theirs = call(globex);
        LegalHolds holds = f.plane.legalHolds();
        assertThrows(SwitchboardException.NotFound.class, () -> holds.place(acme.t().owner(),
                Optional.of(LegalHold.Scope.CALL), theirs.id().toString(), "fishing"));
        assertThrows(SwitchboardException.NotFound.class, () -> holds.place(acme.t().owner(),
                Optional.of(LegalHold.Scope.ORGANIZATION), globex.id().toString(), "fishing"));
        var bad = assertThrows(SwitchboardException.InvalidArgument.class, () -> holds.place(acme.t().owner(),
                Optional.empty(), "", " "));
        assertEquals(Set.of("scope", "reason"), bad.violations().stream().map(SwitchboardException.Violation::field)
                .collect(Collectors.toSet()));
        assertThrows(SwitchboardException.InvalidArgument.class, () -> holds.place(acme.t().owner(),
                Optional.of(LegalHold.Scope.CONTACT), "not-a-uuid", "x"));
        LegalHold mine = holds.place(acme.t().owner(), Optional.of(LegalHold.Scope.ORGANIZATION), "", "audit season");
        assertEquals(acme.id(), mine.resourceId());
        assertThrows(SwitchboardException.NotFound.class, () -> holds.release(globex.t().owner(), mine.id().toString(), ""));
        assertTrue(holds.list(globex.t().owner(), true, 0, "").items().isEmpty());
    }

    @Test
    void aDowngradeDeletesExactlyWhatTheDryRunListedAfterTheGrace() {
        Org acme = org("Acme", "enterprise"); // everything unlimited but usage records
        Instant t0 = clock.instant();
        Call old = call(acme);
        clock.advance(Duration.ofDays(60));
        Call recent = call(acme);
        clock.advance(Duration.ofDays(40)); // old is 100 days old, recent 40

        PolicyChanges.Report dry = f.plane.retention().dryRunPlanChange(acme.t().owner(), "growth");
        Instant graceEnd = clock.instant().plus(PolicyChanges.DEFAULT_GRACE);
        assertEquals(graceEnd, dry.graceEnds());
        var impact = PolicyChanges.byClass(dry);
        assertEquals(2, impact.get(DataClass.RECORDINGS).items());
        assertEquals(2, impact.get(DataClass.RECORDINGS).shortened());
        assertEquals(1, impact.get(DataClass.RECORDINGS).goneBecauseOfChange());
        assertEquals(2, impact.get(DataClass.TRANSCRIPTS).goneBecauseOfChange(), "two segments of the old call");
        assertEquals(1, dry.impacts().stream().filter(i -> i.dataClass() == DataClass.CALL_LOGS)
                .mapToLong(PolicyChanges.ClassImpact::goneBecauseOfChange).sum(), "call logs live 90 days on growth too");
        Map<DataClass, Set<String>> listed = dry.items().stream().collect(Collectors.groupingBy(
                PolicyChanges.Item::dataClass, Collectors.mapping(i -> i.callId().orElseThrow().toString(),
                        Collectors.toCollection(TreeSet::new))));
        assertEquals(Set.of(DataClass.RECORDINGS, DataClass.TRANSCRIPTS, DataClass.SUMMARIES, DataClass.CALL_LOGS),
                listed.keySet());
        assertEquals(Set.of(old.id().toString()), listed.get(DataClass.RECORDINGS));
        assertTrue(dry.items().stream().allMatch(i -> i.deletedAt().equals(graceEnd)));
        assertTrue(contentLeft(acme, old), "a dry run changes nothing");
        assertEquals(0, sweeper.sweepAll().total());

        f.plane.plans().setPlan(acme.t().owner(), "growth");
        clock.set(graceEnd.minusMillis(1));
        sweeper.sweepAll();
        assertTrue(contentLeft(acme, old), "nothing the old plan kept goes before the grace ends");
        assertEquals(0L, dsl.fetchCount(RETENTION_DELETIONS, RETENTION_DELETIONS.ORGANIZATION_ID.eq(acme.id())));

        clock.set(graceEnd);
        sweeper.sweepAll();
        for (DataClass c : listed.keySet()) {
            assertEquals(listed.get(c), evidenced(acme, c), "deleted " + c + " = listed by the dry run");
        }
        assertFalse(contentLeft(acme, old));
        assertTrue(contentLeft(acme, recent), "recent is 47 days old; growth keeps it 90");
        assertFalse(exists(old), "the call log goes with its content: growth keeps both 90 days");
        assertTrue(exists(recent));

        clock.set(t0.plus(Duration.ofDays(150)));
        sweeper.sweepAll();
        assertFalse(contentLeft(acme, recent), "recent goes 90 days after it was made, as growth says");
        assertEquals(t0.plus(Duration.ofDays(150)), dsl.select(RETENTION_DELETIONS.EXPIRED_AT).from(RETENTION_DELETIONS)
                .where(RETENTION_DELETIONS.RESOURCE_ID.eq(recent.id().toString()))
                .and(RETENTION_DELETIONS.DATA_CLASS.eq("recordings")).fetchSingle().value1());
        assertTrue(f.plane.auditLog().verify(acme.id()).intact(), "audit pruned after the grace, chain verifies");
    }

    @Test
    void anUpgradeExtendsWhatIsStoredAndTheAuditGraceHolds() {
        Org acme = org("Acme", "growth");
        Call c = call(acme);
        f.plane.plans().setPlan(acme.t().owner(), "enterprise");
        assertNull(dsl.select(CALLS.RECORDING_EXPIRES_AT).from(CALLS).where(CALLS.ID.eq(c.id())).fetchSingle().value1());
        long entries = dsl.fetchCount(AUDIT_LOG, AUDIT_LOG.ORGANIZATION_ID.eq(acme.id()));
        clock.advance(Duration.ofDays(400));
        sweeper.sweepAll();
        assertTrue(contentLeft(acme, c), "unlimited on enterprise");
        assertEquals(entries, dsl.fetchCount(AUDIT_LOG, AUDIT_LOG.ORGANIZATION_ID.eq(acme.id())),
                "the audit trail follows the plan in force too");

        // back down to growth: audit entries older than 90 days go only when the grace ends
        f.plane.plans().setPlan(acme.t().owner(), "growth");
        clock.advance(PolicyChanges.DEFAULT_GRACE.minusSeconds(1));
        assertEquals(0, sweeper.sweepAll().auditEntries());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(sweeper.sweepAll().auditEntries() >= entries, "pruned when the grace ended");
        assertTrue(f.plane.auditLog().verify(acme.id()).intact());
    }

    @Test
    void everyDefaultPlanKeepsCallLogsExactlyAsLongAsRecordingsAndTranscripts() {
        for (Plan p : f.plane.catalog().plans()) {
            RetentionPeriod content = p.retention().get(DataClass.RECORDINGS);
            assertEquals(content, p.retention().get(DataClass.TRANSCRIPTS), p.id());
            assertEquals(content, p.retention().get(DataClass.SUMMARIES), p.id());
            assertEquals(content, p.retention().get(DataClass.CALL_LOGS), p.id() + ": call logs and analytics");
        }
        assertEquals(RetentionPeriod.parse("30d"), f.plane.catalog().find("starter").orElseThrow().retention()
                .get(DataClass.CALL_LOGS));
        assertEquals(RetentionPeriod.parse("90d"), f.plane.catalog().find("growth").orElseThrow().retention()
                .get(DataClass.CALL_LOGS));
        assertTrue(f.plane.catalog().find("enterprise").orElseThrow().retention().get(DataClass.CALL_LOGS).unlimited());
    }

    /**
     * A Starter call row stamped by the old catalog (call logs one year) must not outlive its 30-day recording:
     * a worker's start re-stamps it as a downgrade would, with the grace, once per catalog change.
     */
    @Test
    void aCatalogThatShortensCallLogsReStampsWhatOrganisationsAlreadyStored() {
        Org acme = org("Acme", "starter");
        Org big = org("Big", "enterprise");
        Instant t0 = clock.instant();
        Call old = call(acme);
        Call bigCall = call(big);
        f.plane.plans().applyCatalogRetention();
        // as the release before stamped it, and recorded its catalog
        dsl.update(CALLS).set(CALLS.EXPIRES_AT, t0.plus(Duration.ofDays(365))).where(CALLS.ID.eq(old.id())).execute();
        dsl.update(PLAN_RETENTION_APPLIED).set(PLAN_RETENTION_APPLIED.RETENTION, org.jooq.JSONB.jsonb(
                        "{\"recordings\":\"P30D\",\"transcripts\":\"P30D\",\"summaries\":\"P30D\",\"call-logs\":\"P1Y\","
                        + "\"audit-log\":\"P30D\",\"usage-records\":\"P7Y\"}"))
                .where(PLAN_RETENTION_APPLIED.PLAN_ID.eq("starter")).execute();
        clock.advance(Duration.ofDays(100));
        Instant freshMade = clock.instant();
        Call fresh = call(acme);

        assertEquals(List.of("starter"), f.plane.plans().applyCatalogRetention());
        assertEquals(List.of(), f.plane.plans().applyCatalogRetention(), "applied once");
        Instant graceEnd = clock.instant().plus(PolicyChanges.DEFAULT_GRACE);
        assertEquals(graceEnd, callExpiry(old), "100 days old: goes when the downgrade grace ends");
        assertEquals(freshMade.plus(Duration.ofDays(30)), callExpiry(fresh), "stamped by the new catalog");
        assertNull(callExpiry(bigCall), "enterprise unchanged");

        clock.set(graceEnd.minusMillis(1));
        sweeper.sweepAll();
        assertTrue(exists(old));
        clock.set(graceEnd);
        sweeper.sweepAll();
        assertFalse(exists(old), "the call log went as Starter says");
        assertTrue(exists(fresh));
        assertTrue(exists(bigCall));

        // a catalog whose periods were never recorded (a plan new to the table): everything re-stamped once
        dsl.deleteFrom(PLAN_RETENTION_APPLIED).execute();
        dsl.update(CALLS).set(CALLS.EXPIRES_AT, (Instant) null).where(CALLS.ID.eq(fresh.id())).execute();
        assertEquals(List.of("starter", "growth", "enterprise"), f.plane.plans().applyCatalogRetention());
        assertEquals(freshMade.plus(Duration.ofDays(30)), callExpiry(fresh));
    }

    private Instant callExpiry(Call c) {
        return dsl.select(CALLS.EXPIRES_AT).from(CALLS).where(CALLS.ID.eq(c.id())).fetchSingle().value1();
    }

    @Test
    void callLogsAndUsageRecordsExpireWithEverythingTheyHold() {
        Org acme = org("Acme", "enterprise");
        Call c = call(acme);
        String key = c.recording().orElseThrow().key();
        Instant made = clock.instant();
        // an Enterprise contract that keeps call logs 10 days (content stays unlimited) and billing 1 year
        f.plane.plans().setOverrides(f.operator(), acme.id().toString(), new PlanOverrides.Input(OptionalInt.empty(),
                OptionalInt.empty(), OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.empty(), List.of(
                new PlanOverrides.Input.Rule(Optional.of(DataClass.CALL_LOGS), Optional.of("10d")),
                new PlanOverrides.Input.Rule(Optional.of(DataClass.USAGE_RECORDS), Optional.of("1y")))));
        clock.set(made.plus(Duration.ofDays(10)).minusMillis(1));
        assertEquals(0, sweeper.sweepAll().callLogs());
        clock.set(made.plus(Duration.ofDays(10)));
        RetentionSweeper.Result r = sweeper.sweepAll();
        assertEquals(1, r.callLogs());
        assertFalse(exists(c), "the call row is gone");
        assertTrue(store.stat(key).isEmpty(), "and its recording with it");
        assertTrue(calls.transcript(acme.id(), c.id()).isEmpty());
        assertEquals(Set.of(c.id().toString()), evidenced(acme, DataClass.CALL_LOGS));
        assertEquals(Set.of(c.id().toString()), evidenced(acme, DataClass.TRANSCRIPTS), "its content is evidenced too");
        assertEquals(1, dsl.fetchCount(USAGE_RECORDS, USAGE_RECORDS.ORGANIZATION_ID.eq(acme.id())),
                "billing records outlive the call they meter");

        clock.set(made.plus(Duration.ofDays(365)));
        assertEquals(1, sweeper.sweepAll().usageRecords());
        assertEquals(0, dsl.fetchCount(USAGE_RECORDS, USAGE_RECORDS.ORGANIZATION_ID.eq(acme.id())));
        assertEquals(Set.of(acme.id().toString()), evidenced(acme, DataClass.USAGE_RECORDS));
    }

    @Test
    void auditEntriesArePrunedOnTheirExpiryBehindASignedCheckpoint() {
        Org acme = org("Acme", "growth"); // audit 90 days
        Instant made = clock.instant();
        long entries = dsl.fetchCount(AUDIT_LOG, AUDIT_LOG.ORGANIZATION_ID.eq(acme.id()));
        assertTrue(entries >= 3);
        clock.advance(Duration.ofHours(1));
        f.plane.agents().create(acme.t().owner(), new AgentSpec("Later", "en-US", "", "", "", "", List.of()));

        clock.set(made.plus(Duration.ofDays(90)).minusNanos(1000));
        assertEquals(0, sweeper.sweepAll().auditEntries(), "a microsecond early: nothing");
        clock.set(made.plus(Duration.ofDays(90)));
        assertEquals(entries, sweeper.sweepAll().auditEntries(), "the entries made at the start, not the later one");
        assertEquals(1, dsl.fetchCount(AUDIT_LOG, AUDIT_LOG.ORGANIZATION_ID.eq(acme.id())));
        var v = f.plane.auditLog().verify(acme.id());
        assertTrue(v.intact(), v.reason());
        assertEquals(entries + 1, v.firstSeq());

        // an organisation-wide hold stops pruning too; a plain checkpoint at the head does not block the cut
        LegalHold hold = f.plane.legalHolds().place(acme.t().owner(), Optional.of(LegalHold.Scope.ORGANIZATION), "",
                "investigation");
        f.plane.auditLog().checkpointAll();
        clock.advance(Duration.ofDays(200));
        assertEquals(0, sweeper.sweepAll().auditEntries());
        f.plane.legalHolds().release(acme.t().owner(), hold.id().toString(), "closed");
        clock.advance(Duration.ofDays(91));
        assertTrue(sweeper.sweepAll().auditEntries() >= 3);
        v = f.plane.auditLog().verify(acme.id());
        assertTrue(v.intact(), v.reason());
    }

    @Test
    void aDeletedCallIsHiddenRestorableAndPurgedAfterThirtyDays() {
        Org acme = org("Acme", "enterprise");
        Org globex = org("Globex", "enterprise");
        Call c = call(acme);
        Call keptByHold = call(acme);
        String key = c.recording().orElseThrow().key();
        assertThrows(SwitchboardException.NotFound.class, () -> calls.delete(globex.t().owner(), c.id().toString()));
        Instant purgeAt = calls.delete(acme.t().owner(), c.id().toString());
        assertEquals(clock.instant().plus(CallService.PURGE_AFTER), purgeAt);
        assertThrows(SwitchboardException.NotFound.class, () -> calls.get(acme.t().owner(), c.id().toString()));
        assertTrue(calls.list(acme.t().owner(), "", "", Optional.empty(), 0, "").items().stream()
                .noneMatch(x -> x.id().equals(c.id())));
        assertThrows(SwitchboardException.NotFound.class, () -> calls.restore(globex.t().owner(), c.id().toString()));
        assertEquals(c.id(), calls.restore(acme.t().owner(), c.id().toString()).id());
        var notDeleted = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> calls.restore(acme.t().owner(), c.id().toString()));
        assertEquals("NOT_DELETED", notDeleted.type());

        Call live = calls.open(acme.t().owner(), new CallSpec(acme.agent(), "", "", Call.Direction.INBOUND, "", "",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        var active = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> calls.delete(acme.t().owner(), live.id().toString()));
        assertEquals("CALL_ACTIVE", active.type());

        calls.delete(acme.t().owner(), c.id().toString());
        calls.delete(acme.t().owner(), keptByHold.id().toString());
        f.plane.legalHolds().place(acme.t().owner(), Optional.of(LegalHold.Scope.CALL), keptByHold.id().toString(), "x");
        clock.advance(CallService.PURGE_AFTER.minusMillis(1));
        assertEquals(0, sweeper.sweepAll().deletedCalls());
        clock.advance(Duration.ofMillis(1));
        assertEquals(1, sweeper.sweepAll().deletedCalls());
        assertFalse(exists(c));
        assertTrue(store.stat(key).isEmpty());
        assertTrue(exists(keptByHold), "a deleted call under a hold is not purged");
        assertEquals("deleted", dsl.select(RETENTION_DELETIONS.REASON).from(RETENTION_DELETIONS)
                .where(RETENTION_DELETIONS.RESOURCE_ID.eq(c.id().toString()))
                .and(RETENTION_DELETIONS.DATA_CLASS.eq("call-logs")).fetchSingle().value1());
        assertThrows(SwitchboardException.NotFound.class, () -> calls.restore(acme.t().owner(), c.id().toString()));
    }

    @Test
    void aDeletedContactIsPurgedAfterThirtyDaysAndItsCallsStay() {
        Org acme = org("Acme", "enterprise");
        Call c = call(acme, "", acme.contact());
        f.plane.contacts().delete(acme.t().owner(), acme.contact());
        clock.advance(Duration.ofDays(30).minusMillis(1));
        assertEquals(0, sweeper.sweepAll().deletedContacts());
        clock.advance(Duration.ofMillis(1));
        assertEquals(1, sweeper.sweepAll().deletedContacts());
        assertFalse(dsl.fetchExists(CONTACTS, CONTACTS.ID.eq(UUID.fromString(acme.contact()))));
        assertTrue(exists(c));
        assertNull(dsl.select(CALLS.CONTACT_ID).from(CALLS).where(CALLS.ID.eq(c.id())).fetchSingle().value1());
        assertTrue(contentLeft(acme, c), "deleting a contact is not erasing its calls");
    }

    @Test
    void aClosedOrganizationIsPurgedButKeepsBillingAndItsAuditTrail() {
        Org acme = org("Acme", "growth");
        Org globex = org("Globex", "growth");
        Call c = call(acme);
        Call theirs = call(globex);
        String key = c.recording().orElseThrow().key();
        var confirm = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> f.plane.organizations().close(acme.t().owner(), "acme"));
        assertEquals("confirm_name", confirm.violations().getFirst().field());
        assertThrows(SwitchboardException.PermissionDenied.class,
                () -> f.plane.organizations().reopen(acme.t().owner(), acme.id().toString()));

        f.plane.organizations().close(acme.t().owner(), "Acme");
        assertThrows(SwitchboardException.Unauthenticated.class,
                () -> f.plane.apiKeys().authenticate(acme.t().ownerKey(), "test"), "its keys stop at once");
        f.plane.organizations().reopen(f.operator(), acme.id().toString());
        f.plane.apiKeys().authenticate(acme.t().ownerKey(), "test");
        f.plane.organizations().close(acme.t().owner(), "Acme");

        clock.advance(Duration.ofDays(30).minusMillis(1));
        assertEquals(0, sweeper.sweepAll().closedOrganizations());
        clock.advance(Duration.ofMillis(1));
        RetentionSweeper.Result r = sweeper.sweepAll();
        assertEquals(1, r.closedOrganizations());
        assertFalse(exists(c));
        assertTrue(store.stat(key).isEmpty());
        assertFalse(dsl.fetchExists(CONTACTS, CONTACTS.ORGANIZATION_ID.eq(acme.id())));
        assertFalse(dsl.fetchExists(CAMPAIGNS, CAMPAIGNS.ORGANIZATION_ID.eq(acme.id())));
        assertFalse(dsl.fetchExists(AGENTS, AGENTS.ORGANIZATION_ID.eq(acme.id())));
        assertTrue(dsl.select(USERS.EMAIL).from(USERS).where(USERS.ORGANIZATION_ID.eq(acme.id())).fetch(USERS.EMAIL)
                .stream().allMatch(e -> e.endsWith("@invalid.example")), "users anonymised");
        assertEquals(1, dsl.fetchCount(USAGE_RECORDS, USAGE_RECORDS.ORGANIZATION_ID.eq(acme.id())), "billing kept");
        assertTrue(f.plane.auditLog().verify(acme.id()).intact(), "the audit trail is kept and intact");
        assertEquals(Set.of("closed"), new TreeSet<>(dsl.select(RETENTION_DELETIONS.REASON).from(RETENTION_DELETIONS)
                .where(RETENTION_DELETIONS.ORGANIZATION_ID.eq(acme.id())).and(RETENTION_DELETIONS.DATA_CLASS
                        .in("call-logs", "contacts")).fetch(RETENTION_DELETIONS.REASON)));
        assertTrue(exists(theirs) && contentLeft(globex, theirs), "another tenant is untouched");
        var purged = assertThrows(SwitchboardException.FailedPrecondition.class,
                () -> f.plane.organizations().reopen(f.operator(), acme.id().toString()));
        assertEquals("PURGED", purged.type());
    }
}
