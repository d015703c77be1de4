package io.switchboard.server.calls;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.LiveEvents;
import io.switchboard.common.Notifications;
import io.switchboard.v1.CallEvent;

/**
 * The live-call watchers on this server, whichever server holds the call. Per watched call there is one
 * {@link Feed}: woken by the call's NOTIFY (or every {@link #POLL_MILLIS} ms, in case one was lost), it reads the
 * call's new events from {@link LiveEvents} once and hands them, in order, to each of its {@link Watcher}s; once
 * the call's row says it has ended (announced by the server that held it, or found by the poll when that server
 * died and the call was failed for it), the feed reads the last events, sends the ended call and closes.
 */
final class CallWatchers implements Notifications.Listener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CallWatchers.class.getName());
    static final long POLL_MILLIS = 1000;
    private static final int BATCH = 256;

    private final CallService calls;
    private final LiveEvents events;
    private final int maxBacklog;
    private final Map<UUID, Feed> feeds = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("call-events-sweeper").unstarted(r));

    CallWatchers(CallService calls, LiveEvents events, Notifications notifications, int maxBacklog) {
        this.calls = calls;
        this.events = events;
        this.maxBacklog = maxBacklog;
        notifications.listen(LiveEvents.CHANNEL, this);
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.MINUTES);
    }

    /** Adds a watcher of {@code call} (ACTIVE when read): it sees the events published from now on, then the end. */
    Watcher watch(Call call, io.grpc.stub.StreamObserver<CallEvent> out) {
        Watcher w = new Watcher(out, maxBacklog);
        while (true) {
            Feed f = feeds.computeIfAbsent(call.id(), id -> new Feed(call));
            if (f.add(w)) {
                return w;
            }
            feeds.remove(call.id(), f); // it closed meanwhile: the next one starts afresh
        }
    }

    void unwatch(UUID callId, Watcher w) {
        Feed f = feeds.get(callId);
        if (f != null) {
            f.watchers.remove(w);
        }
    }

    @Override
    public void notified(String payload) {
        int colon = payload.indexOf(':');
        try {
            Feed f = feeds.get(UUID.fromString(colon < 0 ? payload : payload.substring(0, colon)));
            if (f != null) {
                f.wake(payload.endsWith(":end"));
            }
        } catch (IllegalArgumentException e) {
            LOG.warning("ignoring a malformed call-event notification: " + payload);
        }
    }

    @Override
    public void reset() {
        feeds.values().forEach(f -> f.wake(true));
    }

    private void sweep() {
        try {
            events.sweep();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "deleting old live call events failed; the next sweep retries", e);
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        feeds.values().forEach(f -> f.close(Status.UNAVAILABLE.withDescription("the server is shutting down; watch again")));
    }

    /** One call's events for this server's watchers of it. */
    private final class Feed {
        private final Call call;
        private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
        private final Semaphore wake = new Semaphore(0);
        private volatile boolean checkEnd = true; // the first round checks: the call may have ended already
        private int last;
        private boolean closed; // guarded by this

        Feed(Call call) {
            this.call = call;
            this.last = events.last(call.organizationId(), call.id()); // live-only: a watch starts at the live edge
            Thread.ofVirtual().name("call-feed").start(this::run);
        }

        synchronized boolean add(Watcher w) {
            if (closed) {
                return false;
            }
            watchers.add(w);
            return true;
        }

        void wake(boolean end) {
            if (end) {
                checkEnd = true;
            }
            wake.release();
        }

        private void run() {
            try {
                while (true) {
                    boolean woken = wake.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                    boolean check = checkEnd || !woken;
                    checkEnd = false;
                    try {
                        deliver();
                        if (check) {
                            Call now = calls.find(call.organizationId(), call.id()).orElse(null);
                            if (now == null || now.state() != Call.State.ACTIVE) {
                                deliver(); // every event was published before the call's end was written
                                if (now != null) {
                                    watchers.forEach(w -> w.offer(CallEvent.newBuilder()
                                            .setEnded(CallGrpcService.toProto(now)).build()));
                                }
                                close(Status.OK);
                                return;
                            }
                        }
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "reading live events of call " + call.id() + " failed; retrying", e);
                    }
                    watchers.removeIf(Watcher::ended);
                    synchronized (this) {
                        if (watchers.isEmpty()) {
                            closed = true;
                            feeds.remove(call.id(), this);
                            return;
                        }
                    }
                }
            } catch (InterruptedException e) {
                close(Status.UNAVAILABLE.withDescription("the server is shutting down; watch again"));
            }
        }

        private void deliver() {
            List<LiveEvents.Event> batch;
            do {
                batch = events.after(call.organizationId(), call.id(), last, BATCH);
                for (LiveEvents.Event e : batch) {
                    CallEvent event;
                    try {
                        event = CallEvent.parseFrom(e.payload());
                    } catch (InvalidProtocolBufferException bad) {
                        throw new IllegalStateException("live event " + e.seq() + " of call " + call.id()
                                + " does not parse", bad);
                    }
                    watchers.forEach(w -> w.offer(event));
                    last = e.seq();
                }
            } while (batch.size() == BATCH);
        }

        void close(Status status) {
            synchronized (this) {
                closed = true;
                feeds.remove(call.id(), this);
            }
            watchers.forEach(w -> w.end(status));
        }
    }
}
