package io.switchboard.app;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.app.cli.Cli;
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
 * {@code ./switchboard demo-call FILE.wav}: plays a WAV file into the API as a live call, in real time, printing
 * live partial and final transcripts; then waits for the worker and prints the transcript, summary and a
 * recording URL. Uses the dev stack's bootstrap key unless SWITCHBOARD_API_KEY is set.
 */
final class CallClient {

    private CallClient() {
    }

    /** {@code demo-call FILE.wav [--agent ID] [--fast] [--target HOST:PORT]}, as {@link Main}'s table runs it. */
    static int command(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Deque<String> args = new ArrayDeque<>(argv);
        Path file = null;
        String agent = "";
        String target = "127.0.0.1:50051";
        boolean fast = false;
        while (!args.isEmpty()) {
            String a = args.pop();
            switch (a) {
                case "--agent" -> agent = args.isEmpty() ? "" : args.pop();
                case "--target" -> target = args.isEmpty() ? target : args.pop();
                case "--fast" -> fast = true;
                default -> file = Path.of(a);
            }
        }
        if (file == null || !Files.isRegularFile(file)) {
            throw new Command.Failed("demo-call needs a WAV file: ./switchboard demo-call FILE.wav"
                    + (file == null ? "" : " (no file at " + file + ")"));
        }
        return run(file, target, apiKey(), agent, fast, out, err);
    }

    /** SWITCHBOARD_API_KEY, else the dev stack's bootstrap key in this directory (as the scripting client). */
    static String apiKey() {
        return Cli.apiKey(Optional.empty(), System.getenv(), Path.of("")).orElseThrow(() -> new Command.Failed(
                "no API key: set SWITCHBOARD_API_KEY, or start `./switchboard dev` in this directory first"));
    }

    /** How far a call got, for saying what became of it when the server goes away. */
    private enum Phase { CONNECTING, STREAMING, HUNG_UP }

    /**
     * Streams the call and reports on it. A refusal, or a server that goes away (UNAVAILABLE, a connection
     * reset), is told on {@code err} in words, with what the platform keeps of the call, never as a stack trace.
     *
     * @return 0 when the pipeline finished, 1 otherwise
     */
    static int run(Path wav, String target, String key, String agentId, boolean fast, PrintStream out, PrintStream err)
            throws java.io.IOException, InterruptedException {
        byte[] file = Files.readAllBytes(wav);
        Wav.Header header = Wav.parse(file, file.length).orElseThrow(() ->
                new IllegalArgumentException(wav + " is shorter than a WAV header"));
        AudioFormat f = header.format();
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        AtomicReference<String> callId = new AtomicReference<>("");
        Phase phase = Phase.CONNECTING;
        long sentMs = 0;
        try {
            CallCredentials creds = bearer(key);
            String agent = agentId.isEmpty() ? demoAgent(channel, creds) : agentId;
            var calls = CallServiceGrpc.newStub(channel).withCallCredentials(creds);
            CompletableFuture<Call> ended = new CompletableFuture<>();
            StreamObserver<StreamCallRequest> in = calls.streamCall(new StreamObserver<>() {
                @Override
                public void onNext(StreamCallResponse r) {
                    switch (r.getPayloadCase()) {
                        case ACCEPTED -> {
                            callId.set(r.getAccepted().getId());
                            out.printf("call %s accepted (agent v%d), streaming %s %s%n",
                                    r.getAccepted().getId(), r.getAccepted().getAgentVersion(), f.describe(),
                                    fast ? "as fast as possible" : "in real time");
                        }
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
                    ended.completeExceptionally(Status.UNAVAILABLE
                            .withDescription("the server closed the stream without ending the call").asRuntimeException());
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
            phase = Phase.STREAMING;
            int frame = f.sampleRate() / 50 * f.bytesPerFrame(); // 20 ms
            long start = System.nanoTime();
            for (int i = 0, n = 0; i < file.length && !ended.isDone(); i += frame, n++) {
                in.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(
                        Arrays.copyOfRange(file, i, Math.min(file.length, i + frame)))).build());
                sentMs = (n + 1) * 20L;
                if (!fast) {
                    long due = start + (n + 1) * 20_000_000L;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            }
            if (!ended.isDone()) {
                in.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
                in.onCompleted();
            }
            Call call = ended.get(5, TimeUnit.MINUTES);
            phase = Phase.HUNG_UP;
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
        } catch (StatusRuntimeException e) {
            explain(e.getStatus(), phase, callId.get(), sentMs, target, err);
            return 1;
        } catch (ExecutionException e) {
            explain(Status.fromThrowable(e.getCause()), phase, callId.get(), sentMs, target, err);
            return 1;
        } catch (TimeoutException e) {
            err.printf("%ncall %s: no end from the server within 5 minutes of hanging up; "
                    + "see ./switchboard calls get %s%n", callId.get(), callId.get());
            return 1;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Says, in words, what went wrong and what the platform keeps of the call. */
    static void explain(Status status, Phase phase, String callId, long sentMs, String target, PrintStream err) {
        String what = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription())
                + (status.getCause() == null || status.getCause().getMessage() == null ? ""
                        : " (" + status.getCause().getMessage() + ")");
        boolean gone = status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.CANCELLED
                || status.getCode() == Status.Code.INTERNAL && String.valueOf(status.getDescription()).contains("RST");
        err.println();
        if (phase == Phase.CONNECTING || callId.isEmpty()) {
            err.println(gone ? "no call was made: the server at " + target + " cannot be reached (" + what + ")"
                    : "the call was refused: " + what);
            return;
        }
        if (phase == Phase.HUNG_UP) {
            err.printf("call %s ended and is stored, but the server went away while this client waited for the "
                    + "pipeline (%s).%nThe workers process the call without this client: ./switchboard calls get %s%n",
                    callId, what, callId);
            return;
        }
        if (!gone) {
            err.printf("call %s was ended by the server %.1f s into the audio: %s%n"
                    + "The audio it received is stored and goes through the pipeline: ./switchboard calls get %s%n",
                    callId, sentMs / 1000.0, what, callId);
            return;
        }
        err.printf("""
                call %s lost %.1f s into the audio: the server went away (%s).
                What the platform keeps of it: the audio the server received, written to the object store in
                5-second segments as it arrived (if the server itself stopped, at most its last 5 seconds are lost).
                The call ends as FAILED, at once if the server is still running, else when a worker's abandoned-call
                sweep finds it silent (worker.abandoned-call-after, 2 minutes); then its recording, transcript and
                summary are made as for any call. Follow it: ./switchboard calls get %s
                """, callId, sentMs / 1000.0, what, callId);
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
                        .setVoicemailMessage("Hi {{first_name}}, this is the Switchboard demo calling. Please call us back.")
                        .setSummaryInstructions("Summarise what the caller said in two sentences.")).build()).getId());
    }

    static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }
}
