package io.switchboard.server.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.switchboard.v1.CallEvent;
import io.switchboard.v1.TranscriptEvent;
import org.junit.jupiter.api.Test;

class WatcherTest {

    /** A client that reads nothing until let go, then records what it got. */
    private static final class StuckClient implements StreamObserver<CallEvent> {
        final CountDownLatch letGo = new CountDownLatch(1);
        final List<CallEvent> got = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> end = new CompletableFuture<>();

        @Override
        public void onNext(CallEvent e) {
            try {
                letGo.await();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            got.add(e);
        }

        @Override
        public void onError(Throwable t) {
            end.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            end.complete(Status.OK);
        }
    }

    private static CallEvent said(int n) {
        return CallEvent.newBuilder().setTranscript(TranscriptEvent.newBuilder().setText("word " + n)).build();
    }

    @Test
    void aWatcherThatFallsTooFarBehindIsCutOffWithResourceExhaustedInsteadOfGrowing() throws Exception {
        StuckClient client = new StuckClient();
        Watcher w = new Watcher(client, 4);
        int accepted = 0;
        for (int i = 0; i < 100; i++) {
            if (w.offer(said(i))) {
                accepted++;
            }
        }
        assertTrue(accepted <= 5, "at most the bound (and the one being written) is held: " + accepted);
        assertTrue(w.ended());
        assertFalse(w.offer(said(100)), "nothing more is taken after the cut");

        client.letGo.countDown();
        Status status = client.end.get(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertTrue(status.getDescription().contains("fell 4 events behind"), status.getDescription());
        assertTrue(client.got.size() <= 1, "what was queued is dropped, not sent late: " + client.got.size());
    }

    @Test
    void aWatcherThatKeepsUpGetsEveryEventInOrderThenTheEnd() throws Exception {
        StuckClient client = new StuckClient();
        client.letGo.countDown();
        Watcher w = new Watcher(client, 4);
        for (int i = 0; i < 50; i++) {
            assertTrue(w.offer(said(i)), "a client that reads is not cut off");
            while (client.got.size() < i + 1) {
                Thread.sleep(1);
            }
        }
        w.end(Status.OK);
        assertEquals(Status.OK, client.end.get(10, TimeUnit.SECONDS));
        for (int i = 0; i < 50; i++) {
            assertEquals("word " + i, client.got.get(i).getTranscript().getText());
        }
    }
}
