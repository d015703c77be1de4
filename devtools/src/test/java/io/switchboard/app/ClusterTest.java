package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.EmbeddedServices;
import io.switchboard.calls.CallService;
import io.switchboard.common.Database;
import io.switchboard.devtools.Softphone;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallEvent;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.DialAttempt;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.ListDialAttemptsRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.RetryPolicy;
import io.switchboard.v1.TranscriptEvent;
import io.switchboard.v1.WatchCallRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production deployment on one machine (issue 15, "A cluster test in CI"): two API servers and two workers,
 * each a JVM of its own started as its container starts it ({@code Main server}, {@code Main worker}, after the
 * migrate Job's {@code Main migrate}), configured only by the environment {@code deploy/kubernetes} gives its pod.
 * Only what one machine forces to differ is replaced: the addresses of the one PostgreSQL and the one S3 store
 * (started here), the Secret's placeholders, the key files, the ports, the carrier (the dev softphone, speaking
 * Twilio's protocol) and, so the faults play out in seconds, the worker's lease and abandoned-call timeouts.
 * The scenarios run in order, the last one kills server A.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

    @TempDir
    static Path home;
    private static EmbeddedServices embedded;
    private static Softphone phone;
    private static Database db;
    private static final List<SwitchboardProcess> started = new ArrayList<>();
    private static SwitchboardProcess serverA;
    private static SwitchboardProcess serverB;
    private static final List<SwitchboardProcess> workers = new ArrayList<>();
    private static ManagedChannel toA;
    private static ManagedChannel toB;
    private static int portA;
    private static int portB;
    private static String key;
    private static String agentId;

    @BeforeAll
    static void start() throws Exception {
        embedded = EmbeddedServices.start(home.resolve("services"), TestStacks.freePort(), TestStacks.freePort());
        db = Database.connect(embedded.jdbcUrl(), "postgres", "postgres", 2);
        phone = Softphone.start("AC" + HexFormat.of().formatHex(random(16)), HexFormat.of().formatHex(random(16)),
                Path.of(DevStack.DEFAULT_SPEECH), 0);
        Path keys = writeKeyFiles(home.resolve("keys"));
        portA = TestStacks.freePort();
        portB = TestStacks.freePort();

        try (var migrate = SwitchboardProcess.main(home.resolve("logs/migrate"), pod("migrate-job.yaml", keys), "migrate")) {
            assertEquals(0, migrate.exitCode(), migrate.output());
            assertTrue(migrate.stdout().contains("schema at version"), migrate.output());
        }
        serverA = launch("server-a", server(keys, portA), "server");
        serverA.awaitOutput(out -> out.contains("listening on 127.0.0.1:" + portA));
        Matcher bootstrap = Pattern.compile("Bootstrap operator key \\(shown once, store it now\\): (\\S+)")
                .matcher(serverA.stdout());
        assertTrue(bootstrap.find(), "the first server prints the operator key:\n" + serverA.output());
        String operatorKey = bootstrap.group(1);
        serverB = launch("server-b", server(keys, portB), "server");
        for (String name : List.of("worker-1", "worker-2")) {
            Map<String, String> env = pod("worker-deployment.yaml", keys);
            env.put("WORKER_OBSERVE__HOST", "127.0.0.1");
            env.put("WORKER_OBSERVE__PORT", Integer.toString(TestStacks.freePort()));
            workers.add(launch(name, env, "worker"));
        }
        serverB.awaitOutput(out -> out.contains("listening on 127.0.0.1:" + portB));
        assertFalse(serverB.stdout().contains("Bootstrap operator key"), "only the first server bootstraps");
        for (SwitchboardProcess w : workers) {
            w.awaitOutput(out -> out.contains("health and metrics on port"));
        }

        toA = NettyChannelBuilder.forAddress("127.0.0.1", portA).usePlaintext().build();
        toB = NettyChannelBuilder.forAddress("127.0.0.1", portB).usePlaintext().build();
        key = TestStacks.organization(toB, operatorKey, "Clusterco", "growth");
        agentId = AgentServiceGrpc.newBlockingStub(toA).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Reception")
                        .setLanguage("en-US")).build()).getId();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ManagedChannel c : new ManagedChannel[] {toA, toB}) {
            if (c != null) {
                c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        for (SwitchboardProcess p : started.reversed()) {
            p.close();
        }
        if (phone != null) {
            phone.close();
        }
        if (db != null) {
            db.close();
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    @Test
    @Order(1)
    void aCallStreamedIntoServerAInRealTimeIsWatchedThroughServerBOverGrpcAndGrpcWebToItsEnd() throws Exception {
        CallsEndToEndTest.LiveStream live = CallsEndToEndTest.LiveStream.open(tenant(toA), raw16k());
        String id = live.accepted().getId();
        List<CallEvent> watched = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> watchDone = new CompletableFuture<>();
        CallServiceGrpc.newStub(toB).withCallCredentials(TestStacks.bearer(key))
                .watchCall(WatchCallRequest.newBuilder().setId(id).build(), TestCalls.collect(watched, watchDone));
        CompletableFuture<HttpResponse<byte[]>> web = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .build().sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portB
                                + "/switchboard.v1.CallService/WatchCall"))
                        .header("content-type", "application/grpc-web+proto").header("x-grpc-web", "1")
                        .header("authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(LiveCallsAcrossServersTest.frame(
                                WatchCallRequest.newBuilder().setId(id).build().toByteArray()))).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        Thread.sleep(1000); // both watchers subscribe before the first words

        inRealTime(live, SpeechAudio.librivox().get(3).samples());
        Call ended = live.end();
        assertEquals(Call.State.STATE_ENDED, ended.getState());
        List<TranscriptEvent> spoken = live.transcripts();
        assertTrue(spoken.stream().anyMatch(TranscriptEvent::getIsFinal), "the caller heard finals: " + spoken);

        watchDone.get(30, TimeUnit.SECONDS);
        assertTrue(watched.getLast().hasEnded(), "the watch through B ends with the call on A");
        assertEquals(Call.State.STATE_ENDED, watched.getLast().getEnded().getState());
        assertSameFinals(spoken, watched);

        HttpResponse<byte[]> answer = web.get(30, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode());
        List<CallEvent> overWeb = new ArrayList<>();
        Map<String, String> trailers = new LinkedHashMap<>();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer.body()));
        while (in.available() > 0) {
            int flags = in.readUnsignedByte();
            byte[] payload = in.readNBytes(in.readInt());
            if (flags == 0x80) {
                for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
                    int colon = line.indexOf(':');
                    trailers.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
                }
            } else {
                overWeb.add(CallEvent.parseFrom(payload));
            }
        }
        assertEquals("0", trailers.get("grpc-status"), trailers.toString());
        assertTrue(overWeb.getLast().hasEnded(), "the grpc-web watch through B ends with the call too");
        assertSameFinals(spoken, overWeb);
    }

    @Test
    @Order(2)
    void aCampaignIsDialledThroughTheCarrierByTheWorkersAndCompletesWithEachNumberRungOnce() throws Exception {
        String zone = zoneAt(10, 18);
        String answers = "+12125550301";
        String busy = "+12125550302";
        phone.script(busy, new Softphone.Behaviour.Busy());
        var contacts = ContactServiceGrpc.newBlockingStub(toB).withCallCredentials(TestStacks.bearer(key));
        String list = contacts.createContactList(CreateContactListRequest.newBuilder().setContactList(
                io.switchboard.v1.ContactList.newBuilder().setName("Cluster run")).build()).getId();
        for (String number : List.of(answers, busy)) {
            contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder()
                    .setPhoneNumber(number).setTimeZone(zone).addListIds(list)).build());
        }
        var campaigns = CampaignServiceGrpc.newBlockingStub(toB).withCallCredentials(TestStacks.bearer(key));
        Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                .setName("Cluster " + UUID.randomUUID()).setAgentId(agentId).setContactListId(list)
                .setCallerId("+14155550100").setMaxConcurrency(2)
                .setRetryPolicy(RetryPolicy.newBuilder().setMaxAttempts(1))).build());
        campaigns.startCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());

        await("the campaign to complete", Duration.ofSeconds(90), () -> campaigns.getCampaign(GetCampaignRequest
                .newBuilder().setId(c.getId()).build()).getState() == Campaign.State.STATE_COMPLETED);
        List<DialAttempt> attempts = campaigns.listDialAttempts(ListDialAttemptsRequest.newBuilder()
                .setCampaignId(c.getId()).setPageSize(100).build()).getAttemptsList();
        Map<String, String> outcomes = new java.util.TreeMap<>();
        attempts.forEach(a -> outcomes.merge(a.getToNumber(), a.getOutcome(), (x, y) -> x + "," + y));
        assertEquals(Map.of(answers, "completed", busy, "busy"), outcomes, "one attempt each, though two workers dial");
        assertEquals(1, phone.history().stream().filter(p -> p.to().equals(answers)).count(), "rung once");
        assertEquals(1, phone.history().stream().filter(p -> p.to().equals(busy)).count(), "rung once");

        // the answered call streamed into server A (the carrier's public URL) and was processed by a worker
        DialAttempt reached = attempts.stream().filter(a -> a.getToNumber().equals(answers)).findFirst().orElseThrow();
        Call call = TestCalls.awaitPipeline(calls(toB), reached.getCallId(), Duration.ofSeconds(90));
        assertEquals(Call.State.STATE_ENDED, call.getState());
        assertEquals(c.getId(), call.getCampaignId());
        assertFalse(call.getTranscriptList().isEmpty(), "the callee's speech was transcribed");
        assertTrue(call.hasRecording() && call.hasSummary(), call.toString());
    }

    @Test
    @Order(3)
    void aWorkerKilledMidTranscriptionHasItsJobFinishedByTheOtherWithNothingLostOrDoubled() throws Exception {
        // ~49 s of speech: several seconds of decoding on one decoder, killed 1.5 s in
        byte[] wav = TestCalls.wav(WorkerKilledMidTranscriptionTest.longSpeech(2));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wav));
        Call victim = TestCalls.upload(CallServiceGrpc.newStub(toB).withCallCredentials(TestStacks.bearer(key)),
                TestCalls.wav16k(agentId), wav);
        String[] owner = new String[1];
        await("a worker is transcribing", Duration.ofSeconds(90), () -> {
            owner[0] = job(victim.getId(), "coalesce(lease_owner, '')");
            return "running".equals(stage(victim.getId())) && !owner[0].isEmpty();
        });
        Thread.sleep(1500); // well into the audio
        assertEquals("running", stage(victim.getId()), "still transcribing when killed (the audio is long enough)");
        SwitchboardProcess killed = workers.stream().filter(w -> owner[0].contains("/" + w.pid() + "/")).findFirst()
                .orElseThrow(() -> new AssertionError("no worker of this test holds the job: " + owner[0]));
        killed.kill();

        Call done = TestCalls.awaitPipeline(calls(toB), victim.getId(), Duration.ofSeconds(120));
        assertEquals(Map.of("recording", "succeeded", "transcribe", "succeeded", "summarize", "succeeded",
                "follow_ups", "skipped", "usage", "succeeded"), TestCalls.stages(done), survivor(killed).output());
        assertEquals("2", job(victim.getId(), "attempts"), "claimed twice: once by each worker");
        assertFalse(job(victim.getId(), "lease_owner").contains("/" + killed.pid() + "/"));
        assertFalse(done.getTranscriptList().isEmpty(), "a transcript");
        assertEquals(done.getTranscriptCount(), count("select count(*) from transcript_segments where call_id = ?::uuid",
                victim.getId()), "no segment doubled");
        assertEquals(0L, count("select count(*) - count(distinct (channel, start_ms)) from transcript_segments"
                + " where call_id = ?::uuid", victim.getId()), "no segment doubled");
        assertEquals(1L, count("select count(*) from call_summaries where call_id = ?::uuid", victim.getId()), "one summary");
        assertEquals(0L, count("select count(*) - count(distinct metric) from usage_records where call_id = ?::uuid",
                victim.getId()), "usage counted once");
        assertEquals(sha, done.getRecording().getSha256(), "the recording is the upload");
    }

    @Test
    @Order(4)
    void killingServerAFailsItsLiveCallWithTheAudioSoFarKeptAndServerBServesOn() throws Exception {
        CallsEndToEndTest.LiveStream live = CallsEndToEndTest.LiveStream.open(tenant(toA), raw16k());
        String id = live.accepted().getId();
        List<CallEvent> watched = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> watchDone = new CompletableFuture<>();
        CallServiceGrpc.newStub(toB).withCallCredentials(TestStacks.bearer(key))
                .watchCall(WatchCallRequest.newBuilder().setId(id).build(), TestCalls.collect(watched, watchDone));
        short[] speech = WorkerKilledMidTranscriptionTest.longSpeech(1);
        int frame = 320; // 20 ms at 16 kHz
        int sent = 0;
        while (count("select audio_segments from calls where id = ?::uuid", id) < 2) { // 10 s stored
            assertTrue(sent + frame <= speech.length, "two segments stored before the speech ran out");
            live.sendAudio(TestCalls.pcmBytes(java.util.Arrays.copyOfRange(speech, sent, sent + frame)), 640);
            sent += frame;
            Thread.sleep(20);
        }
        long stored = count("select audio_bytes from calls where id = ?::uuid", id);
        serverA.kill();

        await("the abandoned call to be failed by a worker", Duration.ofSeconds(60),
                () -> calls(toB).getCall(GetCallRequest.newBuilder().setId(id).build()).getState() != Call.State.STATE_ACTIVE);
        Call failed = TestCalls.awaitPipeline(calls(toB), id, Duration.ofSeconds(90));
        assertEquals(Call.State.STATE_FAILED, failed.getState());
        assertTrue(failed.getEndReason().contains("the server handling it stopped"), failed.getEndReason());
        assertTrue(failed.hasRecording(), "the audio received before the kill is kept");
        assertTrue(stored >= 2 * 5 * 16_000 * 2, "stored " + stored);
        assertTrue(failed.getRecording().getSizeBytes() >= stored, failed.getRecording() + " < " + stored);
        assertEquals("succeeded", TestCalls.stages(failed).get("transcribe"));
        assertFalse(failed.getTranscriptList().isEmpty(), "what was said before the kill is transcribed");

        watchDone.get(30, TimeUnit.SECONDS);
        assertTrue(watched.getLast().hasEnded(), "the watch through B ends when the call on dead A is failed");
        assertEquals(Call.State.STATE_FAILED, watched.getLast().getEnded().getState());

        // B serves on: a new call streamed into it ends normally
        CallsEndToEndTest.LiveStream next = CallsEndToEndTest.LiveStream.open(tenant(toB), raw16k());
        next.sendAudio(TestCalls.pcmBytes(SpeechAudio.librivox().get(0).samples()), 640);
        assertEquals(Call.State.STATE_ENDED, next.end().getState());
        assertTrue(serverB.isAlive(), serverB.output());
        assertTrue(workers.stream().filter(SwitchboardProcess::isAlive).count() >= 1, "a worker serves on");
    }

    // --- the cluster

    private static SwitchboardProcess launch(String name, Map<String, String> env, String command) throws Exception {
        SwitchboardProcess p = SwitchboardProcess.main(home.resolve("logs").resolve(name), env, command);
        started.add(p);
        return p;
    }

    /**
     * A pod's environment from the manifests, pointed at this machine's PostgreSQL, S3 store, key files and
     * softphone. Every other name and value is the manifests' own.
     */
    private static Map<String, String> pod(String manifest, Path keys) throws Exception {
        Map<String, String> env = new LinkedHashMap<>(KubernetesManifests.environment(manifest));
        assertTrue(env.containsKey("DB_URL") && env.containsKey("S3_ACCESS__KEY"), "rendered from the manifests: " + env);
        env.put("DB_URL", embedded.jdbcUrl());
        env.put("DB_USER", "postgres");
        env.put("DB_PASSWORD", "postgres");
        env.put("S3_ENDPOINT", embedded.s3Endpoint());
        env.put("S3_ACCESS__KEY", EmbeddedServices.S3_ACCESS_KEY);
        env.put("S3_SECRET__KEY", EmbeddedServices.S3_SECRET_KEY);
        env.put("AUDIT_SIGNING__KEY__FILE", keys.resolve("audit-signing.key").toString());
        env.put("ENCRYPTION_MASTER__KEY__FILE", keys.resolve("master.key").toString());
        env.put("TRACING_OTLP_ENDPOINT", ""); // no collector here
        env.put("TRANSCRIPTION_POOL__SIZE", "1"); // four JVMs share the test machine's cores
        // the carrier: the softphone, reaching server A as its public URL
        env.put("TELEPHONY_TWILIO_API__URL", phone.apiUrl().toString());
        env.put("TELEPHONY_TWILIO_ACCOUNT__SID", phone.accountSid());
        env.put("TELEPHONY_TWILIO_AUTH__TOKEN", phone.authToken());
        env.put("TELEPHONY_PUBLIC__URL", "http://127.0.0.1:" + portA);
        // faults play out in seconds rather than minutes
        env.put("WORKER_LEASE", "PT5S");
        env.put("WORKER_POLL__INTERVAL", "PT1S");
        // above the 5 s a server buffers before it stores a segment (and marks the call as hearing audio)
        env.put("WORKER_ABANDONED__CALL__AFTER", "PT8S");
        return env;
    }

    private static Map<String, String> server(Path keys, int port) throws Exception {
        Map<String, String> env = pod("server-deployment.yaml", keys);
        env.put("SERVER_HOST", "127.0.0.1");
        env.put("SERVER_PORT", Integer.toString(port));
        return env;
    }

    /** The two files of Secret {@code switchboard-keys}, made as docs/DEPLOYMENT.md "Key files" says. */
    private static Path writeKeyFiles(Path dir) throws Exception {
        Files.createDirectories(dir);
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Base64.Encoder b64 = Base64.getEncoder();
        Files.writeString(dir.resolve("audit-signing.key"), b64.encodeToString(pair.getPrivate().getEncoded()) + "\n"
                + b64.encodeToString(pair.getPublic().getEncoded()) + "\n");
        Files.writeString(dir.resolve("master.key"), b64.encodeToString(random(32)) + "\n");
        return dir;
    }

    private static SwitchboardProcess survivor(SwitchboardProcess killed) {
        return workers.stream().filter(w -> w != killed).findFirst().orElseThrow();
    }

    // --- calls

    private static CallsEndToEndTest.Tenant tenant(ManagedChannel channel) {
        return new CallsEndToEndTest.Tenant(key, agentId, null, CallServiceGrpc.newStub(channel)
                .withCallCredentials(TestStacks.bearer(key)));
    }

    private static CallServiceGrpc.CallServiceBlockingStub calls(ManagedChannel channel) {
        return CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    private static OpenCall raw16k() {
        OpenCall wav = TestCalls.wav16k(agentId);
        return wav.toBuilder().setFormat(wav.getFormat().toBuilder().setContainer(AudioFormat.Container.CONTAINER_RAW))
                .build();
    }

    /** 20 ms frames, one every 20 ms, as a phone line delivers them. */
    private static void inRealTime(CallsEndToEndTest.LiveStream live, short[] samples) throws InterruptedException {
        for (int i = 0; i < samples.length; i += 320) {
            live.sendAudio(TestCalls.pcmBytes(java.util.Arrays.copyOfRange(samples, i, Math.min(samples.length, i + 320))),
                    640);
            Thread.sleep(20);
        }
    }


    /** The watcher saw every final the caller heard, in the caller's order, none doubled. */
    private static void assertSameFinals(List<TranscriptEvent> spoken, List<CallEvent> watched) {
        List<TranscriptEvent> seen = watched.stream().filter(CallEvent::hasTranscript).map(CallEvent::getTranscript)
                .toList();
        assertFalse(seen.isEmpty(), "the watcher saw transcript events");
        assertEquals(spoken.subList(spoken.size() - seen.size(), spoken.size()), seen,
                "the caller's events, in order, none lost or doubled");
        assertEquals(spoken.stream().filter(TranscriptEvent::getIsFinal).toList(),
                seen.stream().filter(TranscriptEvent::getIsFinal).toList());
    }


    // --- the database, read as an operator would

    private static String stage(String callId) {
        return db.dsl().fetchOptional("select state::text from call_stages where call_id = ?::uuid and stage = ?",
                callId, CallService.TRANSCRIBE_STAGE).map(r -> r.get(0, String.class)).orElse("");
    }

    private static String job(String callId, String column) {
        var r = db.dsl().fetchOne("select " + column + "::text from jobs where kind = ? and payload->>'call_id' = ?",
                CallService.PIPELINE_JOB, callId);
        return r == null || r.get(0) == null ? "" : r.get(0, String.class);
    }

    private static long count(String sql, String callId) {
        Object v = db.dsl().fetchValue(sql, callId);
        return v == null ? 0 : ((Number) v).longValue();
    }

    // --- helpers

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** A fixed-offset zone where it is now between {@code from} and {@code to} o'clock (the calling window). */
    private static String zoneAt(int from, int to) {
        for (int h = -12; h <= 14; h++) {
            ZoneId z = ZoneId.of(h == 0 ? "Etc/GMT" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h));
            int hour = Instant.now().atZone(z).getHour();
            if (hour >= from && hour < to) {
                return z.getId();
            }
        }
        throw new AssertionError("no zone at " + from + "-" + to);
    }

    private static void await(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                StringBuilder logs = new StringBuilder();
                for (SwitchboardProcess p : started) {
                    logs.append("\n=== pid ").append(p.pid()).append(p.isAlive() ? "" : " (ended)").append('\n')
                            .append(p.output());
                }
                throw new AssertionError("timed out after " + limit + " waiting for " + what + logs);
            }
            Thread.sleep(100);
        }
    }
}
