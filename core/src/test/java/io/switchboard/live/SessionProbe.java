package io.switchboard.live;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;

/** A transport's ear for tests: every output a session sends, and how it closed (at most once, checked). */
final class SessionProbe implements SessionListener {

    static final Duration WAIT = Duration.ofSeconds(60); // a bound for a loaded machine, not a speed assertion

    final List<CallOutput> outputs = new CopyOnWriteArrayList<>();
    final CompletableFuture<Optional<RuntimeException>> closed = new CompletableFuture<>();
    final CompletableFuture<Call> accepted = new CompletableFuture<>();
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public void on(CallOutput output) {
        if (closed.isDone()) {
            throw new AssertionError("output after the session closed: " + output);
        }
        outputs.add(output);
        if (output instanceof CallOutput.Accepted a) {
            accepted.complete(a.call());
        }
    }

    @Override
    public void closed(Optional<RuntimeException> failure) {
        closes.incrementAndGet();
        closed.complete(failure);
    }

    Call accepted() throws Exception {
        return accepted.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    Optional<RuntimeException> awaitClosed() throws Exception {
        return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    RuntimeException awaitFailure() throws Exception {
        return awaitClosed().orElseThrow(() -> new AssertionError("closed without a failure; outputs " + outputs));
    }

    <T extends CallOutput> List<T> of(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (CallOutput o : outputs) {
            if (type.isInstance(o)) {
                out.add(type.cast(o));
            }
        }
        return out;
    }

    /** Waits until the session has handled everything queued so far. */
    static void caughtUp(CallSession s) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (s.pending() > 0) {
            if (System.nanoTime() > until) {
                throw new AssertionError("the session did not catch up within " + WAIT);
            }
            Thread.sleep(5);
        }
    }

    /** The call's row once it is no longer active (a failed stream is told before its call has ended). */
    static Call awaitEnded(CallService calls, Call call) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < until) {
            Call now = calls.find(call.organizationId(), call.id()).orElseThrow();
            if (now.state() != Call.State.ACTIVE) {
                return now;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("call " + call.id() + " still active after " + WAIT);
    }
}
