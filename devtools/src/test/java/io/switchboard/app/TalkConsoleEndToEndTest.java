package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.audio.Wav;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.TranscriptEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Talk to this agent" in a real browser: Debian's headless Chromium, driven by console/e2e/talk.e2e.mjs through
 * playwright-core, opens the console's agent page and talks to a flow agent with a fake microphone
 * ({@code --use-file-for-fake-audio-capture}) whose WAV answers the agent's two questions in espeak-ng's voice at
 * 48 kHz, as a laptop's microphone runs: the page's AudioWorklet resamples it to 16 kHz, plays the agent and echoes
 * its marks. The call the page links to must keep what the WAV said: both variables, and the caller's turns.
 */
class TalkConsoleEndToEndTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path CONSOLE = REPO.resolve("console");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(180);
    private static final int MIC_RATE = 48_000;

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "transcription.pool-size", "2",
                "calls.idle-timeout", "PT20S"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void aPersonTalksToAFlowAgentFromTheAgentPageAndTheCallKeepsWhatTheySaid() throws Exception {
        Path playwright = CONSOLE.resolve("node_modules/playwright-core");
        if (!Files.isDirectory(playwright)) {
            fail("the console's npm packages are missing (" + playwright + "): run 'cd console && npm ci'");
        }
        if (!Files.isExecutable(CHROMIUM)) {
            fail(CHROMIUM + " is missing: run ./switchboard setup (installs Debian's chromium)");
        }
        String key = TestStacks.organization(channel, stack.operatorKey(), "Clinic", "growth");
        String agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(TestAgents.appointments("Appointments")).build()).getId();

        // the microphone from the moment the page opens it: quiet through the greeting and the first question
        // (about 6 s of Flite), "yes", quiet through the second question, "three" (through the page, PocketSphinx
        // hears "three people" as "really cool"), then quiet to the goodbye
        Path wav = home.resolve("microphone.wav");
        Files.write(wav, wav(concat(silence(8_500), says("yes"), silence(7_000), says("three"), silence(40_000))));

        Path shots = Path.of("target", "talk-screenshots").toAbsolutePath();
        // the script's output goes to a file, read once it exits: no thread of this JVM blocks on the pipe (a
        // CompletableFuture.supplyAsync reading it took the common pool's only worker on a 2-core machine, and the
        // object store's client, which runs its uploads there, stalled the call until the browser went away)
        Path log = home.resolve("talk.e2e.log");
        ProcessBuilder node = new ProcessBuilder("node", "e2e/talk.e2e.mjs").directory(CONSOLE.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        node.environment().putAll(Map.of(
                "SWITCHBOARD_URL", "http://127.0.0.1:" + stack.server().port(),
                "SWITCHBOARD_API_KEY", key,
                "SWITCHBOARD_AGENT_ID", agentId,
                "FAKE_MIC_WAV", wav.toString(),
                "SCREENSHOT_DIR", shots.toString(),
                "CHROMIUM", CHROMIUM.toString()));
        Process p = node.start();
        boolean exited = p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(out);
        assertTrue(exited, "the browser test did not finish within " + SCRIPT_TIMEOUT + ":\n" + out);
        assertEquals(0, p.exitValue(), "the browser test failed:\n" + out);
        Matcher id = Pattern.compile("CALL_ID=([0-9a-f-]{36})").matcher(out);
        assertTrue(id.find(), out);

        CallServiceGrpc.CallServiceBlockingStub calls = CallServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(TestStacks.bearer(key));
        Call done = TestCalls.awaitPipeline(calls, id.group(1), Duration.ofSeconds(120));
        assertEquals("agent hung up: confirmed", done.getEndReason(), out);
        assertEquals(Map.of("coming", "true", "people", "3"), done.getSummary().getVariablesMap(), out);
        List<String> caller = done.getTranscriptList().stream().filter(t -> t.getSpeaker().equals("customer"))
                .map(TranscriptEvent::getText).toList();
        assertTrue(caller.stream().anyMatch(t -> t.contains("yes")) && caller.stream().anyMatch(t -> t.contains("three")),
                "the caller's turns are what the microphone said: " + caller);
        assertTrue(done.getTranscriptList().stream().anyMatch(t -> t.getSpeaker().equals("agent")
                && t.getText().equals("Thank you, see you tomorrow.")), done.getTranscriptList().toString());
        assertTrue(Files.size(shots.resolve("talk-ended.png")) > 10_000, "screenshot");
    }

    private static short[] says(String text) throws Exception {
        return SpeechAudio.pcm16(SpeechAudio.espeak(home, text, MIC_RATE));
    }

    private static short[] silence(int ms) {
        return new short[MIC_RATE / 1000 * ms];
    }

    private static byte[] wav(short[] samples) {
        byte[] pcm = TestCalls.pcmBytes(samples);
        byte[] header = Wav.header(new io.switchboard.audio.AudioFormat(io.switchboard.audio.AudioFormat.Encoding.PCM16,
                MIC_RATE, 1, io.switchboard.audio.AudioFormat.Container.WAV), pcm.length);
        byte[] out = java.util.Arrays.copyOf(header, header.length + pcm.length);
        System.arraycopy(pcm, 0, out, header.length, pcm.length);
        return out;
    }

    private static short[] concat(short[]... parts) {
        return TalkSocket.concat(parts);
    }
}
