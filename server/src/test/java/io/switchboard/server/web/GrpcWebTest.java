package io.switchboard.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Empty;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.switchboard.server.ApiHarness;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AuditEntry;
import io.switchboard.v1.AuditFilter;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.GetAgentRequest;
import io.switchboard.v1.ImportContactsRequest;
import io.switchboard.v1.ListAgentsRequest;
import io.helidon.webserver.grpc.GrpcConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * grpc-web as a browser speaks it, over real HTTP against a real server on the shared test database: protobuf
 * messages from the generated classes in grpc-web frames, answers read frame by frame, statuses from the
 * trailer frame. The server also serves a test-only ticking stream, to watch live delivery, deadlines and a
 * client that goes away.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcWebTest {

    private static final String ALLOWED = "https://console.example.com";
    private static final String BINARY = "application/grpc-web+proto";
    private static final String TEXT = "application/grpc-web-text+proto";

    private final Ticker ticker = new Ticker();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Fixtures fixtures;
    private SwitchboardServer server;
    private String key;

    @BeforeAll
    void startServer() {
        fixtures = Fixtures.fresh();
        server = SwitchboardServer.builder().controlPlane(fixtures.plane).addService(ticker)
                .cors(new GrpcWebCors(List.of(ALLOWED, "http://localhost:*")))
                .listener(io.switchboard.server.Listener.plaintext("127.0.0.1", 0)).start();
    }

    @AfterAll
    void stopServer() {
        server.close();
    }

    @BeforeEach
    void newTenant() {
        key = fixtures.tenant("Web " + System.nanoTime(), "growth").ownerKey();
    }

    @Test
    void unaryBinaryCallsCreateAndGetAnAgent() throws Exception {
        Answer created = call("switchboard.v1.AgentService/CreateAgent", BINARY, key, agent("Sales"));
        assertEquals(200, created.http());
        assertEquals(BINARY, created.contentType());
        assertEquals("0", created.trailers().get("grpc-status"), created.trailers().toString());
        Agent agent = Agent.parseFrom(created.single());
        assertEquals("Sales", agent.getName());

        Answer got = call("switchboard.v1.AgentService/GetAgent", BINARY, key,
                GetAgentRequest.newBuilder().setId(agent.getId()).build());
        assertEquals(agent, Agent.parseFrom(got.single()));
        assertEquals("0", got.trailers().get("grpc-status"));
    }

    @Test
    void unaryTextCallsRoundTripInBase64EvenFromSeparatelyPaddedChunks() throws Exception {
        byte[] frame = frame(agent("Support").toByteArray());
        // the way a client streaming its body may send it: two chunks, each padded on its own
        String body = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(frame, 0, 4))
                + Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(frame, 4, frame.length));
        assertTrue(body.indexOf('=') < body.length() - 2, "the first chunk is padded: " + body);
        Answer created = send("switchboard.v1.AgentService/CreateAgent", TEXT, key,
                body.getBytes(StandardCharsets.US_ASCII), Map.of());
        assertEquals(TEXT, created.contentType());
        Agent agent = Agent.parseFrom(created.single());
        assertEquals("Support", agent.getName());

        Answer got = call("switchboard.v1.AgentService/GetAgent", TEXT, key,
                GetAgentRequest.newBuilder().setId(agent.getId()).build());
        assertEquals(agent, Agent.parseFrom(got.single()));
        assertEquals("0", got.trailers().get("grpc-status"));
    }

    @Test
    void serverStreamingDeliversEveryMessageThenTrailersWithTheBrowsersAddress() throws Exception {
        for (String name : List.of("One", "Two", "Three")) {
            call("switchboard.v1.AgentService/CreateAgent", BINARY, key, agent(name));
        }
        Answer export = call("switchboard.v1.AuditService/ExportAuditEntries", BINARY, key,
                AuditFilter.newBuilder().setAction("agent.create").build());
        assertEquals("0", export.trailers().get("grpc-status"), export.trailers().toString());
        List<AuditEntry> entries = new ArrayList<>();
        for (byte[] m : export.messages()) {
            entries.add(AuditEntry.parseFrom(m));
        }
        assertEquals(3, entries.size(), entries.toString());
        for (AuditEntry e : entries) {
            assertTrue(e.getRemoteAddress().startsWith("/127.0.0.1:"), "the HTTP client's address: " + e);
        }
    }

    @Test
    void aTextStreamEndsAtItsDeadline() throws Exception {
        long started = System.nanoTime();
        Answer ticks = send(Ticker.METHOD, TEXT, key, Base64.getEncoder().encode(frame(Int64Value.of(7).toByteArray())),
                Map.of("grpc-timeout", "300m"));
        assertEquals("4", ticks.trailers().get("grpc-status"), ticks.trailers().toString());
        assertTrue(ticks.messages().size() >= 2, "ticks before the deadline: " + ticks.messages().size());
        assertEquals(Int64Value.of(1), Int64Value.parseFrom(ticks.messages().get(1)));
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5));
        assertTrue(ticker.cancelled(7).await(5, TimeUnit.SECONDS), "the deadline reached the service");
    }

    @Test
    void aBrowserThatGoesAwayCancelsTheStream() throws Exception {
        HttpResponse<InputStream> res = http.send(request(Ticker.METHOD, BINARY, key,
                frame(Int64Value.of(42).toByteArray()), Map.of()), HttpResponse.BodyHandlers.ofInputStream());
        try (DataInputStream in = new DataInputStream(res.body())) {
            for (int tick = 0; tick < 2; tick++) {
                // the stream never ends by itself: these frames can only arrive if each was flushed as it came
                assertEquals(0, in.readByte());
                assertEquals(Int64Value.of(tick), Int64Value.parseFrom(in.readNBytes(in.readInt())));
            }
        }
        assertTrue(ticker.cancelled(42).await(10, TimeUnit.SECONDS), "the service saw the call cancelled");
    }

    @Test
    void missingOrBadKeyIsUnauthenticatedInTheTrailerFrame() throws Exception {
        Answer none = call("switchboard.v1.AgentService/ListAgents", BINARY, null, ListAgentsRequest.getDefaultInstance());
        assertEquals(200, none.http());
        assertTrue(none.messages().isEmpty());
        assertEquals("16", none.trailers().get("grpc-status"));
        assertTrue(none.message().contains("authorization: Bearer"), none.message());
        Answer bad = call("switchboard.v1.AgentService/ListAgents", TEXT, "sb_nope", ListAgentsRequest.getDefaultInstance());
        assertEquals("16", bad.trailers().get("grpc-status"));
    }

    @Test
    void anotherOrganisationsAgentIsNotFound() throws Exception {
        Agent theirs = Agent.parseFrom(call("switchboard.v1.AgentService/CreateAgent", BINARY, key, agent("Theirs"))
                .single());
        String other = fixtures.tenant("Other " + System.nanoTime(), "growth").ownerKey();
        Answer answer = call("switchboard.v1.AgentService/GetAgent", BINARY, other,
                GetAgentRequest.newBuilder().setId(theirs.getId()).build());
        assertEquals("5", answer.trailers().get("grpc-status"), answer.trailers().toString());
    }

    @Test
    void invalidArgumentNamesTheFieldInMessageAndDetails() throws Exception {
        Answer answer = call("switchboard.v1.AgentService/CreateAgent", BINARY, key,
                CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setLanguage("en-US")).build());
        assertEquals("3", answer.trailers().get("grpc-status"));
        assertTrue(answer.message().contains("agent.name"), answer.message());
        String details = answer.trailers().get("grpc-status-details-bin");
        assertNotNull(details, answer.trailers().toString());
        com.google.rpc.Status status = com.google.rpc.Status.parseFrom(Base64.getDecoder().decode(details));
        assertEquals(3, status.getCode());
        List<String> fields = status.getDetailsList().stream().filter(a -> a.is(BadRequest.class)).flatMap(a -> {
            try {
                return a.unpack(BadRequest.class).getFieldViolationsList().stream();
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }).map(BadRequest.FieldViolation::getField).toList();
        assertTrue(fields.contains("agent.name"), fields.toString());
    }

    @Test
    void clientStreamingAndUnknownMethodsAreUnimplemented() throws Exception {
        Answer upload = call("switchboard.v1.ContactService/ImportContacts", BINARY, key,
                ImportContactsRequest.getDefaultInstance());
        assertEquals("12", upload.trailers().get("grpc-status"));
        assertTrue(upload.message().contains("client-streaming") && upload.message().contains("grpc-web"),
                upload.message());
        Answer unknown = call("switchboard.v1.AgentService/Nope", BINARY, key, Empty.getDefaultInstance());
        assertEquals("12", unknown.trailers().get("grpc-status"));
    }

    @Test
    void malformedBodiesGetAClearStatus() throws Exception {
        byte[] truncated = java.util.Arrays.copyOf(frame(agent("Cut").toByteArray()), 9);
        Answer cut = send("switchboard.v1.AgentService/CreateAgent", BINARY, key, truncated, Map.of());
        assertEquals("3", cut.trailers().get("grpc-status"));
        assertTrue(cut.message().startsWith("malformed grpc-web request: the request body ends inside its message"),
                cut.message());
        Answer notBase64 = send("switchboard.v1.AgentService/CreateAgent", TEXT, key,
                "AAAA*AAA".getBytes(StandardCharsets.US_ASCII), Map.of());
        assertEquals("3", notBase64.trailers().get("grpc-status"));
        assertTrue(notBase64.message().contains("not base64"), notBase64.message());
        Answer empty = send("switchboard.v1.AgentService/ListAgents", BINARY, key, new byte[0], Map.of());
        assertEquals("3", empty.trailers().get("grpc-status"));
    }

    @Test
    void aRequestOverTheMessageLimitIsResourceExhausted() throws Exception {
        int limit = GrpcConfig.create().maxReadBufferSize();
        CreateAgentRequest huge = CreateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setName("Big").setSystemPrompt("x".repeat(limit))).build();
        Answer answer = call("switchboard.v1.AgentService/CreateAgent", BINARY, key, huge);
        assertEquals("8", answer.trailers().get("grpc-status"));
        assertTrue(answer.message().contains(Integer.toString(limit)), answer.message());
    }

    @Test
    void preflightAnswersAllowedOriginsOnly() throws Exception {
        for (String origin : List.of(ALLOWED, "http://localhost:5173", "http://127.0.0.1:" + server.port())) {
            HttpResponse<String> ok = preflight(origin);
            assertEquals(204, ok.statusCode(), origin);
            assertEquals(origin, ok.headers().firstValue("access-control-allow-origin").orElseThrow());
            assertEquals("POST", ok.headers().firstValue("access-control-allow-methods").orElseThrow());
            String allowed = ok.headers().firstValue("access-control-allow-headers").orElseThrow();
            for (String h : List.of("authorization", "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout",
                    "traceparent", "x-request-id")) {
                assertTrue(allowed.contains(h), allowed);
            }
        }
        for (String origin : List.of("https://evil.example", "https://console.example.com.evil.example",
                "http://localhost.evil.example:80")) {
            HttpResponse<String> refused = preflight(origin);
            assertEquals(403, refused.statusCode(), origin);
            assertTrue(refused.headers().firstValue("access-control-allow-origin").isEmpty());
        }
    }

    @Test
    void callsFromAnAllowedOriginMayReadTheStatusAndOthersAreRefused() throws Exception {
        Answer allowed = send("switchboard.v1.AgentService/ListAgents", BINARY, key,
                frame(ListAgentsRequest.getDefaultInstance().toByteArray()), Map.of("origin", ALLOWED));
        assertEquals("0", allowed.trailers().get("grpc-status"));
        assertEquals(ALLOWED, allowed.headers().firstValue("access-control-allow-origin").orElseThrow());
        assertTrue(allowed.headers().firstValue("access-control-expose-headers").orElseThrow()
                .contains("grpc-status-details-bin"));

        Answer refused = send("switchboard.v1.AgentService/CreateAgent", BINARY, key,
                frame(agent("Forged").toByteArray()), Map.of("origin", "https://evil.example"));
        assertEquals(403, refused.http());
        assertEquals("7", refused.trailers().get("grpc-status"));
        assertTrue(refused.headers().firstValue("access-control-allow-origin").isEmpty());
        assertEquals(0, AgentServiceGrpc.newBlockingStub(grpcChannel()).withCallCredentials(ApiHarness.bearer(key))
                .listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsCount(), "nothing was created");
    }

    @Test
    void plainGrpcStillServesTheSamePortAndOtherPostsPassThrough() throws Exception {
        Agent web = Agent.parseFrom(call("switchboard.v1.AgentService/CreateAgent", BINARY, key, agent("Web")).single());
        ManagedChannel channel = grpcChannel();
        try {
            var agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(ApiHarness.bearer(key));
            assertEquals(List.of(web.getId()), agents.listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList()
                    .stream().map(Agent::getId).toList());
        } finally {
            channel.shutdownNow();
        }
        HttpResponse<String> json = http.send(HttpRequest.newBuilder(uri("not/grpc-web"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, json.statusCode());
    }

    @Test
    void grpcWebOverHttp2WithPriorKnowledgeIsNotTakenForGrpc() throws Exception {
        Http2Client h2 = Http2Client.builder().baseUri("http://127.0.0.1:" + server.port())
                .protocolConfig(Http2ClientProtocolConfig.builder().priorKnowledge(true).build()).build();
        for (String type : List.of(BINARY, TEXT)) {
            byte[] body = frame(agent("H2 " + type.length()).toByteArray());
            try (Http2ClientResponse res = h2.post("/switchboard.v1.AgentService/CreateAgent")
                    .header(HeaderNames.CONTENT_TYPE, type)
                    .header(HeaderNames.create("authorization"), "Bearer " + key)
                    .submit(type.equals(TEXT) ? Base64.getEncoder().encode(body) : body)) {
                assertEquals(200, res.status().code());
                assertEquals(type, res.headers().first(HeaderNames.CONTENT_TYPE).orElseThrow());
                Answer answer = Answer.parse(200, null, type, res.as(byte[].class));
                assertEquals("0", answer.trailers().get("grpc-status"), answer.trailers().toString());
                assertEquals("H2 " + type.length(), Agent.parseFrom(answer.single()).getName());
            }
        }
    }

    private ManagedChannel grpcChannel() {
        return NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @Test
    void refusedCallsAreCountedInTheRpcMetricsToo() throws Exception {
        Answer refused = call("switchboard.v1.AgentService/ListAgents", BINARY, "sb_not_a_key",
                io.switchboard.v1.ListAgentsRequest.getDefaultInstance());
        assertEquals("16", refused.trailers().get("grpc-status"));
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/observe/metrics")).header("accept", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith("switchboard_rpc_requests_total{")
                        && l.contains("code=\"UNAUTHENTICATED\"") && l.contains("ListAgents")),
                "refusals by authentication are counted: " + metrics.body().lines()
                        .filter(l -> l.startsWith("switchboard_rpc_requests_total")).toList());
    }

    private static CreateAgentRequest agent(String name) {
        return CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName(name).setLanguage("en-US")).build();
    }

    private static byte[] frame(byte[] message) {
        return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    }

    private URI uri(String method) {
        return URI.create("http://127.0.0.1:" + server.port() + "/" + method);
    }

    private HttpResponse<String> preflight(String origin) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri("switchboard.v1.AgentService/CreateAgent"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization,content-type,x-grpc-web,x-request-id")
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private Answer call(String method, String type, String apiKey, Message request)
            throws IOException, InterruptedException {
        byte[] body = frame(request.toByteArray());
        return send(method, type, apiKey, type.equals(TEXT) ? Base64.getEncoder().encode(body) : body, Map.of());
    }

    private Answer send(String method, String type, String apiKey, byte[] body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> res = http.send(request(method, type, apiKey, body, headers),
                HttpResponse.BodyHandlers.ofByteArray());
        return Answer.parse(res.statusCode(), res.headers(), res.headers().firstValue("content-type").orElse(""),
                res.body());
    }

    private HttpRequest request(String method, String type, String apiKey, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(method))
                .header("content-type", type)
                .header("x-grpc-web", "1")
                .header("x-user-agent", "grpc-web-javascript/0.1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (apiKey != null) {
            b.header("authorization", "Bearer " + apiKey);
        }
        headers.forEach(b::header);
        return b.build();
    }

    /** A grpc-web answer taken apart: its data frames' messages and its trailer frame's lines. */
    record Answer(int http, java.net.http.HttpHeaders headers, String contentType, List<byte[]> messages,
                  Map<String, String> trailers) {

        static Answer parse(int http, java.net.http.HttpHeaders headers, String contentType, byte[] body)
                throws IOException {
            byte[] frames = contentType.startsWith("application/grpc-web-text") ? fromText(body) : body;
            List<byte[]> messages = new ArrayList<>();
            Map<String, String> trailers = new LinkedHashMap<>();
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(frames));
            while (in.available() > 0) {
                int flags = in.readUnsignedByte();
                byte[] payload = in.readNBytes(in.readInt());
                if (flags == 0x80) {
                    assertEquals(0, in.available(), "the trailer frame comes last");
                    for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
                        int colon = line.indexOf(':');
                        trailers.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
                    }
                } else {
                    assertEquals(0, flags);
                    messages.add(payload);
                }
            }
            assertFalse(trailers.isEmpty(), "every answer ends with a trailer frame");
            return new Answer(http, headers, contentType, messages, trailers);
        }

        /** Base64 written chunk by chunk, each chunk padded on its own. */
        private static byte[] fromText(byte[] body) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String chunk : new String(body, StandardCharsets.US_ASCII).split("(?<==)(?=[^=])")) {
                out.writeBytes(Base64.getDecoder().decode(chunk));
            }
            return out.toByteArray();
        }

        byte[] single() {
            assertEquals(1, messages.size(), () -> "one message; trailers " + trailers);
            return messages.get(0);
        }

        /** grpc-message, percent-decoded. */
        String message() {
            byte[] raw = trailers.getOrDefault("grpc-message", "").getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == '%') {
                    out.write(Integer.parseInt(new String(raw, i + 1, 2, StandardCharsets.US_ASCII), 16));
                    i += 2;
                } else {
                    out.write(raw[i]);
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** test.Ticker/Tick: 0, 1, 2, ... every 20 ms until cancelled; remembers which streams were cancelled. */
    static final class Ticker implements BindableService {
        static final String METHOD = "test.Ticker/Tick";
        private final Map<Long, CountDownLatch> cancelled = new java.util.concurrent.ConcurrentHashMap<>();

        /** Counts down when the stream opened with {@code id} is cancelled. */
        CountDownLatch cancelled(long id) {
            return cancelled.computeIfAbsent(id, k -> new CountDownLatch(1));
        }

        @Override
        public ServerServiceDefinition bindService() {
            MethodDescriptor<Int64Value, Int64Value> tick = MethodDescriptor.<Int64Value, Int64Value>newBuilder()
                    .setType(MethodDescriptor.MethodType.SERVER_STREAMING).setFullMethodName(METHOD)
                    .setRequestMarshaller(ProtoUtils.marshaller(Int64Value.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(Int64Value.getDefaultInstance())).build();
            return ServerServiceDefinition.builder("test.Ticker")
                    .addMethod(tick, ServerCalls.asyncServerStreamingCall((id, out) -> {
                        var call = (ServerCallStreamObserver<Int64Value>) out;
                        call.setOnCancelHandler(() -> cancelled(id.getValue()).countDown());
                        Thread.ofVirtual().start(() -> {
                            for (long n = 0; !call.isCancelled(); n++) {
                                call.onNext(Int64Value.of(n));
                                try {
                                    Thread.sleep(Duration.ofMillis(20));
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        });
                    })).build();
        }
    }
}
