package io.switchboard.server.web;

import java.io.ByteArrayOutputStream;
import java.util.Optional;
import java.util.function.Supplier;

import io.helidon.common.buffers.DataReader;

/**
 * The bytes a client sends on an HTTP/2 connection, frame by frame, as Helidon 4.5's HTTP/2 connection can take them:
 * <ul>
 * <li>every request header block passed through {@link HpackPseudoHeaders};</li>
 * <li>a second RST_STREAM for a stream this client has already reset is dropped. A client whose deadline passed
 * resets its stream; when the server's late answer then arrives, the client resets the stream again (RFC 9113
 * §5.4.2). Helidon has forgotten the stream by then and takes the frame for one on a stream "never created",
 * answering GOAWAY(PROTOCOL_ERROR): every other call on the connection, live calls included, would die with it.
 * The stream is closed on both sides already, so the repeated reset says nothing.</li>
 * <li>DATA on a stream this client has reset is dropped, its bytes still counted in the connection's flow-control
 * window: a caller's audio still in flight when the server ended its call would otherwise cost the connection
 * (see {@link ClientResets}).</li>
 * </ul>
 * Everything else (the preface, SETTINGS, the DATA of open streams, …) goes through untouched and unbuffered.
 * A header block split over HEADERS and CONTINUATION frames is gathered first; when it changes, it is sent on as one
 * HEADERS frame (padding dropped, priority kept), or split again at 16,384 bytes, the frame size every HTTP/2
 * endpoint must accept. A block that needs no change is passed on as the client framed it.
 */
final class PseudoHeaderNormalizingReader implements Supplier<byte[]> {

    static final int PREFACE_LENGTH = 24;
    static final int FRAME_HEADER_LENGTH = 9;
    static final int MIN_MAX_FRAME_SIZE = 16_384;

    private static final int TYPE_DATA = 0x0;
    private static final int TYPE_HEADERS = 0x1;
    private static final int TYPE_RST_STREAM = 0x3;
    private static final int TYPE_CONTINUATION = 0x9;
    private static final int FLAG_END_STREAM = 0x1;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;

    private final DataReader client;
    private final ClientResets resets;
    private int prefaceLeft = PREFACE_LENGTH;
    private int payloadLeft;

    PseudoHeaderNormalizingReader(DataReader client, ClientResets resets) {
        this.client = client;
        this.resets = resets;
    }

    /** A reader over {@code client}'s bytes as Helidon's HTTP/2 connection should see them. */
    static DataReader wrap(DataReader client, ClientResets resets) {
        return DataReader.create(new PseudoHeaderNormalizingReader(client, resets));
    }

    @Override
    public byte[] get() {
        if (prefaceLeft > 0) {
            byte[] bytes = available(prefaceLeft);
            prefaceLeft -= bytes.length;
            return bytes;
        }
        if (payloadLeft > 0) {
            byte[] bytes = available(payloadLeft);
            payloadLeft -= bytes.length;
            return bytes;
        }
        byte[] header = client.readBytes(FRAME_HEADER_LENGTH);
        int length = length(header);
        int streamId = streamId(header);
        boolean endStream = (header[4] & FLAG_END_STREAM) != 0;
        if (type(header) == TYPE_HEADERS) {
            if (endStream) {
                resets.ended(streamId);
            }
            return headers(header, client.readBytes(length));
        }
        if (type(header) == TYPE_RST_STREAM && length == 4 && streamId != 0) {
            byte[] frame = java.util.Arrays.copyOf(header, FRAME_HEADER_LENGTH + 4);
            System.arraycopy(client.readBytes(4), 0, frame, FRAME_HEADER_LENGTH, 4);
            return resets.reset(streamId) ? frame : new byte[0];
        }
        if (type(header) == TYPE_DATA && streamId != 0) {
            if (resets.dropped(streamId, length)) {
                client.skip(length);
                return new byte[0];
            }
            if (endStream) {
                resets.ended(streamId);
            }
        }
        payloadLeft = length;
        return header;
    }

    /** Up to {@code max} bytes, as many as have arrived (at least one; blocks until then). */
    private byte[] available(int max) {
        client.ensureAvailable();
        return client.readBytes(Math.min(max, client.available()));
    }

    /** A HEADERS frame and the CONTINUATION frames that complete its block, normalised. */
    private byte[] headers(byte[] header, byte[] payload) {
        ByteArrayOutputStream original = new ByteArrayOutputStream();
        original.writeBytes(header);
        original.writeBytes(payload);
        int flags = header[4] & 0xFF;
        int offset = 0;
        int padding = 0;
        if ((flags & FLAG_PADDED) != 0) {
            if (payload.length < 1) {
                return original.toByteArray();
            }
            padding = payload[0] & 0xFF;
            offset = 1;
        }
        byte[] priority = new byte[0];
        if ((flags & FLAG_PRIORITY) != 0) {
            if (payload.length < offset + 5) {
                return original.toByteArray();
            }
            priority = java.util.Arrays.copyOfRange(payload, offset, offset + 5);
            offset += 5;
        }
        if (payload.length - offset - padding < 0) {
            return original.toByteArray();
        }
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(payload, offset, payload.length - offset - padding);
        boolean endHeaders = (flags & FLAG_END_HEADERS) != 0;
        while (!endHeaders) {
            byte[] next = client.readBytes(FRAME_HEADER_LENGTH);
            byte[] nextPayload = client.readBytes(length(next));
            original.writeBytes(next);
            original.writeBytes(nextPayload);
            if (type(next) != TYPE_CONTINUATION || streamId(next) != streamId(header)) {
                return original.toByteArray();  // a protocol error: Helidon says so itself
            }
            block.writeBytes(nextPayload);
            endHeaders = (next[4] & FLAG_END_HEADERS) != 0;
        }
        Optional<byte[]> normalized = HpackPseudoHeaders.normalize(block.toByteArray());
        if (normalized.isEmpty()) {
            return original.toByteArray();
        }
        return frames(streamId(header), flags & (FLAG_END_STREAM | FLAG_PRIORITY), priority, normalized.get());
    }

    private static byte[] frames(int streamId, int flags, byte[] priority, byte[] block) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(block.length + 2 * FRAME_HEADER_LENGTH);
        int first = Math.min(block.length, MIN_MAX_FRAME_SIZE - priority.length);
        boolean last = first == block.length;
        writeHeader(out, priority.length + first, TYPE_HEADERS, flags | (last ? FLAG_END_HEADERS : 0), streamId);
        out.writeBytes(priority);
        out.write(block, 0, first);
        for (int at = first; at < block.length; at += MIN_MAX_FRAME_SIZE) {
            int size = Math.min(MIN_MAX_FRAME_SIZE, block.length - at);
            writeHeader(out, size, TYPE_CONTINUATION, at + size == block.length ? FLAG_END_HEADERS : 0, streamId);
            out.write(block, at, size);
        }
        return out.toByteArray();
    }

    private static void writeHeader(ByteArrayOutputStream out, int length, int type, int flags, int streamId) {
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
        out.write(type);
        out.write(flags);
        out.write(streamId >>> 24);
        out.write(streamId >>> 16);
        out.write(streamId >>> 8);
        out.write(streamId);
    }

    private static int length(byte[] header) {
        return ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
    }

    private static int type(byte[] header) {
        return header[3] & 0xFF;
    }

    private static int streamId(byte[] header) {
        return ((header[5] & 0x7F) << 24) | ((header[6] & 0xFF) << 16) | ((header[7] & 0xFF) << 8) | (header[8] & 0xFF);
    }
}
