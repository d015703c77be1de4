package io.switchboard.sdk;

import java.util.concurrent.CompletableFuture;

import io.grpc.stub.StreamObserver;

/**
 * The response observer of a client-streaming RPC (ImportContacts, UploadRecording) as a future:
 * {@code var r = new SingleResponse<Call>(); var up = calls.uploadRecording(r); ...; up.onCompleted(); r.future().get()}.
 * An error status completes the future exceptionally; a stream that ends without a response completes it with null.
 */
public final class SingleResponse<T> implements StreamObserver<T> {

    private final CompletableFuture<T> future = new CompletableFuture<>();

    public CompletableFuture<T> future() {
        return future;
    }

    @Override
    public void onNext(T value) {
        future.complete(value);
    }

    @Override
    public void onError(Throwable t) {
        future.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
        future.complete(null); // no-op when the response came first
    }
}
