package io.switchboard.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.switchboard.testing.Fixtures;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/** The LISTEN/NOTIFY poller over the real database: it hears, and close() stops it for good. */
class NotificationsTest {

    @Test
    void notificationsArriveAndClosingStopsThePollerBeforeItReturnsLeavingThePoolSound() throws Exception {
        Fixtures f = Fixtures.fresh();
        DSLContext dsl = f.plane.database().dsl();
        Notifications n = Notifications.start(f.plane.database().dataSource());
        BlockingQueue<String> heard = new LinkedBlockingQueue<>();
        n.listen("notifications_test", new Notifications.Listener() {
            @Override
            public void notified(String payload) {
                heard.add(payload);
            }

            @Override
            public void reset() {
            }
        });
        for (int i = 0; i < 1000 && !n.live("notifications_test"); i++) {
            Thread.sleep(10);
        }
        assertTrue(n.live("notifications_test"), "listening");

        Notifications.notify(dsl, "notifications_test", "hello");
        assertEquals("hello", heard.poll(30, TimeUnit.SECONDS), "the notification arrived before close");

        n.close(); // the poller is waiting on the connection for the next notification: close cuts that short
        assertTrue(n.stopped(), "the poller thread has ended when close() returns");
        assertFalse(n.live("notifications_test"));

        Notifications.notify(dsl, "notifications_test", "after");
        for (int i = 0; i < 20; i++) { // the aborted connection went out of the pool, never handed out again
            assertEquals(1, dsl.fetchValue("SELECT 1"));
        }
        assertTrue(heard.isEmpty(), "nothing heard after close: " + heard);
    }

    @Test
    void closingRightAfterStartStopsThePoller() {
        Fixtures f = Fixtures.fresh();
        Notifications n = Notifications.start(f.plane.database().dataSource());
        n.close();
        assertTrue(n.stopped(), "the poller thread has ended when close() returns");
        assertEquals(1, f.plane.database().dsl().fetchValue("SELECT 1"));
    }
}
