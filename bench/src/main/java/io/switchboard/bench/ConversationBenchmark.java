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
import io.switchboard.devtools.ScriptedCaller;
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
 * span), p50/p95/p99; the greeting's latency from the call's acceptance; the share of calls whose two variables were
 * captured right; process CPU per conversation-second (server and callers share the process).
 * Usage: ./switchboard bench ConversationBenchmark [levels, default 1,2,4] [calls per caller, default 2]
 */
public final class ConversationBenchmark {

    private ConversationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> levels = (args.length > 0 ? List.of(args[0].split(",")) : List.of("1", "2", "4")).stream()
                .map(String::strip).map(Integer::parseInt).toList();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Config config = Bench.devStack("conversation-bench", Map.of("dev.softphone.enabled", "false",
                "calls.idle-timeout", "PT60S",
                "transcription.pool-size", Integer.toString(levels.stream().max(Integer::compare).orElse(1) + 1)));
        Voices voices = Voices.installed();
        short[] yes = speak(voices, "sure");
        short[] three = speak(voices, "three people");
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

            System.out.println("| conversations | replies | p50 ms | p95 ms | p99 ms | greeting p50 ms | variables right "
                    + "| CPU % of a core per conversation |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (int n : levels) {
                List<Long> replies = Collections.synchronizedList(new ArrayList<>());
                List<Long> greetings = Collections.synchronizedList(new ArrayList<>());
                List<Boolean> right = Collections.synchronizedList(new ArrayList<>());
                long cpu0 = cpuNanos();
                long wall0 = System.nanoTime();
                ExecutorService pool = Executors.newFixedThreadPool(n);
                List<Future<?>> callers = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    callers.add(pool.submit(() -> {
                        // a connection per caller: a stream the server ends while the caller still sends kills
                        // the connection (HTTP/2 GOAWAY, PROTOCOL_ERROR) and every other call on it
                        ManagedChannel own = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort())
                                .usePlaintext().build();
                        var stub = CallServiceGrpc.newStub(own).withCallCredentials(key);
                        for (int r = 0; r < rounds; r++) {
                            ScriptedCaller c = ScriptedCaller.open(stub, open);
                            c.converse(List.of(ScriptedCaller.Answer.after(yes), ScriptedCaller.Answer.after(three)),
                                    Duration.ofSeconds(60));
                            replies.addAll(c.replyLatencies());
                            c.greetingLatency().ifPresent(greetings::add);
                            String id = c.ended().map(Call::getId).orElseThrow();
                            Map<String, String> vars = calls.getCall(GetCallRequest.newBuilder().setId(id).build())
                                    .getSummary().getVariablesMap();
                            right.add(vars.equals(Map.of("coming", "true", "people", "3")));
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
                long ok = right.stream().filter(b -> b).count();
                System.out.printf("| %d | %d | %s | %s | %s | %s | %d of %d | %.0f |%n", n, replies.size(),
                        pct(replies, 50), pct(replies, 95), pct(replies, 99), pct(greetings, 50), ok, right.size(), cpu);
            }
            channel.shutdownNow();
        }
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
