package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.switchboard.devtools.DevStack;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenTelemetry tracing across server → queue → worker, as a collector sees it: the test is an OTLP/HTTP
 * receiver (protobuf over HTTP, decoded field by field from the wire) and the stack exports to it. A client's
 * traceparent must come back as one trace: its RPC's server span, the pipeline job's span under it, and a
 * span per stage under that.
 */
class TracingEndToEndTest {

    /** One span as OTLP carries it (opentelemetry/proto/trace/v1/trace.proto field numbers). */
    record WireSpan(String service, String traceId, String spanId, String parentSpanId, String name, long kind) {
    }

    private static final long KIND_SERVER = 2;
    private static final long KIND_CONSUMER = 5;

    @TempDir
    static Path home;
    private static HttpServer collector;
    private static final List<WireSpan> received = new CopyOnWriteArrayList<>();
    private static final List<String> contentTypes = new CopyOnWriteArrayList<>();
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            try (exchange) {
                contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
                received.addAll(decode(exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse
            }
        });
        collector.start();
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false",
                "tracing.otlp.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces",
                "tracing.export-delay", "PT0.2S"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
        if (collector != null) {
            collector.stop(0);
        }
    }

    @Test
    void aClientsTraceRunsFromItsRequestThroughTheQueueToEveryPipelineStage() throws Exception {
        String key = TestStacks.organization(channel, stack.operatorKey(), "Traced", "growth");
        String agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("T").setLanguage("en-US"))
                        .build()).getId();
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String clientSpan = "00f067aa0ba902b7";
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + traceId + "-" + clientSpan + "-01");
        var traced = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));

        Call call = TestCalls.upload(traced, TestCalls.wav16k(agent), TestCalls.wav(SpeechAudio.librivox().get(1).samples()));
        TestCalls.awaitPipeline(calls, call.getId(), Duration.ofSeconds(90));

        Instant deadline = Instant.now().plusSeconds(30);
        // the job's span ends after its stages' and may come in a later export: wait for it as well
        while ((find("pipeline.usage", traceId).isEmpty() || find("call.pipeline", traceId).isEmpty())
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        WireSpan rpc = find("switchboard.v1.CallService/UploadRecording", traceId)
                .orElseThrow(() -> new AssertionError("no server span in trace " + traceId + ": " + received));
        assertEquals(clientSpan, rpc.parentSpanId(), "the server span is a child of the client's");
        assertEquals(KIND_SERVER, rpc.kind());
        assertEquals("switchboard-dev", rpc.service());

        WireSpan job = find("call.pipeline", traceId)
                .orElseThrow(() -> new AssertionError("no pipeline span in trace " + traceId + ": " + received));
        assertEquals(rpc.spanId(), job.parentSpanId(), "the worker's job continues the request that queued it");
        assertEquals(KIND_CONSUMER, job.kind());
        for (String stage : List.of("recording", "transcribe", "summarize", "usage")) {
            WireSpan s = find("pipeline." + stage, traceId).orElseThrow(() -> new AssertionError("no span for " + stage));
            assertEquals(job.spanId(), s.parentSpanId(), stage + " runs under its job");
        }
        assertTrue(contentTypes.stream().allMatch(t -> t.equals("application/x-protobuf")), contentTypes.toString());
        assertTrue(received.stream().noneMatch(s -> s.name().contains(key) || s.name().contains("Bearer")),
                "no secrets in span names");
    }

    private static Optional<WireSpan> find(String name, String traceId) {
        return received.stream().filter(s -> s.name().equals(name) && s.traceId().equals(traceId)).findFirst();
    }

    /** ExportTraceServiceRequest → resource_spans(1) → {resource(1), scope_spans(2) → spans(2)}. */
    static List<WireSpan> decode(byte[] body) throws java.io.IOException {
        List<WireSpan> out = new java.util.ArrayList<>();
        for (ByteString rs : UnknownFieldSet.parseFrom(body).getField(1).getLengthDelimitedList()) {
            UnknownFieldSet resourceSpans = UnknownFieldSet.parseFrom(rs);
            String service = "";
            for (ByteString res : resourceSpans.getField(1).getLengthDelimitedList()) {
                for (ByteString kv : UnknownFieldSet.parseFrom(res).getField(1).getLengthDelimitedList()) {
                    UnknownFieldSet attr = UnknownFieldSet.parseFrom(kv);
                    if (string(attr, 1).equals("service.name")) {
                        service = string(UnknownFieldSet.parseFrom(attr.getField(2).getLengthDelimitedList().getFirst()), 1);
                    }
                }
            }
            for (ByteString ss : resourceSpans.getField(2).getLengthDelimitedList()) {
                for (ByteString sp : UnknownFieldSet.parseFrom(ss).getField(2).getLengthDelimitedList()) {
                    UnknownFieldSet span = UnknownFieldSet.parseFrom(sp);
                    out.add(new WireSpan(service, hex(span, 1), hex(span, 2), hex(span, 4), string(span, 5),
                            span.getField(6).getVarintList().isEmpty() ? 0 : span.getField(6).getVarintList().getFirst()));
                }
            }
        }
        return out;
    }

    private static String string(UnknownFieldSet m, int field) {
        List<ByteString> v = m.getField(field).getLengthDelimitedList();
        return v.isEmpty() ? "" : v.getFirst().toStringUtf8();
    }

    private static String hex(UnknownFieldSet m, int field) {
        List<ByteString> v = m.getField(field).getLengthDelimitedList();
        return v.isEmpty() ? "" : HexFormat.of().formatHex(v.getFirst().toByteArray());
    }
}
