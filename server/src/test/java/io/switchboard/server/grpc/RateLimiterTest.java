package io.switchboard.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.switchboard.common.SwitchboardException;
import io.switchboard.plans.PlanLimits;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void fullBucketAllowsBurstThenWaitsOneTokenInterval() {
        RateLimiter.Bucket b = new RateLimiter.Bucket(3, 0);
        assertEquals(0, b.take(2.0, 3, 0));
        assertEquals(0, b.take(2.0, 3, 0));
        assertEquals(0, b.take(2.0, 3, 0));
        assertEquals(SECOND / 2, b.take(2.0, 3, 0), "at 2/s the next token comes in half a second");
    }

    @Test
    void tokensRefillAtTheRateButNeverAboveTheBurst() {
        RateLimiter.Bucket b = new RateLimiter.Bucket(2, 0);
        b.take(1.0, 2, 0);
        b.take(1.0, 2, 0);
        assertEquals(0, b.take(1.0, 2, SECOND), "one second at 1/s refills one token");
        assertEquals(SECOND / 4, b.take(1.0, 2, SECOND + 3 * SECOND / 4));
        long t = 100 * SECOND;
        assertEquals(0, b.take(1.0, 2, t));
        assertEquals(0, b.take(1.0, 2, t));
        assertEquals(SECOND, b.take(1.0, 2, t), "a long idle period still leaves only the burst");
    }

    @Test
    void refusedRequestsDoNotConsumeTokens() {
        RateLimiter.Bucket b = new RateLimiter.Bucket(1, 0);
        b.take(1.0, 1, 0);
        for (int i = 0; i < 5; i++) {
            b.take(1.0, 1, SECOND / 2);
        }
        assertEquals(0, b.take(1.0, 1, SECOND));
    }

    @Test
    void limiterGivesEachKeyItsOwnBucketAndARetryDelay() {
        AtomicLong nanos = new AtomicLong();
        RateLimiter limiter = new RateLimiter(org -> new PlanLimits(1, 0, 0, 1.0, 1), nanos::get);
        UUID org = UUID.randomUUID();
        Principal a = new Principal(org, UUID.randomUUID(), Role.OWNER, Optional.empty(), false, "");
        Principal b = new Principal(org, UUID.randomUUID(), Role.OWNER, Optional.empty(), false, "");
        limiter.acquire(a);
        var e = assertThrows(SwitchboardException.ResourceExhausted.class, () -> limiter.acquire(a));
        assertEquals(Optional.of(Duration.ofSeconds(1)), e.retryAfter());
        limiter.acquire(b);
        nanos.set(SECOND);
        limiter.acquire(a);
    }

    @Test
    void limitsAreReReadAfterTheCacheExpires() {
        AtomicLong nanos = new AtomicLong();
        AtomicReference<PlanLimits> limits = new AtomicReference<>(new PlanLimits(1, 0, 0, 0.001, 1));
        RateLimiter limiter = new RateLimiter(org -> limits.get(), nanos::get);
        Principal p = new Principal(UUID.randomUUID(), UUID.randomUUID(), Role.OWNER, Optional.empty(), false, "");
        limiter.acquire(p);
        assertThrows(SwitchboardException.ResourceExhausted.class, () -> limiter.acquire(p));
        limits.set(new PlanLimits(1, 0, 0, 1000, 10));
        nanos.set(RateLimiter.POLICY_TTL.toNanos() / 2);
        assertThrows(SwitchboardException.ResourceExhausted.class, () -> limiter.acquire(p),
                "cached limits still apply within the TTL");
        nanos.set(RateLimiter.POLICY_TTL.toNanos() + 1);
        limiter.acquire(p);
    }
}
