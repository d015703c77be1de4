package io.switchboard.common;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.jooq.DSLContext;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * One process's ear on PostgreSQL's LISTEN/NOTIFY: a single connection listening on every channel a part of the
 * process asked for, handing each notification to that channel's listeners. This is how API servers learn of
 * what another server did (a live call's new events, a revoked key) without polling.
 *
 * <p>A notification is lost while the connection is down, so the listeners are told ({@link Listener#reset()})
 * when it drops and again when it is back, and {@link #live} says whether notifications are being heard right
 * now: a round trip on the connection every {@link #HEARTBEAT_MILLIS} ms proves it (a connection cut without a
 * word from the network is noticed within {@link #LIVE_MILLIS} ms).
 */
public final class Notifications implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Notifications.class.getName());
    static final long HEARTBEAT_MILLIS = 250;
    static final long LIVE_MILLIS = 1000;

    /** Hears one channel. Called on the listening thread: return quickly. */
    public interface Listener {
        void notified(String payload);

        /** Notifications may have been missed (the connection dropped, or is back after dropping). */
        void reset();
    }

    private final DataSource dataSource;
    private final Map<String, List<Listener>> listeners = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile long aliveAt; // nanoTime of the last round trip that proved the connection, 0 while down
    private volatile Set<String> listening = Set.of(); // channels LISTENed to on the current connection
    private boolean lost; // the outage is reported, once (the listening thread's own)
    private volatile Connection polling; // the connection the thread is waiting on, so close() can cut it short

    private Notifications(DataSource dataSource) {
        this.dataSource = dataSource;
        this.thread = Thread.ofPlatform().daemon().name("pg-notifications").unstarted(this::run);
    }

    /** Starts listening (on no channel until {@link #listen} is called). */
    public static Notifications start(DataSource dataSource) {
        Notifications n = new Notifications(dataSource);
        n.thread.start();
        return n;
    }

    /** Hands {@code channel}'s notifications to {@code listener} from now on (from the next heartbeat at most). */
    public void listen(String channel, Listener listener) {
        if (!channel.matches("[a-z_]+")) {
            throw new IllegalArgumentException("channel names are lower-case letters and underscores: " + channel);
        }
        listeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
    }

    /**
     * Whether {@code channel}'s notifications are being heard: it is LISTENed to and the connection answered
     * within the last second.
     */
    public boolean live(String channel) {
        long at = aliveAt;
        return at != 0 && System.nanoTime() - at < LIVE_MILLIS * 1_000_000 && listening.contains(channel);
    }

    /** Sends {@code payload} on {@code channel} when {@code tx} commits (at once outside a transaction). */
    public static void notify(DSLContext tx, String channel, String payload) {
        tx.select(org.jooq.impl.DSL.field("pg_notify({0}, {1})", String.class, channel, payload)).fetch();
    }

    private void run() {
        while (!closed) {
            Connection c = null;
            boolean failed = false;
            try {
                c = dataSource.getConnection();
                polling = c.unwrap(Connection.class); // pgjdbc's own: aborting it closes the socket being read
                poll(polling);
            } catch (SQLException | RuntimeException e) {
                failed = true;
                aliveAt = 0;
                listening = Set.of();
                listeners.values().forEach(ls -> ls.forEach(Notifications::reset));
                if (!closed && !lost) {
                    LOG.log(Level.WARNING, "notifications from PostgreSQL lost; reconnecting (cached API keys"
                            + " live under a second, live-call watchers poll meanwhile): " + e.getMessage());
                    lost = true;
                }
            } finally {
                polling = null;
                release(c);
            }
            if (failed && !closed) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    break;
                }
            }
        }
        aliveAt = 0;
        listening = Set.of();
    }

    /**
     * Listens on {@code c} (pgjdbc's connection, not the pool's proxy: a failure close() causes on purpose is not
     * the pool's to log as a broken connection) until closed or the connection fails.
     */
    private void poll(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            PGConnection pg = c.unwrap(PGConnection.class);
            Set<String> heard = new HashSet<>();
            boolean announced = false;
            while (!closed) {
                for (String channel : listeners.keySet()) {
                    if (heard.add(channel)) {
                        s.execute("LISTEN " + channel);
                        listening = Set.copyOf(heard);
                    }
                }
                if (System.nanoTime() - aliveAt >= HEARTBEAT_MILLIS * 1_000_000) {
                    s.execute("SELECT 1"); // proves the connection; notifications that arrived come with the answer
                    aliveAt = System.nanoTime();
                }
                if (!announced) { // listening again: whatever was said meanwhile is unknown
                    announced = true;
                    if (lost) {
                        LOG.info("notifications from PostgreSQL heard again on " + heard);
                        lost = false;
                    }
                    listeners.values().forEach(ls -> ls.forEach(Notifications::reset));
                }
                PGNotification[] got = pg.getNotifications((int) HEARTBEAT_MILLIS);
                for (PGNotification n : got == null ? new PGNotification[0] : got) {
                    for (Listener l : listeners.getOrDefault(n.getName(), List.of())) {
                        try {
                            l.notified(n.getParameter());
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "a listener of " + n.getName() + " failed", e);
                        }
                    }
                }
            }
        }
    }

    /** Whether the listening thread has ended (after {@link #close}). */
    boolean stopped() {
        return !thread.isAlive();
    }

    /** Returns the connection to the pool, or has the pool drop it when close() aborted it. */
    private void release(Connection c) {
        if (c == null) {
            return;
        }
        if (closed && dataSource instanceof HikariDataSource pool) {
            pool.evictConnection(c); // it may be aborted: the pool must not hand it out again
        }
        try {
            c.close();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "closing the notifications connection failed", e);
        }
    }

    private static void reset(Listener l) {
        try {
            l.reset();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a listener's reset failed", e);
        }
    }

    /**
     * Stops listening and returns once the listening thread has stopped. The thread may be waiting on the
     * connection for a notification (pgjdbc's wait is not interruptible), so the connection is aborted under it.
     */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        Connection c = polling;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                LOG.log(Level.FINE, "aborting the notifications connection failed; it stops within a heartbeat", e);
            }
        }
        try {
            thread.join(5000);
            if (thread.isAlive()) {
                LOG.warning("the notifications thread did not stop within 5 s of close()");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
