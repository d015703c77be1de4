package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.ListCallsRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's disk-full fault: the embedded S3 store keeps its objects on a real, small filesystem (a 6 MiB
 * tmpfs) that the test fills to the last byte. The store then answers writes with errors, as MinIO on a full
 * disk does. Nothing acknowledged may be lost: a live call's audio waits in its buffer and is stored once
 * space returns; an upload that cannot be stored is refused with UNAVAILABLE and its call ends FAILED saying why;
 * recordings stored before the disk filled read back byte for byte.
 */
class ObjectStoreDiskFullTest {

    @TempDir
    static Path home;
    private static Path objects;
    private static boolean mounted;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static CallServiceGrpc.CallServiceStub calls;
    private static CallServiceGrpc.CallServiceBlockingStub blocking;
    private static String agent;

    @BeforeAll
    static void start() throws Exception {
        objects = Files.createDirectories(home.resolve("objects"));
        run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", objects.toString());
        mounted = true;
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "calls.store-grace", "PT20S",
                "transcription.pool-size", "2"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
        String key = TestStacks.organization(channel, stack.operatorKey(), "Full", "growth");
        agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key)).createAgent(
                CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("A").setLanguage("en-US")).build()).getId();
        calls = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        blocking = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            TestStacks.stop(channel, stack);
        } finally {
            if (mounted) {
                run("umount", objects.toString());
            }
        }
    }

    @Test
    void aFullDiskDelaysOrRefusesWritesButLosesNothing() throws Exception {
        byte[] earlier = TestCalls.wav(SpeechAudio.librivox().get(1).samples());
        Call before = TestCalls.upload(calls, TestCalls.wav16k(agent), earlier);
        TestCalls.awaitPipeline(blocking, before.getId(), java.time.Duration.ofSeconds(90));

        Path filler = objects.resolve("filler");
        fill(filler);
        try {
            // an upload while the disk is full: refused as retryable; its call is on record as failed, saying why
            var refused = assertThrows(ExecutionException.class,
                    () -> TestCalls.upload(calls, TestCalls.wav16k(agent), earlier));
            Status status = Status.fromThrowable(refused.getCause());
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), String.valueOf(status));
            Call failed = blocking.listCalls(ListCallsRequest.newBuilder().setPageSize(100).build()).getCallsList()
                    .stream().filter(c -> !c.getId().equals(before.getId())).findFirst().orElseThrow();
            assertEquals(Call.State.STATE_FAILED, failed.getState());
            assertTrue(failed.getEndReason().contains("object storage is unavailable"), failed.getEndReason());

            // a live call while the disk is full: its audio waits in the stream's buffer
            ToneCall live = new ToneCall(calls, agent);
            String id = live.accepted.get(10, TimeUnit.SECONDS).getId();
            live.seconds(12); // two 5 s segments that cannot be written
            Thread.sleep(2000);
            Files.delete(filler); // an operator frees space
            live.seconds(2);
            live.end();
            Call ended = live.ended.get(60, TimeUnit.SECONDS);
            assertEquals(Call.State.STATE_ENDED, ended.getState(), ended.getEndReason());
            Call stored = TestCalls.awaitRecording(blocking, id);
            assertEquals(44 + live.sent, stored.getRecording().getSizeBytes(), "every byte sent is in the recording");
        } finally {
            Files.deleteIfExists(filler);
        }
        assertArrayEquals(earlier, TestCalls.download(blocking, before.getId()),
                "a recording stored before the disk filled reads back byte for byte");
    }

    /** Writes {@code file} until the filesystem refuses another byte. */
    private static void fill(Path file) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        long free = Files.getFileStore(file).getUsableSpace();
        assertTrue(free < block.length, "the store's disk is full (" + free + " bytes free)");
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (this test mounts a small tmpfs to fill,"
                    + " which needs root, as CI runs): " + out);
        }
    }

}
