package io.switchboard.server.calls;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.switchboard.v1.CallEvent;

/**
 * One {@code WatchCall} stream: the events waiting for it, at most {@code maxBacklog}, and the virtual thread that
 * writes them to the client (a client that reads slowly blocks only this thread). A watcher that falls further
 * behind is cut off with RESOURCE_EXHAUSTED rather than allowed to hold an unbounded amount of memory.
 */
final class Watcher {

    /** What ends the stream: completion (status null) or an error. */
    private record End(Status status) {
    }

    private final StreamObserver<CallEvent> out;
    private final int maxBacklog;
    private final BlockingQueue<Object> queue;
    private final Thread writer;
    private volatile boolean ended; // nothing more is accepted

    Watcher(StreamObserver<CallEvent> out, int maxBacklog) {
        this.out = out;
        this.maxBacklog = maxBacklog;
        this.queue = new ArrayBlockingQueue<>(maxBacklog + 1); // + the end
        this.writer = Thread.ofVirtual().name("call-watcher").start(this::write);
    }

    /** Queues {@code event}; false if the watcher has ended, or has just been cut off for falling behind. */
    synchronized boolean offer(CallEvent event) {
        if (ended) {
            return false;
        }
        if (queue.size() >= maxBacklog) {
            queue.clear();
            end(Status.RESOURCE_EXHAUSTED.withDescription("this watcher fell " + maxBacklog + " events behind the"
                    + " call and was cut off; read faster, or watch again (a new watch starts at the call's live edge;"
                    + " GetCall returns the whole transcript once the call has ended)"));
            return false;
        }
        queue.add(event);
        return true;
    }

    /** Sends what is queued, then ends the stream with {@code status} (OK completes it). */
    synchronized void end(Status status) {
        if (!ended) {
            ended = true;
            queue.add(new End(status.isOk() ? null : status));
        }
    }

    /** The client went away: drop what is queued and stop. */
    void cancel() {
        synchronized (this) {
            ended = true;
            queue.clear();
        }
        writer.interrupt();
    }

    boolean ended() {
        return ended;
    }

    private void write() {
        try {
            while (true) {
                Object next = queue.take();
                if (next instanceof End e) {
                    if (e.status() == null) {
                        out.onCompleted();
                    } else {
                        out.onError(e.status().asRuntimeException());
                    }
                    return;
                }
                out.onNext((CallEvent) next);
            }
        } catch (InterruptedException e) {
            // cancelled
        } catch (RuntimeException e) {
            // the stream was closed under us (the client cancelled): nothing more to write
            synchronized (this) {
                ended = true;
                queue.clear();
            }
        }
    }
}
