package io.switchboard.app;

import java.util.concurrent.CompletableFuture;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;

/**
 * One live call carrying a 440 Hz tone (16 kHz PCM) in 100 ms frames, for the storage fault tests that count
 * bytes rather than words; {@link #ended} completes with the call's end or the stream's error.
 */
final class ToneCall {

    static final int RATE = 16_000;
    /** The caller's hang-up message. */
    static final StreamCallRequest END = StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build();

    final CompletableFuture<Call> accepted = new CompletableFuture<>();
    final CompletableFuture<Call> ended = new CompletableFuture<>();
    /** The stream's own end: OK when the server completed it, else the status it failed with. */
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final StreamObserver<StreamCallRequest> in;
    /** Bytes of audio sent so far. */
    long sent;

    ToneCall(CallServiceGrpc.CallServiceStub calls, String agentId) {
        this(calls, agentId, "");
    }

    /** An inbound call from {@code fromNumber} (empty: none). */
    ToneCall(CallServiceGrpc.CallServiceStub calls, String agentId, String fromNumber) {
        in = calls.streamCall(new StreamObserver<>() {
            @Override
            public void onNext(StreamCallResponse r) {
                if (r.hasAccepted()) {
                    accepted.complete(r.getAccepted());
                } else if (r.hasEnded()) {
                    ended.complete(r.getEnded());
                }
            }

            @Override
            public void onError(Throwable t) {
                accepted.completeExceptionally(t);
                ended.completeExceptionally(t);
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.completeExceptionally(new IllegalStateException("completed without an end"));
                closed.complete(Status.OK);
            }
        });
        in.onNext(open(agentId, fromNumber));
    }

    /** The first message of an inbound call from {@code fromNumber} (empty: none) carrying 16 kHz PCM. */
    static StreamCallRequest open(String agentId, String fromNumber) {
        return StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agentId)
                .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFromNumber(fromNumber).setFormat(AudioFormat.newBuilder()
                        .setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(RATE).setChannels(1))).build();
    }

    /** 100 ms of the tone, as an audio message, for a call that has sent {@code sent} bytes of it so far. */
    static StreamCallRequest tone(long sent) {
        byte[] frame = new byte[RATE / 10 * 2];
        for (int i = 0; i < frame.length / 2; i++) {
            short v = (short) (3000 * Math.sin(2 * Math.PI * 440 * (sent / 2 + i) / RATE));
            frame[2 * i] = (byte) v;
            frame[2 * i + 1] = (byte) (v >> 8);
        }
        return StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(frame)).build();
    }

    /** Sends {@code s} seconds of audio at once (faster than real time). */
    void seconds(double s) {
        StreamCallRequest frame = tone(sent);
        for (int k = 0; k < s * 10; k++) {
            in.onNext(frame);
            sent += frame.getAudio().size();
        }
    }

    void end() {
        endMessage();
        halfClose();
    }

    /** The end message alone: the client's half of the stream stays open, for the server to end the call. */
    void endMessage() {
        send(END);
    }

    /** Sends {@code message} as it is (a malformed one included). */
    void send(StreamCallRequest message) {
        in.onNext(message);
    }

    void halfClose() {
        in.onCompleted();
    }
}
