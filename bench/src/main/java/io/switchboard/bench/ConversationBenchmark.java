package io.switchboard.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.helidon.config.Config;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.Persona;
import io.switchboard.devtools.ScriptedCaller;
import io.switchboard.devtools.Softphone;
import io.switchboard.agents.AgentSpec;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import java.util.Optional;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.sdk.ApiKeyCredentials;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Flow;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.OrganizationServiceGrpc;

/**
 * Conversations with the flow brain over gRPC {@code StreamCall}, N at once: scripted 8 kHz callers (espeak-ng's
 * voice; the agent speaks Flite's slt) answer a yes/no and a number question. Per reply, the latency from the end
 * of the caller's line to the agent's first audio leaving the server (as the caller receives it; the anchors'
 * span), p50/p95/p99; the greeting's latency from the call's acceptance; the barge-in's reaction time (every
 * second call, alternating between callers, is a barge-in round: the caller asks "sorry, who is calling?" over the
 * greeting, a second into it, then answers both questions after the agent's reply; from its first voiced sample to
 * the agent's {@code clear}, and in two parts: the caller's speech it took to decide, in audio time, and the wall
 * time from the deciding frame's send to the {@code clear}'s arrival); the share of calls whose two variables were
 * captured right, normal and barge-in rounds apart; process CPU per conversation-second
 * (server and callers share the process); memory per conversation (heap after a full GC and RSS while all N are
 * live, less the same before the level, over N); and the server's own parts of each reply from
 * {@code turn_latencies}. Then campaign calls through the dialer and the dev softphone (the carrier's Media Streams
 * protocol): the greeting's latency from the answer (the stream's {@code start}) to the agent's first audio.
 * The machine's 1-minute load average is printed beside every row.
 * Usage: ./switchboard bench ConversationBenchmark [levels, default 1,2,4] [calls per caller, default 2]
 * [greet-while-ringing, default true]
 */
public final class ConversationBenchmark {

    private ConversationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> levels = (args.length > 0 ? List.of(args[0].split(",")) : List.of("1", "2", "4")).stream()
                .map(String::strip).map(Integer::parseInt).toList();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String ringing = args.length > 2 ? args[2] : "true";
        Config config = Bench.devStack("conversation-bench", Map.of("dev.softphone.demo-callees", "false",
                "conversation.greet-while-ringing", ringing, "calls.idle-timeout", "PT60S",
                "transcription.pool-size", Integer.toString(levels.stream().max(Integer::compare).orElse(1) + 1)));
        Voices voices = Voices.installed();
        short[] yes = speak(voices, "sure");
        short[] three = speak(voices, "three people");
        short[] who = speak(voices, "sorry who is calling please");
        System.out.printf("%d cores; %d calls per caller; endpointing 500 ms (the default)%n%n",
                Runtime.getRuntime().availableProcessors(), rounds);
        try (DevStack stack = DevStack.start(config)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
            CallCredentials op = ApiKeyCredentials.of(stack.operatorKey());
            var created = OrganizationServiceGrpc.newBlockingStub(channel).withCallCredentials(op).createOrganization(
                    CreateOrganizationRequest.newBuilder().setName("Talk").setPlanId("enterprise")
                            .setOwnerEmail("ops@talk.example").build());
            CallCredentials key = ApiKeyCredentials.of(created.getOwnerApiKey().getSecret());
            String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(key).createAgent(
                    CreateAgentRequest.newBuilder().setAgent(agent()).build()).getId();
            CallServiceGrpc.CallServiceBlockingStub calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(key);
            OpenCall open = OpenCall.newBuilder().setAgentId(agent).setDirection(OpenCall.Direction.DIRECTION_OUTBOUND)
                    .setFromNumber("+14155550100").setToNumber("+14155550177").setAgentSpeaks(true)
                    .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_MULAW)
                            .setSampleRate(ScriptedCaller.RATE).setChannels(1)).build();

            System.out.println("| conversations | load avg | replies | p50 ms | p95 ms | p99 ms | greeting p50 / p95 ms "
                    + "| barge-in onset → clear p50 / p95 ms | onset → decided (audio) p50 / p95 ms "
                    + "| decided → clear p50 / p95 ms | variables right, normal rounds | variables right, barge-in rounds "
                    + "| CPU % of a core per conversation | heap MB per conversation | RSS MB per conversation |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            List<String> serverRows = new ArrayList<>();
            List<String> wrong = Collections.synchronizedList(new ArrayList<>());
            for (int n : levels) {
                List<Long> replies = Collections.synchronizedList(new ArrayList<>());
                List<Long> greetings = Collections.synchronizedList(new ArrayList<>());
                List<Long> bargeIns = Collections.synchronizedList(new ArrayList<>());
                List<Long> deciding = Collections.synchronizedList(new ArrayList<>());
                List<Long> clearing = Collections.synchronizedList(new ArrayList<>());
                List<Boolean> right = Collections.synchronizedList(new ArrayList<>());
                List<Boolean> rightBargeIn = Collections.synchronizedList(new ArrayList<>());
                List<String> callIds = Collections.synchronizedList(new ArrayList<>());
                double load0 = load();
                long[] memory0 = memory();
                long[][] peak = new long[1][];
                Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        Thread.sleep(4000); // every caller has opened and hears its greeting
                        peak[0] = memory();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                long cpu0 = cpuNanos();
                long wall0 = System.nanoTime();
                ExecutorService pool = Executors.newFixedThreadPool(n);
                List<Future<?>> callers = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int caller = i;
                    callers.add(pool.submit(() -> {
                        // a connection per caller: a stream the server ends while the caller still sends kills
                        // the connection (HTTP/2 GOAWAY, PROTOCOL_ERROR) and every other call on it
                        ManagedChannel own = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort())
                                .usePlaintext().build();
                        var stub = CallServiceGrpc.newStub(own).withCallCredentials(key);
                        for (int r = 0; r < rounds; r++) {
                            ScriptedCaller c = ScriptedCaller.open(stub, open);
                            // every second round a barge-in, alternating between callers so that one round each
                            // still has both kinds: "sorry who is calling please" over the greeting once it has played
                            // 1 s (not a backchannel, so it must interrupt), then both answers after the agent's reply
                            boolean bargeIn = (caller + r) % 2 == 1;
                            List<ScriptedCaller.Answer> script = bargeIn
                                    ? List.of(ScriptedCaller.Answer.over(who), ScriptedCaller.Answer.after(yes),
                                            ScriptedCaller.Answer.after(three))
                                    : List.of(ScriptedCaller.Answer.after(yes), ScriptedCaller.Answer.after(three));
                            c.converse(script, Duration.ofSeconds(60));
                            replies.addAll(c.replyLatencies());
                            for (ScriptedCaller.BargeIn b : c.bargeIns()) {
                                if (b.onsetToClearMs() >= 0) {
                                    bargeIns.add(b.onsetToClearMs());
                                }
                                if (b.decidedMs() >= 0) {
                                    deciding.add(b.onsetToDecidedMs());
                                }
                                if (b.decidedToClearMs() >= 0) {
                                    clearing.add(b.decidedToClearMs());
                                }
                            }
                            c.greetingLatency().ifPresent(greetings::add);
                            String id = c.ended().map(Call::getId).orElseThrow();
                            callIds.add(id);
                            Map<String, String> vars = calls.getCall(GetCallRequest.newBuilder().setId(id).build())
                                    .getSummary().getVariablesMap();
                            boolean ok = vars.equals(Map.of("coming", "true", "people", "3"));
                            (bargeIn ? rightBargeIn : right).add(ok);
                            if (!ok) {
                                wrong.add(n + " conversations, " + (bargeIn ? "barge-in" : "normal") + " round, call "
                                        + id + ": " + vars + "; heard " + c.transcript().stream()
                                        .filter(t -> t.getIsFinal()).map(t -> t.getSpeaker() + ": " + t.getText()
                                                + (t.getInterrupted() ? " [cut]" : "")).toList());
                            }
                        }
                        own.shutdownNow();
                        return null;
                    }));
                }
                for (Future<?> f : callers) {
                    f.get();
                }
                pool.shutdown();
                double cpu = (cpuNanos() - cpu0) / (double) (System.nanoTime() - wall0) / n * 100;
                sampler.join();
                long ok = right.stream().filter(b -> b).count();
                long okBargeIn = rightBargeIn.stream().filter(b -> b).count();
                String heap = peak[0] == null ? "-" : String.format("%.1f", (peak[0][0] - memory0[0]) / 1e6 / n);
                String rss = peak[0] == null ? "-" : String.format("%.1f", (peak[0][1] - memory0[1]) / 1e6 / n);
                System.out.printf("| %d | %.1f–%.1f | %d | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s / %s "
                                + "| %d of %d | %d of %d | %.0f | %s | %s |%n",
                        n, load0, load(), replies.size(), pct(replies, 50), pct(replies, 95), pct(replies, 99),
                        pct(greetings, 50), pct(greetings, 95), pct(bargeIns, 50), pct(bargeIns, 95),
                        pct(deciding, 50), pct(deciding, 95), pct(clearing, 50), pct(clearing, 95), ok, right.size(),
                        okBargeIn, rightBargeIn.size(), cpu, heap, rss);
                serverRows.addAll(serverParts(stack, n, callIds));
            }
            if (!wrong.isEmpty()) {
                System.out.println();
                System.out.println("Rounds whose variables were wrong:");
                wrong.forEach(w -> System.out.println("- " + w));
            }
            System.out.println();
            System.out.println("Server side (turn_latencies: the call's clock, the caller's audio as handled), p50 / p95 ms:");
            System.out.println();
            System.out.println("| conversations | replies | endpointing wait | recogniser final | machine detection "
                    + "| brain | first audio | total | all but the endpointing wait | all but endpointing and machine "
                    + "detection |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|");
            serverRows.forEach(System.out::println);
            channel.shutdownNow();
            carrierGreetings(stack, created.getOrganization().getId(), levels, ringing);
        }
    }

    /** The server's parts of the replies of {@code calls}, as the engine stored them. */
    private static List<String> serverParts(DevStack stack, int n, List<String> calls) {
        var t = io.switchboard.db.Tables.TURN_LATENCIES;
        var rows = stack.plane().database().dsl().select(t.ENDPOINTING_MS, t.RECOGNIZER_MS, t.MACHINE_DETECTION_MS,
                        t.DECISION_MS, t.FIRST_AUDIO_MS, t.TOTAL_MS).from(t)
                .where(t.CALL_ID.in(calls.stream().map(java.util.UUID::fromString).toList())).fetch();
        List<List<Long>> parts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            parts.add(new ArrayList<>());
        }
        for (var r : rows) {
            parts.get(0).add(r.value1());
            parts.get(1).add(r.value2());
            parts.get(2).add(r.value3());
            parts.get(3).add(r.value4());
            parts.get(4).add(r.value5());
            parts.get(5).add(r.value6());
            parts.get(6).add(r.value6() - r.value1());
            parts.get(7).add(r.value6() - r.value1() - r.value3());
        }
        StringBuilder row = new StringBuilder("| " + n + " | " + rows.size() + " |");
        for (List<Long> p : parts) {
            row.append(' ').append(pct(p, 50)).append(" / ").append(pct(p, 95)).append(" |");
        }
        return List.of(row.toString());
    }

    /**
     * Campaign calls through the dialer and the dev softphone, N at once for each level: the greeting's latency from
     * the answer (the Media Stream's {@code start}) to the agent's first audio, as the softphone's callee sees it.
     */
    private static void carrierGreetings(DevStack stack, String orgId, List<Integer> levels, String ringing)
            throws Exception {
        if (stack.softphone().isEmpty()) {
            System.out.println("\n(no dev softphone: campaign greetings not measured)");
            return;
        }
        Softphone phone = stack.softphone().get();
        var p = stack.plane();
        Principal admin = Principal.system(java.util.UUID.fromString(orgId), Role.ADMIN, "system:bench");
        String agent = p.agents().create(admin, new AgentSpec("Greeter", "en-US", "",
                "Hello {{first_name}}, this is the clinic calling about your appointment. Can you come tomorrow?",
                "flite:slt", "", List.of())).id().toString();
        System.out.println();
        System.out.println("Campaign calls (dialer → dev softphone → Media Streams, answered after "
                + RING.toMillis() + " ms of ringing), greet-while-ringing " + ringing
                + ": from the answer to the agent's first audio, ms:");
        System.out.println();
        System.out.println("| calls at once | load avg | greetings | p50 ms | p95 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        int numbers = 0;
        for (int n : levels) {
            double load0 = load();
            String list = p.contacts().createList(admin, "greetings-" + n, "").id().toString();
            List<String> to = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String number = "+1415555" + (3000 + numbers++);
                to.add(number);
                Softphone.Behaviour.Answer silent = phone.answer(Persona.silent());
                // a person picks up after a few rings (the softphone's default is 0.3 s)
                phone.script(number, new Softphone.Behaviour.Answer(silent.audio(), RING, false, silent.persona()));
                p.contacts().create(admin, new ContactSpec("", number, "Ada", "", "", "{}", List.of(),
                        "Europe/London", List.of(list)), "US");
            }
            String campaign = p.campaigns().create(admin, new CampaignSpec("Greetings " + n, agent, list,
                    "+14155550100", Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, n,
                    CampaignSpec.Retry.UNSET, List.of(), CampaignSpec.Dialing.UNSET)).id().toString();
            p.campaigns().start(admin, campaign);
            long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            List<Long> greetings = new ArrayList<>();
            while (System.nanoTime() < until) {
                greetings.clear();
                for (Softphone.PlacedCall c : phone.history()) {
                    if (to.contains(c.to())) {
                        phone.greetingLatency(c.sid()).ifPresent(greetings::add);
                    }
                }
                if (greetings.size() >= n) {
                    break;
                }
                Thread.sleep(200);
            }
            long max = greetings.stream().mapToLong(Long::longValue).max().orElse(-1);
            System.out.printf("| %d | %.1f–%.1f | %d | %s | %s | %d |%n", n, load0, load(), greetings.size(),
                    pct(greetings, 50), pct(greetings, 95), max);
            Thread.sleep(15_000); // the silent callees hang up before the next level
        }
    }

    /** How long a campaign call rings before it is answered: about one ring. */
    private static final Duration RING = Duration.ofSeconds(3);

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** {heap used after a full GC, resident set size}, bytes. */
    private static long[] memory() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long rss = 0;
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            rss = 0;
        }
        return new long[] {heap, rss};
    }

    private static Agent agent() {
        return Agent.newBuilder().setName("Appointments").setLanguage("en-US").setVoice("flite:slt")
                .setFirstMessage("Hello, this is the clinic calling about your appointment.")
                .addVariables(CaptureVariable.newBuilder().setName("coming").setType(CaptureVariable.Type.TYPE_BOOLEAN))
                .addVariables(CaptureVariable.newBuilder().setName("people").setType(CaptureVariable.Type.TYPE_NUMBER))
                .setFlow(Flow.newBuilder().setStartNode("coming")
                        .addNodes(FlowNode.newBuilder().setId("coming").setAsk(AskNode.newBuilder()
                                .setVariable("coming").setPrompt("Can you come tomorrow morning?").setNext("people")))
                        .addNodes(FlowNode.newBuilder().setId("people").setAsk(AskNode.newBuilder()
                                .setVariable("people").setPrompt("How many people will come?").setNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("bye").setEnd(EndNode.newBuilder()
                                .setText("Thank you, see you tomorrow. Goodbye.").setDisposition("confirmed"))))
                .build();
    }

    /** espeak-ng saying {@code text} at 8 kHz, after 300 ms of silence. */
    private static short[] speak(Voices voices, String text) {
        try (SpeechStream s = voices.resolve("espeak:en-us").synthesize(text, ScriptedCaller.RATE)) {
            short[] said = s.readAll();
            short[] padded = new short[said.length + 2400];
            System.arraycopy(said, 0, padded, 2400, said.length);
            return padded;
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String pct(List<Long> values, int p) {
        if (values.isEmpty()) {
            return "-";
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return Long.toString(sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }
}
