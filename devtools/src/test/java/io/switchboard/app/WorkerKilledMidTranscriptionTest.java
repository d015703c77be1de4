package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.calls.CallService;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.TranscriptEvent;
import org.jooq.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's first fault: a worker process is killed with SIGKILL while it transcribes a recording. Another
 * worker must take the job over once the lease runs out and produce exactly what an undisturbed worker
 * produces from the same audio: the same transcript (nothing lost, nothing doubled), one summary, usage
 * counted once, the recording untouched.
 */
class WorkerKilledMidTranscriptionTest {

    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.worker", "false", "dev.softphone.enabled", "false"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void aTranscriptionWhoseWorkerIsKilledIsRedoneByAnotherWithNothingLostOrDoubled() throws Exception {
        String key = TestStacks.organization(channel, stack.operatorKey(), "Initech", "enterprise");
        String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Collections")
                        .setLanguage("en-US")).build()).getId();
        var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        var async = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        byte[] wav = TestCalls.wav(longSpeech(2)); // ~49 s of LibriVox speech: several seconds of decoding
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wav));

        Call victim = TestCalls.upload(async, TestCalls.wav16k(agent), wav);
        WorkerProcess first = WorkerProcess.start(stack, Map.of("worker.lease", LEASE.toString(),
                "worker.concurrency", "1", "worker.poll-interval", "PT1S"));
        try {
            await("the first worker is transcribing", Duration.ofSeconds(90), first,
                    () -> "running".equals(stage(victim.getId(), CallService.TRANSCRIBE_STAGE))
                            && leaseOwner(victim.getId()).contains("/" + first.pid() + "/"));
            Thread.sleep(1500); // well into the audio
            assertEquals("running", stage(victim.getId(), CallService.TRANSCRIBE_STAGE),
                    "still transcribing when killed (the audio is long enough): " + first.log());
            first.kill();
        } finally {
            first.close();
        }
        assertEquals("running", jobColumn(victim.getId(), "state"), "the dead worker still holds the lease");
        assertEquals(0L, count("select count(*) from call_summaries where call_id = ?", victim.getId()));

        // The control: the same audio, transcribed by a worker nobody kills. Both jobs run side by side on fresh
        // decoders, since PocketSphinx's live cepstral mean carries over from one stream to the next on a reused
        // decoder, and a transcript would then depend on what the decoder heard before.
        Call control = TestCalls.upload(async, TestCalls.wav16k(agent), wav);
        try (WorkerProcess second = WorkerProcess.start(stack, Map.of("worker.lease", LEASE.toString(),
                "worker.poll-interval", "PT1S", "worker.concurrency", "2", "transcription.pool-size", "2"))) {
            Call recovered = awaitPipeline(calls, victim.getId(), second);
            Call undisturbed = awaitPipeline(calls, control.getId(), second);

            Map<String, String> succeeded = Map.of("recording", "succeeded", "transcribe", "succeeded",
                    "summarize", "succeeded", "follow_ups", "skipped", "usage", "succeeded");
            assertEquals(succeeded, TestCalls.stages(recovered), second.log());
            assertEquals(succeeded, TestCalls.stages(undisturbed));
            assertEquals("2", jobColumn(victim.getId(), "attempts"), "claimed twice: once by each worker");
            assertEquals("1", jobColumn(control.getId(), "attempts"));

            List<TranscriptEvent> got = recovered.getTranscriptList();
            assertFalse(got.isEmpty(), "the recovered call has a transcript");
            assertEquals(words(undisturbed.getTranscriptList()), words(got),
                    "the same words at the same offsets as a worker that was not killed");
            assertEquals(undisturbed.getTranscriptCount(), count(
                    "select count(*) from transcript_segments where call_id = ?", victim.getId()), "no segment doubled");
            assertEquals(1L, count("select count(*) from call_summaries where call_id = ?", victim.getId()));
            assertEquals(count("select count(*) from usage_records where call_id = ?", control.getId()),
                    count("select count(*) from usage_records where call_id = ?", victim.getId()), "usage counted once");
            assertEquals(count("select coalesce(sum(quantity), 0) from usage_records where call_id = ?", control.getId()),
                    count("select coalesce(sum(quantity), 0) from usage_records where call_id = ?", victim.getId()));
            assertEquals(sha, recovered.getRecording().getSha256());
            assertEquals(sha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(TestCalls.download(calls, victim.getId()))), "the recording is the upload, byte for byte");
        }
    }

    /** The five LibriVox utterances, {@code times} over. */
    static short[] longSpeech(int times) throws Exception {
        List<SpeechAudio.Utterance> u = SpeechAudio.librivox();
        int n = u.stream().mapToInt(x -> x.samples().length).sum();
        short[] out = new short[n * times];
        int at = 0;
        for (int t = 0; t < times; t++) {
            for (SpeechAudio.Utterance x : u) {
                System.arraycopy(x.samples(), 0, out, at, x.samples().length);
                at += x.samples().length;
            }
        }
        return out;
    }

    private static List<String> words(List<TranscriptEvent> segments) {
        return segments.stream().map(s -> s.getChannel() + " " + s.getStartOffset().getSeconds() + "."
                + s.getStartOffset().getNanos() / 1_000_000 + " " + s.getText()).toList();
    }

    private static Call awaitPipeline(CallServiceGrpc.CallServiceBlockingStub calls, String id, WorkerProcess w)
            throws InterruptedException {
        try {
            return TestCalls.awaitPipeline(calls, id, Duration.ofSeconds(120));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nworker log:\n" + w.log(), e);
        }
    }

    private static String stage(String callId, String stage) {
        return stack.db().dsl().fetchOptional("select state::text from call_stages where call_id = ?::uuid and stage = ?",
                callId, stage).map(r -> r.get(0, String.class)).orElse("");
    }

    private static String leaseOwner(String callId) {
        return jobColumn(callId, "coalesce(lease_owner, '')");
    }

    private static String jobColumn(String callId, String column) {
        Record r = stack.db().dsl().fetchOne("select " + column + "::text from jobs where kind = ? and payload->>'call_id' = ?",
                CallService.PIPELINE_JOB, callId);
        return r == null ? "" : r.get(0, String.class);
    }

    private static long count(String sql, String callId) {
        return ((Number) stack.db().dsl().fetchValue(sql.replace("= ?", "= ?::uuid"), callId)).longValue();
    }

    private static void await(String what, Duration timeout, WorkerProcess w, BooleanSupplier condition)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline) || !w.isAlive()) {
                throw new AssertionError("timed out waiting until " + what + "; worker log:\n" + w.log());
            }
            Thread.sleep(50);
        }
    }
}
