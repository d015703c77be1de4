package io.switchboard.app;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.Wav;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetRecordingUrlRequest;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.PipelineStage;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.v1.TranscriptEvent;
import io.switchboard.sdk.ApiKeyCredentials;

/**
 * {@code ./switchboard call FILE.wav}: plays a WAV file into the API as a live call, in real time, printing
 * live partial and final transcripts; then waits for the worker and prints the transcript, summary and a
 * recording URL. Uses the dev stack's bootstrap key unless SWITCHBOARD_API_KEY is set.
 */
final class CallClient {

    private CallClient() {
    }

    static int run(Path wav, String target, String key, String agentId, boolean fast, PrintStream out) throws Exception {
        byte[] file = Files.readAllBytes(wav);
        Wav.Header header = Wav.parse(file, file.length).orElseThrow(() ->
                new IllegalArgumentException(wav + " is shorter than a WAV header"));
        AudioFormat f = header.format();
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            CallCredentials creds = bearer(key);
            String agent = agentId.isEmpty() ? demoAgent(channel, creds) : agentId;
            var calls = CallServiceGrpc.newStub(channel).withCallCredentials(creds);
            CompletableFuture<Call> ended = new CompletableFuture<>();
            StreamObserver<StreamCallRequest> in = calls.streamCall(new StreamObserver<>() {
                @Override
                public void onNext(StreamCallResponse r) {
                    switch (r.getPayloadCase()) {
                        case ACCEPTED -> out.printf("call %s accepted (agent v%d), streaming %s %s%n",
                                r.getAccepted().getId(), r.getAccepted().getAgentVersion(), f.describe(),
                                fast ? "as fast as possible" : "in real time");
                        case TRANSCRIPT -> print(r.getTranscript(), out);
                        case ENDED -> ended.complete(r.getEnded());
                        default -> { }
                    }
                }

                @Override
                public void onError(Throwable t) {
                    ended.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    ended.completeExceptionally(new IllegalStateException("the stream closed without an end"));
                }
            });
            in.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agent)
                    .setDirection(OpenCall.Direction.DIRECTION_INBOUND).setFromNumber("+14155550123")
                    .setFormat(io.switchboard.v1.AudioFormat.newBuilder()
                            .setEncoding(f.encoding() == AudioFormat.Encoding.MULAW
                                    ? io.switchboard.v1.AudioFormat.Encoding.ENCODING_MULAW
                                    : io.switchboard.v1.AudioFormat.Encoding.ENCODING_PCM16)
                            .setSampleRate(f.sampleRate()).setChannels(f.channels())
                            .setContainer(io.switchboard.v1.AudioFormat.Container.CONTAINER_WAV))).build());
            int frame = f.sampleRate() / 50 * f.bytesPerFrame(); // 20 ms
            long start = System.nanoTime();
            for (int i = 0, n = 0; i < file.length; i += frame, n++) {
                in.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(
                        Arrays.copyOfRange(file, i, Math.min(file.length, i + frame)))).build());
                if (!fast) {
                    long due = start + (n + 1) * 20_000_000L;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            }
            in.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
            in.onCompleted();
            Call call = ended.get(5, TimeUnit.MINUTES);
            Instant hangup = Instant.now();
            out.printf("%ncall ended (%s); waiting for the worker...%n", call.getEndReason());
            var blocking = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            Call done = blocking.getCall(GetCallRequest.newBuilder().setId(call.getId()).build());
            Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
            while (!finished(done) && Instant.now().isBefore(deadline)) {
                Thread.sleep(250);
                done = blocking.getCall(GetCallRequest.newBuilder().setId(call.getId()).build());
            }
            out.printf("pipeline finished %d ms after hang-up:%n", Duration.between(hangup, Instant.now()).toMillis());
            for (PipelineStage s : done.getStagesList()) {
                out.printf("  %-10s %-9s %s%n", s.getName(), s.getState(), s.getDetail());
            }
            out.println("\ntranscript:");
            for (TranscriptEvent e : done.getTranscriptList()) {
                out.printf("  [%s %s] %s%n", e.getSpeaker(), clock(e.getStartOffset()), e.getText());
            }
            out.println("\nsummary (" + done.getSummary().getProvider() + "):\n  " + done.getSummary().getText());
            done.getSummary().getNotProducedMap().forEach((part, why) -> out.printf("  not produced: %s (%s)%n", part, why));
            if (done.hasRecording()) {
                out.printf("%nrecording: %d bytes, sha256 %s%n  %s%n", done.getRecording().getSizeBytes(),
                        done.getRecording().getSha256(), blocking.getRecordingUrl(GetRecordingUrlRequest.newBuilder()
                                .setId(call.getId()).build()).getUrl());
            }
            return finished(done) ? 0 : 1;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static boolean finished(Call c) {
        Set<String> done = Set.of("succeeded", "skipped", "failed");
        return c.getStagesList().stream().anyMatch(s -> s.getName().equals("usage") && done.contains(s.getState()))
                || c.getStagesList().stream().anyMatch(s -> s.getState().equals("failed"));
    }

    private static void print(TranscriptEvent e, PrintStream out) {
        if (e.getIsFinal()) {
            out.printf("\r\033[K[%s %s] %s%n", e.getSpeaker(), clock(e.getStartOffset()), e.getText());
        } else {
            out.printf("\r\033[K  ... %s", e.getText());
        }
        out.flush();
    }

    private static String clock(com.google.protobuf.Duration d) {
        return String.format("%02d:%02d.%d", d.getSeconds() / 60, d.getSeconds() % 60, d.getNanos() / 100_000_000);
    }

    static String demoAgent(ManagedChannel channel, CallCredentials creds) {
        var agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
        return agents.listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList().stream()
                .filter(a -> a.getName().equals("Demo agent")).map(Agent::getId).findFirst()
                .orElseGet(() -> agents.createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder()
                        .setName("Demo agent").setLanguage("en-US")
                        .setSummaryInstructions("Summarise what the caller said in two sentences.")).build()).getId());
    }

    static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }
}
