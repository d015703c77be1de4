package io.switchboard.plans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Period;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;
import org.junit.jupiter.api.Test;

/** Validation of contract overrides and the policy they produce; pure logic, no database. */
class PlanOverridesTest {

    private static final OptionalInt NO = OptionalInt.empty();

    private static PlanOverrides.Input.Rule rule(DataClass c, String period) {
        return new PlanOverrides.Input.Rule(Optional.ofNullable(c), Optional.ofNullable(period));
    }

    private static PlanOverrides.Input retention(PlanOverrides.Input.Rule... rules) {
        return new PlanOverrides.Input(NO, NO, NO, OptionalDouble.empty(), NO, List.of(rules));
    }

    private static List<String> fields(PlanOverrides.Input input) {
        return assertThrows(SwitchboardException.InvalidArgument.class, input::validate).violations().stream()
                .map(SwitchboardException.Violation::field).toList();
    }

    private static Plan enterprise() {
        Map<DataClass, RetentionPeriod> r = new EnumMap<>(DataClass.class);
        for (DataClass c : DataClass.values()) {
            r.put(c, RetentionPeriod.UNLIMITED);
        }
        r.put(DataClass.USAGE_RECORDS, RetentionPeriod.parse("P7Y"));
        return new Plan("enterprise", "Enterprise", new PlanLimits(500, 0, 0, 200, 400), r, true);
    }

    @Test
    void everyBadNumberIsNamed() {
        assertEquals(List.of("overrides.max_concurrent_calls", "overrides.max_agents", "overrides.max_campaigns",
                "overrides.api_requests_per_second", "overrides.api_burst"),
                fields(new PlanOverrides.Input(OptionalInt.of(-1), OptionalInt.of(-1), OptionalInt.of(-1),
                        OptionalDouble.of(0), OptionalInt.of(0), List.of())));
        for (double rate : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertEquals(List.of("overrides.api_requests_per_second"), fields(new PlanOverrides.Input(NO, NO, NO,
                    OptionalDouble.of(rate), NO, List.of())), Double.toString(rate));
        }
    }

    @Test
    void zeroCountsAreAllowedBecauseZeroMeansNoLimit() {
        PlanOverrides o = new PlanOverrides.Input(OptionalInt.of(0), OptionalInt.of(0), OptionalInt.of(0),
                OptionalDouble.of(0.5), OptionalInt.of(1), List.of()).validate();
        assertEquals(OptionalInt.of(0), o.maxAgents());
    }

    @Test
    void retentionRulesNeedAClassOnceAndAValidPeriod() {
        assertEquals(List.of("overrides.retention[0].data_class", "overrides.retention[2].data_class",
                "overrides.retention[3].period", "overrides.retention[4].period"),
                fields(retention(rule(null, "P1Y"), rule(DataClass.RECORDINGS, "P1Y"), rule(DataClass.RECORDINGS, "P2Y"),
                        rule(DataClass.SUMMARIES, "soon"), rule(DataClass.CALL_LOGS, null))));
    }

    @Test
    void validInputBecomesOverrides() {
        PlanOverrides o = retention(rule(DataClass.RECORDINGS, "P10Y"), rule(DataClass.AUDIT_LOG, "unlimited"))
                .validate();
        assertEquals(Map.of(DataClass.RECORDINGS, RetentionPeriod.of(Period.ofYears(10)),
                DataClass.AUDIT_LOG, RetentionPeriod.UNLIMITED), o.retention());
        assertTrue(retention().validate().isEmpty());
    }

    @Test
    void hipaaRaisesAShortAuditLogOverrideToSixYears() {
        PlanOverrides o = retention(rule(DataClass.AUDIT_LOG, "P1Y")).validate();
        UUID org = UUID.randomUUID();
        assertEquals(RetentionPeriod.parse("P1Y"), EffectivePolicy.compute(org, enterprise(), o, false)
                .retention(DataClass.AUDIT_LOG));
        assertEquals(EffectivePolicy.HIPAA_MIN_AUDIT, EffectivePolicy.compute(org, enterprise(), o, true)
                .retention(DataClass.AUDIT_LOG));
        PlanOverrides longer = retention(rule(DataClass.AUDIT_LOG, "P10Y")).validate();
        assertEquals(RetentionPeriod.parse("P10Y"), EffectivePolicy.compute(org, enterprise(), longer, true)
                .retention(DataClass.AUDIT_LOG), "a longer term is kept");
    }

    @Test
    void planLimitsRejectANonNumericRate() {
        assertThrows(IllegalArgumentException.class, () -> new PlanLimits(1, 0, 0, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new PlanLimits(1, 0, 0, Double.POSITIVE_INFINITY, 1));
    }
}
