package io.switchboard.server.web;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serial;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * grpc-web on the API's own port, so a browser (or any HTTP/1.1 client) calls the API without a proxy. A
 * {@code POST /<service>/<method>} with a grpc-web content type is decoded, sent through an in-process
 * channel to the very same service instances, behind the very same interceptors (authentication, rate limit,
 * error mapping, metrics) as the gRPC routing, and its answer streamed back as grpc-web frames: one flush
 * per message, then the trailer frame with the status. Unary and server-streaming calls only; a
 * client-streaming or bidirectional method is answered UNIMPLEMENTED. Owns the in-process server and channel.
 *
 * <p>A browser that goes away mid-stream is noticed when the next frame is written, and the call is
 * cancelled then; until then a quiet stream is bounded by its {@code grpc-timeout}, if any, and by the
 * service's own end (a watched call ends).
 */
public final class GrpcWebBridge implements HttpService, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GrpcWebBridge.class.getName());
    private static final String PATH = "/{service}/{method}";
    /** Carries the HTTP client's address to {@link RemotePeer}; never copied from a request (see {@link #forwarded}). */
    private static final Metadata.Key<String> PEER = Metadata.Key.of("switchboard-grpc-web-peer",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Pattern TIMEOUT = Pattern.compile("(\\d{1,8})([HMSmun])");
    private static final HeaderName GRPC_TIMEOUT = HeaderNames.create("grpc-timeout");
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("could not read a message").withCause(e).asRuntimeException();
            }
        }
    };

    private final Server server;
    private final ManagedChannel channel;
    private final ExecutorService executor;
    private final Map<String, MethodDescriptor<byte[], byte[]>> methods;
    private final GrpcWebCors cors;
    private final int maxMessageBytes;

    private GrpcWebBridge(Server server, ManagedChannel channel, ExecutorService executor,
                          Map<String, MethodDescriptor<byte[], byte[]>> methods, GrpcWebCors cors, int maxMessageBytes) {
        this.server = server;
        this.channel = channel;
        this.executor = executor;
        this.methods = methods;
        this.cors = cors;
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * @param services        the service instances the gRPC routing serves
     * @param interceptors    the gRPC routing's interceptors, outermost first (the order in which
     *                        {@code GrpcRouting.Builder.intercept} calls apply them)
     * @param maxMessageBytes the largest request message, as for gRPC
     */
    public static GrpcWebBridge start(List<BindableService> services, List<ServerInterceptor> interceptors,
                                      GrpcWebCors cors, int maxMessageBytes) {
        String name = InProcessServerBuilder.generateName();
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("grpc-web-", 0).factory());
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name).executor(executor)
                .intercept(new RemotePeer());
        // grpc-java runs the last interceptor given first
        List<ServerInterceptor> innermostFirst = interceptors.reversed();
        List<MethodDescriptor<?, ?>> served = new ArrayList<>();
        for (BindableService service : services) {
            var definition = service.bindService();
            definition.getMethods().forEach(m -> served.add(m.getMethodDescriptor()));
            builder.addService(ServerInterceptors.intercept(definition, innermostFirst));
        }
        Server server;
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new IllegalStateException("the in-process gRPC server for grpc-web did not start", e);
        }
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor()
                .maxInboundMessageSize(Integer.MAX_VALUE).build();
        Map<String, MethodDescriptor<byte[], byte[]>> methods = served.stream().collect(Collectors.toUnmodifiableMap(
                MethodDescriptor::getFullMethodName, m -> MethodDescriptor.newBuilder(BYTES, BYTES)
                        .setType(m.getType()).setFullMethodName(m.getFullMethodName()).build()));
        return new GrpcWebBridge(server, channel, executor, methods, cors, maxMessageBytes);
    }

    /** Whether {@code contentType} is one of grpc-web's, in any encoding ({@code application/grpc-web*}). */
    public static boolean isGrpcWeb(String contentType) {
        return contentType.strip().toLowerCase(Locale.ROOT).startsWith("application/grpc-web");
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post(PATH, this::call)
                .options(PATH, this::preflight);
    }

    private void preflight(ServerRequest req, ServerResponse res) {
        if (!cors.preflight(req, res)) {
            res.next();
        }
    }

    private void call(ServerRequest req, ServerResponse res) {
        try {
            answer(req, res);
        } catch (ClientGone e) {
            LOG.log(Level.FINE, "a grpc-web client went away before its answer", e.getCause());
        }
    }

    private void answer(ServerRequest req, ServerResponse res) {
        String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("");
        if (!isGrpcWeb(contentType)) {
            res.next();
            return;
        }
        String fullName = req.path().pathParameters().get("service") + "/" + req.path().pathParameters().get("method");
        MethodDescriptor<byte[], byte[]> method = methods.get(fullName);
        Optional<Encoding> encoding = Encoding.of(contentType);
        Answer answer = new Answer(res, encoding.orElse(Encoding.BINARY),
                method != null && method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING);
        if (!cors.admit(req, res)) {
            res.status(io.helidon.http.Status.FORBIDDEN_403);
            answer.close(Status.PERMISSION_DENIED.withDescription("origin " + req.headers().first(HeaderNames.ORIGIN)
                    .orElse("") + " may not call this API (server.grpc-web.cors.allowed-origins)"), new Metadata());
            return;
        }
        try {
            if (encoding.isEmpty()) {
                throw Status.UNIMPLEMENTED.withDescription("content type " + contentType + " is not served: use"
                        + " application/grpc-web+proto or application/grpc-web-text+proto").asException();
            }
            if (method == null) {
                throw Status.UNIMPLEMENTED.withDescription("unknown method " + fullName).asException();
            }
            if (!method.getType().clientSendsOneMessage()) {
                throw Status.UNIMPLEMENTED.withDescription(fullName + " is a " + method.getType().name()
                        .toLowerCase(Locale.ROOT).replace('_', '-') + " method: grpc-web carries unary and"
                        + " server-streaming calls only; call it over gRPC (HTTP/2)").asException();
            }
            CallOptions options = timeout(req).map(nanos -> CallOptions.DEFAULT.withDeadlineAfter(nanos,
                    TimeUnit.NANOSECONDS)).orElse(CallOptions.DEFAULT);
            Metadata headers = metadata(req);
            Encoding in = encoding.get();
            byte[] body = body(req, in);
            byte[] message = GrpcWebFrames.requestMessage(in == Encoding.TEXT ? GrpcWebFrames.fromText(body) : body,
                    maxMessageBytes);
            forward(method, options, headers, message, answer);
        } catch (StatusException e) {
            answer.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
        }
    }

    /** Runs the call in process and streams its answer; cancels it if the HTTP client goes away first. */
    private void forward(MethodDescriptor<byte[], byte[]> method, CallOptions options, Metadata headers,
                         byte[] message, Answer answer) {
        ClientCall<byte[], byte[]> call = channel.newCall(method, options);
        Exchange exchange = new Exchange();
        boolean closed = false;
        try {
            call.start(exchange, headers);
            call.sendMessage(message);
            call.halfClose();
            call.request(1);
            while (!closed) {
                switch (exchange.events.take()) {
                    case Event.Headers h -> answer.headers(h.metadata());
                    case Event.Message m -> {
                        answer.message(m.bytes());
                        call.request(1);
                    }
                    case Event.Closed c -> {
                        closed = true;
                        answer.close(c.status(), c.trailers());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!closed) {
                call.cancel("the grpc-web client went away", null);
            }
        }
    }

    /**
     * The request body, refused with RESOURCE_EXHAUSTED beyond one frame of the largest message (in base64
     * for -text, with room for chunks padded on their own) before it is all read.
     */
    private byte[] body(ServerRequest req, Encoding encoding) throws StatusException {
        long frame = GrpcWebFrames.PREFIX + (long) maxMessageBytes;
        long limit = encoding == Encoding.TEXT ? 2 * 4 * ((frame + 2) / 3) : frame;
        var length = req.headers().contentLength();
        if (length.isPresent() && length.getAsLong() > limit) {
            throw tooLarge();
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw Status.CANCELLED.withDescription("the request body could not be read").withCause(e).asException();
        }
    }

    private StatusException tooLarge() {
        return Status.RESOURCE_EXHAUSTED.withDescription("the request body is over the limit: a request message may"
                + " have at most " + maxMessageBytes + " bytes").asException();
    }

    /** The {@code grpc-timeout} header in nanoseconds (gRPC's format: up to 8 digits and a unit). */
    private static Optional<Long> timeout(ServerRequest req) throws StatusException {
        Optional<String> header = req.headers().first(GRPC_TIMEOUT);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = TIMEOUT.matcher(header.get().strip());
        if (!m.matches()) {
            throw Status.INVALID_ARGUMENT.withDescription("malformed grpc-timeout '" + header.get()
                    + "': up to 8 digits and a unit H, M, S, m, u or n, e.g. 5S").asException();
        }
        long amount = Long.parseLong(m.group(1));
        TimeUnit unit = switch (m.group(2)) {
            case "H" -> TimeUnit.HOURS;
            case "M" -> TimeUnit.MINUTES;
            case "S" -> TimeUnit.SECONDS;
            case "m" -> TimeUnit.MILLISECONDS;
            case "u" -> TimeUnit.MICROSECONDS;
            default -> TimeUnit.NANOSECONDS;
        };
        return Optional.of(unit.toNanos(amount));
    }

    /**
     * The request headers a gRPC client would send as metadata: the credentials, trace context and custom
     * {@code x-} headers ({@code -bin} ones base64-decoded). HTTP's own headers, CORS and grpc-web's markers
     * stay behind. Adds the client's address for {@link RemotePeer}.
     */
    private static Metadata metadata(ServerRequest req) throws StatusException {
        Metadata metadata = new Metadata();
        for (var header : req.headers()) {
            String name = header.headerName().lowerCase();
            if (!forwarded(name)) {
                continue;
            }
            for (String value : header.allValues()) {
                try {
                    if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                        metadata.put(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER),
                                Base64.getDecoder().decode(value.strip()));
                    } else {
                        metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
                    }
                } catch (IllegalArgumentException e) {
                    throw Status.INVALID_ARGUMENT.withDescription("header " + name + " cannot be gRPC metadata: "
                            + e.getMessage()).asException();
                }
            }
        }
        metadata.put(PEER, String.valueOf(req.remotePeer().address()));
        return metadata;
    }

    private static boolean forwarded(String name) {
        return switch (name) {
            case "authorization", "traceparent", "tracestate" -> true;
            case "x-grpc-web", "x-user-agent" -> false;
            default -> name.startsWith("x-");
        };
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }

    /** grpc-web's two encodings of the same frames, each answered in kind. */
    private enum Encoding {
        BINARY("application/grpc-web+proto"),
        TEXT("application/grpc-web-text+proto");

        final String contentType;

        Encoding(String contentType) {
            this.contentType = contentType;
        }

        /** Empty for a codec other than protobuf ({@code +json}, ...). */
        static Optional<Encoding> of(String contentType) {
            return switch (contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT)) {
                case "application/grpc-web", "application/grpc-web+proto" -> Optional.of(BINARY);
                case "application/grpc-web-text", "application/grpc-web-text+proto" -> Optional.of(TEXT);
                default -> Optional.empty();
            };
        }
    }

    /** What the in-process call reports, in order, to the HTTP handler's thread. */
    private sealed interface Event {
        record Headers(Metadata metadata) implements Event {
        }

        record Message(byte[] bytes) implements Event {
        }

        record Closed(Status status, Metadata trailers) implements Event {
        }
    }

    private static final class Exchange extends ClientCall.Listener<byte[]> {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

        @Override
        public void onHeaders(Metadata headers) {
            events.add(new Event.Headers(headers));
        }

        @Override
        public void onMessage(byte[] message) {
            events.add(new Event.Message(message));
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            events.add(new Event.Closed(status, trailers));
        }
    }

    /** The HTTP client is gone: writing its answer failed. */
    private static final class ClientGone extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        ClientGone(Exception cause) {
            super(cause);
        }
    }

    /**
     * The HTTP side of one call. A unary answer is sent whole (with a content length); a server stream is
     * written and flushed frame by frame. The status always goes in the trailer frame of the body, also for
     * an answer without messages: browsers cannot always read headers, and grpc-web's JavaScript client would
     * report a status found in both places twice.
     */
    private static final class Answer {
        private final ServerResponse res;
        private final Encoding encoding;
        private final boolean streaming;
        private final ByteArrayOutputStream whole = new ByteArrayOutputStream();
        private OutputStream out;

        Answer(ServerResponse res, Encoding encoding, boolean streaming) {
            this.res = res;
            this.encoding = encoding;
            this.streaming = streaming;
            res.header(HeaderNames.CONTENT_TYPE, encoding.contentType);
        }

        /** The call's initial metadata, as response headers (before anything is written). */
        void headers(Metadata metadata) {
            if (out != null) {
                return;
            }
            for (String key : metadata.keys()) {
                if (!key.equals("content-type") && !key.startsWith("grpc-")) {
                    List<String> values = new ArrayList<>();
                    GrpcWebFrames.values(metadata, key).forEach(values::add);
                    res.header(HeaderNames.create(key), values.toArray(String[]::new));
                }
            }
        }

        void message(byte[] message) {
            write(GrpcWebFrames.data(message));
        }

        void close(Status status, Metadata trailers) {
            write(GrpcWebFrames.trailers(status, trailers));
            try {
                if (streaming) {
                    out.close();
                } else {
                    res.send(whole.toByteArray());
                }
            } catch (IOException | RuntimeException e) {
                throw new ClientGone(e);
            }
        }

        private void write(byte[] frame) {
            byte[] bytes = encoding == Encoding.TEXT ? GrpcWebFrames.text(frame) : frame;
            if (!streaming) {
                whole.writeBytes(bytes);
                return;
            }
            try {
                if (out == null) {
                    out = res.outputStream();
                }
                out.write(bytes);
                out.flush();
            } catch (IOException | RuntimeException e) {
                throw new ClientGone(e);
            }
        }
    }

    /**
     * Gives each in-process call the transport address of its HTTP client, so that authentication and the
     * audit trail see the browser's address as they see a gRPC client's.
     */
    private static final class RemotePeer implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                          ServerCallHandler<Q, R> next) {
            String peer = headers.get(PEER);
            headers.removeAll(PEER);
            if (peer == null) {
                return next.startCall(call, headers);
            }
            Attributes attributes = call.getAttributes().toBuilder()
                    .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, new HttpPeer(peer)).build();
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public Attributes getAttributes() {
                    return attributes;
                }
            }, headers);
        }
    }

    /** An HTTP client's address as the webserver reported it. */
    private static final class HttpPeer extends SocketAddress {
        @Serial
        private static final long serialVersionUID = 1L;
        private final String address;

        HttpPeer(String address) {
            this.address = address;
        }

        @Override
        public String toString() {
            return address;
        }
    }
}
