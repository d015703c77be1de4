package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.GetContactRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's database fault: PostgreSQL is stopped (a fast shutdown, every connection cut) and started again
 * while clients write and read through the API and the worker pool processes calls. Every request either
 * succeeds or is refused with UNAVAILABLE (retryable), never INTERNAL; every write the API acknowledged is
 * there afterwards; the API and the workers recover by themselves, without a restart of their own.
 */
class PostgresRestartTest {

    private static final Duration DOWN = Duration.ofSeconds(4);

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "worker.poll-interval", "PT1S",
                "db.connection-timeout", "PT1S"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void aDatabaseRestartUnderLoadLosesNothingAcknowledgedAndEveryFailureIsRetryable() throws Exception {
        String key = TestStacks.organization(channel, stack.operatorKey(), "Umbrella", "enterprise");
        var contacts = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        var async = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Claims")
                        .setLanguage("en-US")).build()).getId();
        byte[] wav = TestCalls.wav(SpeechAudio.librivox().get(0).samples());

        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
        AtomicLong attempts = new AtomicLong();
        AtomicLong succeeded = new AtomicLong();
        AtomicReference<Instant> lastSuccess = new AtomicReference<>(Instant.now());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong numbers = new AtomicLong(1_000_000);
        ExecutorService clients = Executors.newFixedThreadPool(3);
        List<Future<?>> load = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            load.add(clients.submit(() -> {
                while (running.get()) {
                    attempts.incrementAndGet();
                    try {
                        Contact c = contacts.withDeadlineAfter(30, TimeUnit.SECONDS).createContact(
                                CreateContactRequest.newBuilder().setDefaultRegion("US").setContact(Contact.newBuilder()
                                        .setPhoneNumber("+1415" + (2_000_000 + numbers.incrementAndGet() % 7_000_000))).build());
                        acknowledged.add(c.getId());
                        contacts.withDeadlineAfter(30, TimeUnit.SECONDS).getContact(GetContactRequest.newBuilder()
                                .setId(c.getId()).build());
                        succeeded.incrementAndGet();
                        lastSuccess.set(Instant.now());
                    } catch (StatusRuntimeException e) {
                        refusals.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }

        List<String> beforeCalls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            beforeCalls.add(TestCalls.upload(async, TestCalls.wav16k(agent), wav).getId());
        }
        Thread.sleep(1000);
        long okBefore = succeeded.get();
        assertTrue(okBefore > 0, "the load runs before the fault: " + refusals);
        refusals.clear();

        stack.embedded().stopPostgres();
        Instant stopped = Instant.now();
        Thread.sleep(DOWN.toMillis());
        stack.embedded().startPostgres();
        Instant restarted = Instant.now();

        Instant deadline = restarted.plusSeconds(60);
        while (!lastSuccess.get().isAfter(restarted.plusSeconds(1)) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        Duration recovery = Duration.between(restarted, lastSuccess.get());
        Thread.sleep(1000); // a while of normal service after recovery
        running.set(false);
        for (Future<?> f : load) {
            f.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();
        assertTrue(lastSuccess.get().isAfter(restarted), "the API recovered by itself; refusals: " + refusals);

        List<String> wrongCodes = refusals.stream().filter(r -> !r.startsWith(Status.Code.UNAVAILABLE + ":")).toList();
        assertEquals(List.of(), wrongCodes, "every refusal during the outage is UNAVAILABLE");
        assertTrue(!refusals.isEmpty(), "the outage was felt (" + attempts + " attempts)");

        for (String id : acknowledged) {
            assertEquals(id, contacts.getContact(GetContactRequest.newBuilder().setId(id).build()).getId(),
                    "an acknowledged contact survived the restart");
        }

        // the workers: calls uploaded before the outage and one after it all finish their pipelines
        String after = TestCalls.upload(async, TestCalls.wav16k(agent), wav).getId();
        for (String id : concat(beforeCalls, after)) {
            Call done = TestCalls.awaitPipeline(calls, id, Duration.ofSeconds(120));
            assertEquals(Map.of("recording", "succeeded", "transcribe", "succeeded", "summarize", "succeeded",
                    "follow_ups", "skipped", "usage", "succeeded"), TestCalls.stages(done), "call " + id);
            assertTrue(done.getTranscriptCount() > 0);
        }
        System.out.printf("PostgresRestartTest: %d requests, %d succeeded, %d refused (UNAVAILABLE) over a %d s outage;"
                        + " first success %d ms after the restart; %d contacts acknowledged, all kept%n",
                attempts.get(), succeeded.get(), refusals.size(), Duration.between(stopped, restarted).toSeconds(),
                recovery.toMillis(), acknowledged.size());
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new ArrayList<>(a);
        out.add(b);
        return out;
    }
}
