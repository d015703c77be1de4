package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.switchboard.audio.Wav;
import io.switchboard.sdk.SingleResponse;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetRecordingUrlRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.PipelineStage;
import io.switchboard.v1.UploadRecordingRequest;

/** Calls as the end-to-end and fault tests make them: recordings uploaded, pipelines awaited, audio fetched. */
final class TestCalls {

    private TestCalls() {
    }

    /** An outbound 8 kHz μ-law call to {@code to} on which the agent speaks (the ScriptedCaller's own format). */
    static OpenCall agentSpeaks(String agentId, String to) {
        return OpenCall.newBuilder().setAgentId(agentId).setDirection(OpenCall.Direction.DIRECTION_OUTBOUND)
                .setFromNumber("+14155550100").setToNumber(to).setAgentSpeaks(true)
                .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_MULAW)
                        .setSampleRate(io.switchboard.devtools.ScriptedCaller.RATE).setChannels(1)).build();
    }

    /** A call's turns on one line, for assertion messages. */
    static String turns(Call c) {
        return String.join(" | ", c.getTranscriptList().stream().map(t -> t.getSpeaker() + ": " + t.getText()).toList());
    }

    /** An outbound call of {@code agentId} carrying 16 kHz mono PCM in a WAV container. */
    static OpenCall wav16k(String agentId) {
        return OpenCall.newBuilder().setAgentId(agentId).setDirection(OpenCall.Direction.DIRECTION_OUTBOUND)
                .setFromNumber("+14155550100").setToNumber("+14155550123")
                .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(16_000)
                        .setChannels(1).setContainer(AudioFormat.Container.CONTAINER_WAV)).build();
    }

    /** 16 kHz mono samples as a WAV file. */
    static byte[] wav(short[] samples) {
        byte[] pcm = pcmBytes(samples);
        byte[] header = Wav.header(new io.switchboard.audio.AudioFormat(io.switchboard.audio.AudioFormat.Encoding.PCM16,
                16_000, 1, io.switchboard.audio.AudioFormat.Container.WAV), pcm.length);
        byte[] out = java.util.Arrays.copyOf(header, header.length + pcm.length);
        System.arraycopy(pcm, 0, out, header.length, pcm.length);
        return out;
    }

    static byte[] pcmBytes(short[] s) {
        byte[] b = new byte[s.length * 2];
        for (int i = 0; i < s.length; i++) {
            b[2 * i] = (byte) s[i];
            b[2 * i + 1] = (byte) (s[i] >> 8);
        }
        return b;
    }

    /** Uploads {@code wav} as the recording of a finished call opened by {@code open}; the server's answer. */
    static Call upload(CallServiceGrpc.CallServiceStub calls, OpenCall open, byte[] wav) throws Exception {
        SingleResponse<Call> result = new SingleResponse<>();
        StreamObserver<UploadRecordingRequest> up = calls.uploadRecording(result);
        up.onNext(UploadRecordingRequest.newBuilder().setOpen(open).build());
        for (int i = 0; i < wav.length; i += 32 * 1024) {
            up.onNext(UploadRecordingRequest.newBuilder()
                    .setChunk(ByteString.copyFrom(wav, i, Math.min(32 * 1024, wav.length - i))).build());
        }
        up.onCompleted();
        return result.future().get(60, TimeUnit.SECONDS);
    }

    /** Waits until every stage of the call's pipeline has ended (succeeded, skipped or failed). */
    static Call awaitPipeline(CallServiceGrpc.CallServiceBlockingStub calls, String id, Duration timeout)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        Call c;
        do {
            c = calls.getCall(GetCallRequest.newBuilder().setId(id).build());
            boolean finished = c.getState() != Call.State.STATE_ACTIVE && c.getStagesCount() > 0
                    && c.getStagesList().stream().allMatch(s -> !s.getState().equals("pending") && !s.getState().equals("running"))
                    && c.getStagesList().stream().anyMatch(s -> s.getName().equals("usage"));
            if (finished) {
                return c;
            }
            Thread.sleep(100);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("the pipeline did not finish within " + timeout + ": " + c);
    }

    /** Waits until the call's recording is assembled and stored. */
    static Call awaitRecording(CallServiceGrpc.CallServiceBlockingStub calls, String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        Call c;
        do {
            c = calls.getCall(GetCallRequest.newBuilder().setId(id).build());
            if (c.hasRecording()) {
                return c;
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("no recording: " + c.getStagesList());
    }

    static Map<String, String> stages(Call c) {
        return c.getStagesList().stream().collect(Collectors.toMap(PipelineStage::getName, PipelineStage::getState));
    }

    /** The call's recording, fetched through its presigned URL. */
    static byte[] download(CallServiceGrpc.CallServiceBlockingStub calls, String callId)
            throws IOException, InterruptedException {
        String url = calls.getRecordingUrl(GetRecordingUrlRequest.newBuilder().setId(callId).build()).getUrl();
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        return r.body();
    }

    /** A stream's messages added to {@code into}; {@code done} completes with the stream, or with its error. */
    static <T> StreamObserver<T> collect(java.util.List<T> into, java.util.concurrent.CompletableFuture<Void> done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                into.add(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
    }
}
