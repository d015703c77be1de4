package io.switchboard.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import io.switchboard.testing.Fixtures;
import io.switchboard.usage.UsageService.Granularity;
import io.switchboard.usage.UsageService.Metric;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UsageServiceTest {

    private Fixtures f;
    private UsageService usage;
    private Fixtures.Tenant acme;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        usage = f.plane.usage();
        acme = f.tenant("Acme", "growth");
    }

    private static Optional<Instant> at(String s) {
        return Optional.of(Instant.parse(s));
    }

    private void call(UUID org, UUID call, long ms, String when) {
        usage.record(org, Metric.CALL_MS, ms, Optional.of(call), "call:" + call, Instant.parse(when));
    }

    @Test
    void recordingTheSameFactTwiceBillsItOnce() {
        UUID call = UUID.randomUUID();
        assertTrue(usage.record(acme.owner().organizationId(), Metric.CALL_MS, 61_000, Optional.of(call), "call:" + call,
                Instant.parse("2026-03-01T10:00:00Z")));
        assertFalse(usage.record(acme.owner().organizationId(), Metric.CALL_MS, 61_000, Optional.of(call), "call:" + call,
                Instant.parse("2026-03-01T10:00:00Z")));
        var r = usage.report(acme.owner(), at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z"), Granularity.DAY);
        assertEquals(new UsageService.Totals(1, 61_000, 0, 0, 0, 2), r.totals(), "61 s bill as two started minutes");
    }

    @Test
    void dailyBucketsCoverTheRangeIncludingEmptyDaysAndAreClipped() {
        UUID org = acme.owner().organizationId();
        call(org, UUID.randomUUID(), 30_000, "2026-03-01T23:59:59Z");
        call(org, UUID.randomUUID(), 120_000, "2026-03-03T00:00:00Z");
        usage.record(org, Metric.TRANSCRIBED_MS, 90_000, Optional.empty(), "t1", Instant.parse("2026-03-03T08:00:00Z"));
        usage.record(org, Metric.LLM_INPUT_TOKENS, 1200, Optional.empty(), "l1", Instant.parse("2026-03-03T08:00:00Z"));
        usage.record(org, Metric.LLM_OUTPUT_TOKENS, 300, Optional.empty(), "l1", Instant.parse("2026-03-03T08:00:00Z"));
        var r = usage.report(acme.owner(), at("2026-03-01T12:00:00Z"), at("2026-03-04T00:00:00Z"), Granularity.DAY);
        assertEquals(3, r.buckets().size());
        assertEquals(Instant.parse("2026-03-01T12:00:00Z"), r.buckets().getFirst().start(), "first bucket clipped");
        assertEquals(new UsageService.Totals(1, 30_000, 0, 0, 0, 1), r.buckets().get(0).totals());
        assertEquals(UsageService.Totals.ZERO, r.buckets().get(1).totals());
        assertEquals(new UsageService.Totals(1, 120_000, 90_000, 1200, 300, 2), r.buckets().get(2).totals());
        assertEquals(new UsageService.Totals(2, 150_000, 90_000, 1200, 300, 3), r.totals());
    }

    @Test
    void monthlyBucketsFollowCalendarMonths() {
        UUID org = acme.owner().organizationId();
        call(org, UUID.randomUUID(), 60_000, "2026-01-31T23:00:00Z");
        call(org, UUID.randomUUID(), 60_000, "2026-02-01T01:00:00Z");
        var r = usage.report(acme.owner(), at("2026-01-01T00:00:00Z"), at("2026-04-01T00:00:00Z"), Granularity.MONTH);
        assertEquals(List.of(1L, 1L, 0L), r.buckets().stream().map(b -> b.totals().calls()).toList());
        assertEquals(Instant.parse("2026-02-01T00:00:00Z"), r.buckets().get(1).start());
    }

    @Test
    void anotherOrganisationsUsageIsInvisible() {
        Fixtures.Tenant other = f.tenant("Other", "growth");
        call(other.owner().organizationId(), UUID.randomUUID(), 600_000, "2026-03-01T10:00:00Z");
        var r = usage.report(acme.owner(), at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z"), Granularity.DAY);
        assertEquals(UsageService.Totals.ZERO, r.totals());
    }

    @Test
    void badRangesNameTheField() {
        var missing = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> usage.report(acme.owner(), Optional.empty(), Optional.empty(), Granularity.DAY));
        assertEquals(List.of("start_time", "end_time"), missing.violations().stream().map(SwitchboardException.Violation::field).toList());
        var inverted = assertThrows(SwitchboardException.InvalidArgument.class, () -> usage.report(acme.owner(),
                at("2026-03-02T00:00:00Z"), at("2026-03-01T00:00:00Z"), Granularity.DAY));
        assertEquals("end_time", inverted.violations().getFirst().field());
        assertThrows(SwitchboardException.InvalidArgument.class, () -> usage.report(acme.owner(),
                at("2024-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), Granularity.DAY), "two years of days is too many buckets");
        usage.report(acme.owner(), at("2024-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), Granularity.MONTH);
    }
}
