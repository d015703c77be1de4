package io.switchboard.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.devtools.AskedAgain;

/**
 * A web page on the browser talk socket, as the console's panel behaves, for the end-to-end tests: sends 16 kHz
 * PCM16 in real time (20 ms frames), plays the agent's audio (echoing each mark once the audio before it has
 * played, dropping what it has not played on a {@code clear}) and answers its script once the agent has been quiet
 * for a moment. Every control message the server sent is kept.
 */
final class TalkSocket implements WebSocket.Listener {

    static final int RATE = 16_000;
    private static final int FRAME = RATE / 50;
    private static final int QUIET_BEFORE_ANSWER = 700 / 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<JsonNode> messages = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>(); // short[] audio or JsonNode
    private final CompletableFuture<JsonNode> accepted = new CompletableFuture<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final CompletableFuture<Void> agentAudio = new CompletableFuture<>();
    private final Deque<Object> playing = new ArrayDeque<>(); // short[] chunks and String marks, in order
    private final StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    private WebSocket socket;
    private volatile String closeReason = "";
    private int headOffset;
    private int marksEchoed;
    private int clears;
    private long heardSamples;

    /** Opens the socket; {@code origin} as a browser page would send it, or none. */
    static TalkSocket connect(int port, String token, Optional<String> origin) throws Exception {
        TalkSocket t = new TalkSocket();
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        origin.ifPresent(o -> b.header("Origin", o));
        t.socket = b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/talk?token=" + token), t)
                .get(30, TimeUnit.SECONDS);
        return t;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            try {
                JsonNode m = JSON.readTree(text.toString());
                messages.add(m);
                inbox.add(m);
                if (m.path("type").asText().equals("accepted")) {
                    accepted.complete(m);
                }
                if (m.path("type").asText().equals("error")) {
                    accepted.completeExceptionally(new AssertionError("refused: " + m));
                }
            } catch (Exception e) {
                closed.completeExceptionally(e);
            }
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        binary.writeBytes(b);
        if (last) {
            byte[] all = binary.toByteArray();
            binary = new java.io.ByteArrayOutputStream();
            short[] s = new short[all.length / 2];
            ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
            inbox.add(s);
            agentAudio.complete(null);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        accepted.completeExceptionally(new AssertionError("closed " + statusCode + " " + reason + ": " + messages));
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        accepted.completeExceptionally(error);
        closed.completeExceptionally(error);
    }

    JsonNode awaitAccepted() throws Exception {
        try {
            return accepted.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof AssertionError a) {
                throw a;
            }
            throw e;
        }
    }

    /** Waits for the first frame of the agent's audio. */
    void awaitAgentAudio() throws Exception {
        agentAudio.get(60, TimeUnit.SECONDS);
    }

    /** Drops the connection without a close message, as a killed tab or a lost network does. */
    void abort() {
        socket.abort();
    }

    /** The close code, once the server closed the socket. */
    int awaitClosed() throws Exception {
        return closed.get(60, TimeUnit.SECONDS);
    }

    String closeReason() {
        return closeReason;
    }

    /** The first control message of {@code type}, once the socket has closed. */
    Optional<JsonNode> message(String type) {
        return messages.stream().filter(m -> m.path("type").asText().equals(type)).findFirst();
    }

    List<JsonNode> messages(String type) {
        return messages.stream().filter(m -> m.path("type").asText().equals(type)).toList();
    }

    void sendAudio(short[] pcm) {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(pcm);
        socket.sendBinary(b, true).join();
    }

    void sendRaw(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    void sendText(String json) {
        socket.sendText(json, true).join();
    }

    /** One text message sent in fragments, as a browser may split a long one. */
    void sendTextFragments(String... parts) {
        for (int i = 0; i < parts.length; i++) {
            socket.sendText(parts[i], i == parts.length - 1).join();
        }
    }

    /**
     * Talks in real time until the server ends the call (or {@code max} passes, then hangs up). Like a person, it says
     * a line again (once in the call) when the agent asks the question it answered once more: the flow's re-ask after
     * a no-match.
     */
    void converse(List<short[]> script, Duration max) throws Exception {
        long start = System.nanoTime();
        int next = 0;
        short[] speaking = null;
        AskedAgain<short[]> askedAgain = new AskedAgain<>(1);
        short[] again = null;
        int at = 0;
        int quiet = 0;
        boolean heardSinceAnswer = false;
        for (long tick = 0; !closed.isDone() && tick * 20 < max.toMillis(); tick++) {
            for (Object o; (o = inbox.poll()) != null; ) {
                if (o instanceof short[] audio) {
                    playing.addLast(audio);
                } else if (o instanceof JsonNode m && m.path("type").asText().equals("mark")) {
                    playing.addLast(m.path("name").asText());
                } else if (o instanceof JsonNode m && m.path("type").asText().equals("transcript")
                        && m.path("final").asBoolean() && m.path("speaker").asText().equals("agent")) {
                    Optional<short[]> repeat = askedAgain.agentSaid(m.path("text").asText(), m.path("start_ms").asLong());
                    if (repeat.isPresent()) {
                        again = repeat.get();
                    }
                } else if (o instanceof JsonNode m && m.path("type").asText().equals("clear")) {
                    clears++;
                    playing.removeIf(p -> p instanceof short[]);
                    headOffset = 0;
                }
            }
            if (play(FRAME)) {
                heardSinceAnswer = true;
                quiet = 0;
            } else {
                quiet++;
            }
            if (speaking == null && (again != null || next < script.size()) && heardSinceAnswer
                    && quiet >= QUIET_BEFORE_ANSWER) {
                speaking = again != null ? again : script.get(next++);
                again = null;
                askedAgain.said(speaking, tick * 20);
                at = 0;
                heardSinceAnswer = false;
            }
            short[] frame = new short[FRAME];
            if (speaking != null) {
                int n = Math.min(FRAME, speaking.length - at);
                System.arraycopy(speaking, at, frame, 0, n);
                at += n;
                if (at >= speaking.length) {
                    speaking = null;
                }
            }
            if (closed.isDone()) {
                break;
            }
            try {
                sendAudio(frame);
            } catch (java.util.concurrent.CompletionException e) {
                break; // the server ended the call while this frame was on its way
            }
            long wait = start + (tick + 1) * 20_000_000L - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        if (!closed.isDone()) {
            sendText("{\"type\":\"end\"}");
        }
        awaitClosed();
    }

    /** Plays up to {@code n} samples; echoes the marks reached. */
    private boolean play(int n) {
        boolean any = false;
        int left = n;
        while (!playing.isEmpty()) {
            Object head = playing.peekFirst();
            if (head instanceof String mark) {
                playing.removeFirst();
                marksEchoed++;
                sendText(JSON.createObjectNode().put("type", "mark").put("name", mark).toString());
                continue;
            }
            if (left == 0) {
                break;
            }
            short[] chunk = (short[]) head;
            int k = Math.min(left, chunk.length - headOffset);
            headOffset += k;
            left -= k;
            heardSamples += k;
            any = true;
            if (headOffset == chunk.length) {
                playing.removeFirst();
                headOffset = 0;
            }
        }
        return any;
    }

    int marksEchoed() {
        return marksEchoed;
    }

    int clears() {
        return clears;
    }

    long heardSamples() {
        return heardSamples;
    }

    /** Transcript lines the page was shown, as "speaker: text", finals only. */
    List<String> transcript() {
        List<String> out = new ArrayList<>();
        for (JsonNode m : messages("transcript")) {
            if (m.path("final").asBoolean()) {
                out.add(m.path("speaker").asText() + ": " + m.path("text").asText());
            }
        }
        return out;
    }

    static short[] silence(int ms) {
        return new short[RATE * ms / 1000];
    }

    static short[] concat(short[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        short[] out = new short[n];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
