package io.switchboard.server.grpc;

import io.grpc.stub.StreamObserver;

/** Unary replies: one value, then completion. Failures are thrown and mapped by {@link ApiInterceptor}. */
public final class Replies {

    private Replies() {
    }

    public static <T> void reply(StreamObserver<T> out, T value) {
        out.onNext(value);
        out.onCompleted();
    }
}
