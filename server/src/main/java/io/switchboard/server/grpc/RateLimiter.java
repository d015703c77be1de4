package io.switchboard.server.grpc;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

import io.switchboard.common.SwitchboardException;
import io.switchboard.plans.PlanLimits;
import io.switchboard.tenancy.Principal;

/**
 * A token bucket per API key, sized by the organisation's plan (sustained rate and burst). Limits are
 * looked up at most every {@link #POLICY_TTL} per organisation, so a plan change applies within that
 * time. Buckets live in this process: with N API servers behind a balancer a key gets up to N times its
 * rate, which the README states.
 */
public final class RateLimiter {

    static final Duration POLICY_TTL = Duration.ofSeconds(10);

    private final Function<UUID, PlanLimits> limitsOf;
    private final LongSupplier nanoTime;
    private final Map<UUID, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<UUID, CachedLimits> limits = new ConcurrentHashMap<>();

    private record CachedLimits(PlanLimits limits, long fetchedAt) {
    }

    public RateLimiter(Function<UUID, PlanLimits> limitsOf, LongSupplier nanoTime) {
        this.limitsOf = limitsOf;
        this.nanoTime = nanoTime;
    }

    public void acquire(Principal p) {
        long now = nanoTime.getAsLong();
        PlanLimits l = limits.compute(p.organizationId(), (org, cached) ->
                cached == null || now - cached.fetchedAt() > POLICY_TTL.toNanos()
                        ? new CachedLimits(limitsOf.apply(org), now) : cached).limits();
        Bucket b = buckets.computeIfAbsent(p.apiKeyId(), k -> new Bucket(l.apiBurst(), now));
        long waitNanos = b.take(l.apiRequestsPerSecond(), l.apiBurst(), now);
        if (waitNanos > 0) {
            Duration retry = Duration.ofNanos(waitNanos);
            throw new SwitchboardException.ResourceExhausted("api_key:" + p.apiKeyId(),
                    "rate limit exceeded: this key may make " + l.apiRequestsPerSecond() + " requests/s (burst "
                            + l.apiBurst() + "); retry after " + Math.max(1, retry.toMillis()) + " ms", retry);
        }
    }

    static final class Bucket {
        private double tokens;
        private long last;

        Bucket(int burst, long now) {
            this.tokens = burst;
            this.last = now;
        }

        /** Takes one token; returns 0 on success or the nanoseconds until a token is available. */
        synchronized long take(double ratePerSecond, int burst, long now) {
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * ratePerSecond);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / ratePerSecond * 1e9);
        }
    }
}
