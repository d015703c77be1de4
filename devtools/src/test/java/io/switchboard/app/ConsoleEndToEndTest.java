package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console in a real browser against the real dev stack: a Node script (console/e2e/console.e2e.mjs)
 * drives Debian's headless Chromium through playwright-core — sign in, create an agent and a campaign, import
 * contacts, follow a live call, open a processed call (transcript, summary, recording), retention, audit,
 * usage — and saves screenshots of the main pages in {@code target/console-screenshots}. The calls it opens
 * are real: speech streamed over gRPC and processed by the worker, as a telephony bridge would send it.
 */
class ConsoleEndToEndTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path CONSOLE = REPO.resolve("console");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        // no softphone: a started campaign is not dialled, so the browser's campaign makes no calls of its own
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "transcription.pool-size", "2"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void aPersonSignsInManagesAgentsCampaignsAndContactsAndReviewsACallInTheBrowser() throws Exception {
        Path playwright = CONSOLE.resolve("node_modules/playwright-core");
        if (!Files.isDirectory(playwright)) {
            fail("the console's npm packages are missing (" + playwright + "): run ./switchboard test, which runs npm ci"
                    + " in console/, or 'cd console && npm ci'");
        }
        if (!Files.isExecutable(CHROMIUM)) {
            fail(CHROMIUM + " is missing: run ./switchboard setup (installs Debian's chromium)");
        }
        String key = TestStacks.organization(channel, stack.operatorKey(), "Console", "growth");
        String agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Clinic reminders")
                        .setLanguage("en-US")).build()).getId();
        CallServiceGrpc.CallServiceStub calls = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));

        // a processed two-speaker call: the agent (espeak-ng) on the left channel, the customer (LibriVox) on the right
        short[] agentSays = SpeechAudio.pcm16(SpeechAudio.espeak(home, "good morning this is the clinic calling about your"
                + " appointment on friday", 16_000));
        short[] customerSays = SpeechAudio.librivox().get(3).samples();
        int gap = 16_000 / 2;
        short[] left = java.util.Arrays.copyOf(agentSays, agentSays.length + gap + customerSays.length);
        short[] right = new short[left.length];
        System.arraycopy(customerSays, 0, right, agentSays.length + gap, customerSays.length);
        Call processed = stream(calls, agentId, stereo(left, right), 2, Duration.ZERO).get(60, TimeUnit.SECONDS);
        Call done = TestCalls.awaitPipeline(CallServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(TestStacks.bearer(key)), processed.getId(), Duration.ofSeconds(60));
        assertTrue(done.getTranscriptCount() > 0 && !done.getSummary().getText().isBlank(), "processed: " + done);

        // a live call that goes on while the browser watches it, at the pace of a phone line
        short[] longer = concat(SpeechAudio.librivox().get(1).samples(), SpeechAudio.librivox().get(4).samples(),
                SpeechAudio.librivox().get(2).samples());
        CompletableFuture<String> liveId = new CompletableFuture<>();
        CompletableFuture<Call> live = stream(calls, agentId, TestCalls.pcmBytes(longer), 1, Duration.ofMillis(20), liveId);

        Path shots = Path.of("target", "console-screenshots").toAbsolutePath();
        ProcessBuilder node = new ProcessBuilder("node", "e2e/console.e2e.mjs").directory(CONSOLE.toFile())
                .redirectErrorStream(true);
        node.environment().putAll(Map.of(
                "SWITCHBOARD_URL", "http://127.0.0.1:" + stack.server().port(),
                "SWITCHBOARD_API_KEY", key,
                "SWITCHBOARD_CALL_ID", done.getId(),
                "SWITCHBOARD_LIVE_CALL_ID", liveId.get(10, TimeUnit.SECONDS),
                "SCREENSHOT_DIR", shots.toString(),
                "CHROMIUM", CHROMIUM.toString()));
        Process p = node.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        boolean exited = p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String out = output.get(10, TimeUnit.SECONDS);
        System.out.println(out);
        assertTrue(exited, "the browser test did not finish within " + SCRIPT_TIMEOUT + ":\n" + out);
        assertEquals(0, p.exitValue(), "the browser test failed:\n" + out);
        live.get(60, TimeUnit.SECONDS);
        for (String page : List.of("03-agent-saved", "04-contacts-import", "05-campaign", "07-call", "08-retention", "09-audit",
                "10-usage")) {
            assertTrue(Files.size(shots.resolve(page + ".png")) > 10_000, "screenshot " + page);
        }
    }

    private static CompletableFuture<Call> stream(CallServiceGrpc.CallServiceStub calls, String agentId, byte[] pcm,
                                                  int channels, Duration pace) {
        return stream(calls, agentId, pcm, channels, pace, new CompletableFuture<>());
    }

    /** Streams PCM16 16 kHz audio as a live call in 20 ms frames, {@code pace} apart; completes with the ended call. */
    private static CompletableFuture<Call> stream(CallServiceGrpc.CallServiceStub calls, String agentId, byte[] pcm,
                                                  int channels, Duration pace, CompletableFuture<String> accepted) {
        CompletableFuture<Call> ended = new CompletableFuture<>();
        StreamObserver<StreamCallRequest> out = calls.streamCall(new StreamObserver<>() {
            @Override
            public void onNext(StreamCallResponse r) {
                if (r.hasAccepted()) {
                    accepted.complete(r.getAccepted().getId());
                } else if (r.hasEnded()) {
                    ended.complete(r.getEnded());
                }
            }

            @Override
            public void onError(Throwable t) {
                accepted.completeExceptionally(t);
                ended.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                ended.completeExceptionally(new AssertionError("the stream closed without an ended call"));
            }
        });
        Thread.ofVirtual().start(() -> {
            try {
                out.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agentId)
                        .setDirection(OpenCall.Direction.DIRECTION_OUTBOUND).setFromNumber("+14155550100")
                        .setToNumber("+14155550123").setFormat(AudioFormat.newBuilder()
                                .setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(16_000).setChannels(channels)))
                        .build());
                int frame = 640 * channels; // 20 ms
                for (int i = 0; i < pcm.length; i += frame) {
                    out.onNext(StreamCallRequest.newBuilder()
                            .setAudio(ByteString.copyFrom(pcm, i, Math.min(frame, pcm.length - i))).build());
                    if (!pace.isZero()) {
                        Thread.sleep(pace);
                    }
                }
                out.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
                out.onCompleted();
            } catch (RuntimeException | InterruptedException e) {
                out.onError(e);
                ended.completeExceptionally(e);
            }
        });
        return ended;
    }

    private static byte[] stereo(short[] left, short[] right) {
        byte[] b = new byte[left.length * 4];
        for (int i = 0; i < left.length; i++) {
            b[4 * i] = (byte) left[i];
            b[4 * i + 1] = (byte) (left[i] >> 8);
            b[4 * i + 2] = (byte) right[i];
            b[4 * i + 3] = (byte) (right[i] >> 8);
        }
        return b;
    }

    private static short[] concat(short[]... parts) {
        int n = 0;
        for (short[] p : parts) {
            n += p.length;
        }
        short[] all = new short[n];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
