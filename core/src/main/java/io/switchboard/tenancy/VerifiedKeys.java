package io.switchboard.tenancy;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.switchboard.common.Notifications;

/**
 * A short-lived cache of stored API keys in front of {@link ApiKeyService#authenticate}, so that an authenticated
 * read costs the read itself and no lookup of the key. What it caches is the key's row, never a verdict: the
 * secret, revocation and expiry are checked on every request, against the row.
 *
 * <p>A row is kept {@link #TTL} at most, and dropped at once when the database announces a change to the key or
 * its organisation (the V15 triggers NOTIFY {@link #CHANNEL} for revocation, deletion, a role change, an
 * organisation's closing), on every server. While those announcements cannot be heard ({@link Notifications#live}
 * is false: the LISTEN connection is down or unproven for a second) a row is used for {@link #UNHEARD_TTL} only,
 * so revocation still takes effect within a second; when the connection drops and when it is back, the cache is
 * emptied. A lookup that raced an announcement is not cached (the generation check).
 */
public final class VerifiedKeys implements Notifications.Listener {

    public static final String CHANNEL = "switchboard_api_keys";
    static final Duration TTL = Duration.ofSeconds(30);
    static final Duration UNHEARD_TTL = Duration.ofMillis(900);
    static final int MAX_ENTRIES = 10_000;

    private final ApiKeyService keys;
    private final Notifications notifications;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> byPrefix = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong(); // moves on every announcement and reset

    private record Entry(ApiKeyService.Verified key, long readAt, boolean heard) {
    }

    public VerifiedKeys(ApiKeyService keys, Notifications notifications) {
        this(keys, notifications, System::nanoTime);
    }

    VerifiedKeys(ApiKeyService keys, Notifications notifications, LongSupplier nanoTime) {
        this.keys = keys;
        this.notifications = notifications;
        this.nanoTime = nanoTime;
        notifications.listen(CHANNEL, this);
        keys.changes().subscribe(this::notified); // this process's own changes, before their request returns
    }

    /** As {@link ApiKeyService#authenticate}, from the cache when the key's row is fresh in it. */
    public Principal authenticate(String presentedKey, String remoteAddress) {
        ApiKeySecrets.Presented p = ApiKeyService.presented(presentedKey);
        ApiKeyService.Verified k = fresh(p.prefix());
        if (k == null) {
            long gen = generation.get();
            long readAt = nanoTime.getAsLong();
            boolean heard = notifications.live(CHANNEL); // before the read: an announcement after it is heard
            k = keys.lookup(p.prefix()).orElseThrow(() -> new io.switchboard.common.SwitchboardException
                    .Unauthenticated("invalid API key"));
            if (!k.revoked()) {
                if (byPrefix.size() >= MAX_ENTRIES) {
                    byPrefix.clear();
                }
                byPrefix.put(p.prefix(), new Entry(k, readAt, heard));
                if (generation.get() != gen) { // an announcement came while reading: the row may predate it
                    byPrefix.remove(p.prefix());
                }
            }
        }
        Principal principal = keys.admit(k, p, remoteAddress);
        keys.touchIfDue(k);
        return principal;
    }

    private ApiKeyService.Verified fresh(String prefix) {
        Entry e = byPrefix.get(prefix);
        if (e == null) {
            return null;
        }
        long age = nanoTime.getAsLong() - e.readAt();
        boolean usable = e.heard() && notifications.live(CHANNEL) ? age < TTL.toNanos() : age < UNHEARD_TTL.toNanos();
        if (!usable) {
            byPrefix.remove(prefix, e);
            return null;
        }
        return e.key();
    }

    @Override
    public void notified(String payload) {
        generation.incrementAndGet();
        int colon = payload.indexOf(':');
        UUID id;
        try {
            id = UUID.fromString(payload.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            byPrefix.clear();
            return;
        }
        boolean org = payload.startsWith("org:");
        byPrefix.values().removeIf(e -> org ? e.key().organizationId().equals(id) : e.key().id().equals(id));
    }

    @Override
    public void reset() {
        generation.incrementAndGet();
        byPrefix.clear();
    }

    /** Keys cached now (tests). */
    int size() {
        return byPrefix.size();
    }
}
