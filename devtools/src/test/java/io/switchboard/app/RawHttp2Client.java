package io.switchboard.app;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An HTTP/2 client (prior knowledge, plaintext) that writes the frames a test tells it to, in that order: for what a
 * real client does only by chance, such as DATA on a stream it has just reset. It keeps to the server's flow-control
 * windows (waiting for WINDOW_UPDATE when one is spent), gives back its own as it reads, answers SETTINGS and PING,
 * and fails on GOAWAY. Request headers are HPACK literals, never indexed; response headers are not decoded.
 */
final class RawHttp2Client implements AutoCloseable {

    static final int CANCEL = 0x8;
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int PING = 0x6;
    private static final int GOAWAY = 0x7;
    private static final int WINDOW_UPDATE = 0x8;
    private static final int END_STREAM = 0x1;
    private static final int ACK = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int DEFAULT_WINDOW = 65_535;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private long connectionWindow = DEFAULT_WINDOW;
    private int initialStreamWindow = DEFAULT_WINDOW;
    private int maxFrameSize = 16_384;
    private final Map<Integer, Long> streamWindows = new HashMap<>();
    private final Map<Integer, ByteArrayOutputStream> received = new HashMap<>();
    private final Set<Integer> endedByServer = new HashSet<>();

    /** Connects, sends the preface and empty SETTINGS, and reads the server's SETTINGS. */
    RawHttp2Client(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(60_000); // a server that stops answering fails the test instead of hanging it
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        out = socket.getOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        write(SETTINGS, 0, 0, new byte[0]);
        while (readFrame() != SETTINGS) {
            // until the server's settings are known
        }
    }

    /** Opens {@code stream} with a POST to {@code path}, the request's body to follow. */
    void post(int stream, String path, Map<String, String> headers) throws IOException {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x83); // :method POST, indexed
        block.write(0x86); // :scheme http, indexed
        literal(block, 4, path); // :path, name indexed
        literal(block, 1, "127.0.0.1:" + socket.getPort()); // :authority, name indexed
        headers.forEach((name, value) -> {
            block.write(0x00); // literal without indexing, new name
            string(block, name);
            string(block, value);
        });
        write(HEADERS, END_HEADERS, stream, block.toByteArray());
    }

    /** Sends {@code body} on {@code stream} in frames the windows allow, waiting for WINDOW_UPDATE when they are spent. */
    void data(int stream, byte[] body, boolean endStream) throws IOException {
        int at = 0;
        do {
            int size = Math.min(maxFrameSize, body.length - at);
            while (size > Math.min(connectionWindow, streamWindow(stream))) {
                try {
                    readFrame();
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("no WINDOW_UPDATE came: " + connectionWindow + " bytes left in the"
                            + " connection's window, " + streamWindow(stream) + " in stream " + stream + "'s", e);
                }
            }
            connectionWindow -= size;
            streamWindows.merge(stream, (long) -size, Long::sum);
            boolean last = at + size == body.length;
            write(DATA, last && endStream ? END_STREAM : 0, stream, java.util.Arrays.copyOfRange(body, at, at + size));
            at += size;
        } while (at < body.length);
    }

    void reset(int stream, int errorCode) throws IOException {
        write(RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(errorCode).array());
    }

    /** Reads until the server has ended {@code stream} (END_STREAM or RST_STREAM). */
    void awaitEnd(int stream) throws IOException {
        while (!endedByServer.contains(stream)) {
            readFrame();
        }
    }

    /** Reads until {@code stream} has brought at least {@code count} gRPC messages; returns them all. */
    List<byte[]> awaitMessages(int stream, int count) throws IOException {
        List<byte[]> messages = messages(stream);
        while (messages.size() < count) {
            if (endedByServer.contains(stream)) {
                throw new AssertionError("stream " + stream + " ended after " + messages.size() + " messages");
            }
            readFrame();
            messages = messages(stream);
        }
        return messages;
    }

    /** The gRPC messages {@code stream} has brought so far (length-prefixed, uncompressed). */
    List<byte[]> messages(int stream) {
        ByteBuffer body = ByteBuffer.wrap(received.computeIfAbsent(stream, s -> new ByteArrayOutputStream()).toByteArray());
        List<byte[]> messages = new ArrayList<>();
        while (body.remaining() >= 5 && body.getInt(body.position() + 1) <= body.remaining() - 5) {
            body.get(); // not compressed
            byte[] message = new byte[body.getInt()];
            body.get(message);
            messages.add(message);
        }
        return messages;
    }

    /** {@code message} framed as one uncompressed gRPC message. */
    static byte[] grpc(byte[] message) {
        return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    }

    private long streamWindow(int stream) {
        return streamWindows.computeIfAbsent(stream, s -> (long) initialStreamWindow);
    }

    /** Reads one frame and does what it asks; returns its type. */
    private int readFrame() throws IOException {
        int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7FFF_FFFF;
        byte[] payload = in.readNBytes(length);
        ByteBuffer p = ByteBuffer.wrap(payload);
        switch (type) {
            case DATA -> {
                received.computeIfAbsent(stream, s -> new ByteArrayOutputStream()).writeBytes(payload);
                if (length > 0) { // read at once, so the server's windows come back at once
                    write(WINDOW_UPDATE, 0, 0, ByteBuffer.allocate(4).putInt(length).array());
                    write(WINDOW_UPDATE, 0, stream, ByteBuffer.allocate(4).putInt(length).array());
                }
                if ((flags & END_STREAM) != 0) {
                    endedByServer.add(stream);
                }
            }
            case HEADERS -> {
                if ((flags & END_STREAM) != 0) {
                    endedByServer.add(stream);
                }
            }
            case RST_STREAM -> endedByServer.add(stream);
            case SETTINGS -> {
                if ((flags & ACK) == 0) {
                    while (p.remaining() >= 6) {
                        int id = p.getShort() & 0xFFFF;
                        int value = p.getInt();
                        if (id == 0x4) {
                            int change = value - initialStreamWindow;
                            streamWindows.replaceAll((s, w) -> w + change);
                            initialStreamWindow = value;
                        } else if (id == 0x5) {
                            maxFrameSize = value;
                        }
                    }
                    write(SETTINGS, ACK, 0, new byte[0]);
                }
            }
            case PING -> {
                if ((flags & ACK) == 0) {
                    write(PING, ACK, 0, payload);
                }
            }
            case WINDOW_UPDATE -> {
                int increment = p.getInt() & 0x7FFF_FFFF;
                if (stream == 0) {
                    connectionWindow += increment;
                } else {
                    streamWindows.merge(stream, (long) increment, Long::sum);
                }
            }
            case GOAWAY -> throw new AssertionError("the server sent GOAWAY, error code " + p.getInt(4) + ": "
                    + new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8));
            default -> {
                // PRIORITY, CONTINUATION, unknown: nothing to do
            }
        }
        return type;
    }

    private void write(int type, int flags, int stream, byte[] payload) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
        frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        frame.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        try {
            out.write(frame.array());
            out.flush();
        } catch (IOException closed) { // by the server: say why, if it did
            try {
                while (true) {
                    readFrame();
                }
            } catch (AssertionError goAway) {
                goAway.addSuppressed(closed);
                throw goAway;
            } catch (IOException alsoClosed) {
                throw closed;
            }
        }
    }

    /** A literal header field without indexing whose name is entry {@code index} of the static table. */
    private static void literal(ByteArrayOutputStream block, int index, String value) {
        block.write(index); // 0000 + 4-bit index, all under 15
        string(block, value);
    }

    /** An HPACK string literal, not Huffman-coded, its length as a 7-bit prefixed integer (RFC 7541 §5.1). */
    private static void string(ByteArrayOutputStream block, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        int length = bytes.length;
        if (length < 127) {
            block.write(length);
        } else {
            block.write(127);
            length -= 127;
            while (length >= 128) {
                block.write(length % 128 + 128);
                length /= 128;
            }
            block.write(length);
        }
        block.writeBytes(bytes);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
