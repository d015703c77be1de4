package io.switchboard.conversation.brain.llm;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local stand-in for a chat provider speaking the real wire formats: OpenAI's {@code /v1/chat/completions}
 * server-sent events ({@code data: {chunk}} lines, {@code delta.content}, tool-call deltas whose
 * {@code function.arguments} arrive in fragments, {@code finish_reason}, a usage chunk, {@code data: [DONE]}) and
 * Ollama's {@code /api/chat} NDJSON stream. Each request takes the next scripted {@link Reply}. Public for the
 * end-to-end tests (devtools), which run a whole stack against it.
 */
public final class FakeChatServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One scripted answer.
     *
     * @param delayMs  wait before the status line (a provider slow to its first token)
     * @param cutAfter when non-negative, the connection is dropped after this many frames, mid-stream
     */
    public record Reply(int status, Map<String, String> headers, String errorBody, List<String> frames, long delayMs,
                 int cutAfter, String contentType) {

        static Reply error(int status, Map<String, String> headers) {
            return new Reply(status, headers,
                    "{\"error\":{\"message\":\"scripted " + status + "\",\"type\":\"server_error\"}}", List.of(), 0,
                    -1, "application/json");
        }

        Reply delayed(long ms) {
            return new Reply(status, headers, errorBody, frames, ms, cutAfter, contentType);
        }

        Reply cutAfter(int frames) {
            return new Reply(status, headers, errorBody, this.frames, delayMs, frames, contentType);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final ConcurrentLinkedQueue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    public FakeChatServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/v1/chat/completions", this::answer);
        server.createContext("/api/chat", this::answer);
        server.start();
    }

    public String openAiBaseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    String ollamaBaseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void enqueue(Reply... r) {
        replies.addAll(List.of(r));
    }

    public List<JsonNode> requests() {
        return requests;
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.add(JSON.readTree(exchange.getRequestBody()));
            Reply reply = replies.poll();
            if (reply == null) {
                reply = Reply.error(500, Map.of());
            }
            if (reply.delayMs() > 0) {
                Thread.sleep(reply.delayMs());
            }
            reply.headers().forEach(exchange.getResponseHeaders()::add);
            if (reply.status() != 200) {
                byte[] body = reply.errorBody().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(reply.status(), body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", reply.contentType());
            if (reply.cutAfter() >= 0) {
                // promise far more than is sent, then drop the connection: the client sees the stream break
                exchange.sendResponseHeaders(200, 1_000_000);
            } else {
                exchange.sendResponseHeaders(200, 0);
            }
            OutputStream body = exchange.getResponseBody();
            for (int i = 0; i < reply.frames().size(); i++) {
                if (i == reply.cutAfter()) {
                    throw new IOException("scripted cut"); // closing short of the promised length drops it
                }
                body.write(reply.frames().get(i).getBytes(StandardCharsets.UTF_8));
                body.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the scripted cut, or a client that gave up on a slow reply; the connection closes either way
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- OpenAI chat-completions streaming -------------------------------------------------------------------

    /** Builds one streamed OpenAI completion chunk by chunk. */
    public static final class OpenAiStream {
        private final List<String> frames = new ArrayList<>();
        private int toolCalls;

        public OpenAiStream() {
            ObjectNode delta = JSON.createObjectNode().put("role", "assistant").put("content", "");
            frames.add(chunk(delta, null));
        }

        public OpenAiStream text(String... pieces) {
            for (String p : pieces) {
                frames.add(chunk(JSON.createObjectNode().put("content", p), null));
            }
            return this;
        }

        /** A tool call whose JSON arguments arrive in {@code fragments}, as OpenAI streams them. */
        public OpenAiStream toolCall(String name, String... fragments) {
            int index = toolCalls++;
            ObjectNode first = JSON.createObjectNode();
            ArrayNode calls = first.putArray("tool_calls");
            ObjectNode call = calls.addObject().put("index", index).put("id", "call_" + index + "_" + name)
                    .put("type", "function");
            call.putObject("function").put("name", name).put("arguments", "");
            frames.add(chunk(first, null));
            for (String f : fragments) {
                ObjectNode delta = JSON.createObjectNode();
                delta.putArray("tool_calls").addObject().put("index", index).putObject("function")
                        .put("arguments", f);
                frames.add(chunk(delta, null));
            }
            return this;
        }

        public Reply finish() {
            frames.add(chunk(JSON.createObjectNode(), toolCalls > 0 ? "tool_calls" : "stop"));
            ObjectNode usage = base();
            usage.putArray("choices");
            usage.putObject("usage").put("prompt_tokens", 42).put("completion_tokens", 7).put("total_tokens", 49);
            frames.add("data: " + usage + "\n\n");
            frames.add("data: [DONE]\n\n");
            return new Reply(200, Map.of(), "", List.copyOf(frames), 0, -1, "text/event-stream");
        }

        /** The frames so far with no finish: for a stream that is cut. */
        Reply unfinished() {
            return new Reply(200, Map.of(), "", List.copyOf(frames), 0, -1, "text/event-stream");
        }

        private static ObjectNode base() {
            return JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk")
                    .put("created", 1_700_000_000L).put("model", "gpt-test").putNull("system_fingerprint");
        }

        private static String chunk(ObjectNode delta, String finishReason) {
            ObjectNode root = base();
            ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            return "data: " + root + "\n\n";
        }
    }

    /** A plain text answer streamed in {@code pieces}. */
    static Reply openAiText(String... pieces) {
        return new OpenAiStream().text(pieces).finish();
    }

    // ---- Ollama /api/chat streaming --------------------------------------------------------------------------

    static Reply ollamaText(String... pieces) {
        var frames = new ArrayList<String>();
        for (String p : pieces) {
            ObjectNode line = JSON.createObjectNode().put("model", "llama-test")
                    .put("created_at", "2026-12-06T05:00:00.000000Z");
            line.putObject("message").put("role", "assistant").put("content", p);
            line.put("done", false);
            frames.add(line + "\n");
        }
        ObjectNode last = JSON.createObjectNode().put("model", "llama-test")
                .put("created_at", "2026-12-06T05:00:01.000000Z");
        last.putObject("message").put("role", "assistant").put("content", "");
        last.put("done_reason", "stop").put("done", true).put("total_duration", 123_000_000L)
                .put("load_duration", 1_000_000L).put("prompt_eval_count", 30).put("prompt_eval_duration", 10_000_000L)
                .put("eval_count", 9).put("eval_duration", 90_000_000L);
        frames.add(last + "\n");
        return new Reply(200, Map.of(), "", List.copyOf(frames), 0, -1, "application/x-ndjson");
    }
}
