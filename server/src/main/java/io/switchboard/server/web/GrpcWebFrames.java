package io.switchboard.server.web;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;

/**
 * The grpc-web wire format, without I/O: a body is a sequence of frames, each a flag byte and a 4-byte
 * big-endian length before its payload. A data frame (flag 0) carries one protobuf message; the trailer frame
 * (flag 0x80) ends a response and carries the status and trailing metadata as HTTP/1-style header lines. The
 * {@code -text} variant is the same bytes in base64, where every chunk a client or server writes is padded on
 * its own, so a body may hold {@code =} before its end.
 */
final class GrpcWebFrames {

    static final int PREFIX = 5;
    private static final int TRAILER = 0x80;
    private static final int COMPRESSED = 0x01;
    /** Status and framing keys that the trailer frame writes from the status itself, never from metadata. */
    private static final Set<String> STATUS_KEYS = Set.of("grpc-status", "grpc-message", "content-type");

    private GrpcWebFrames() {
    }

    /**
     * The one message of a request body (unary and server-streaming calls take exactly one).
     *
     * @throws StatusException RESOURCE_EXHAUSTED when the message is over {@code maxMessageBytes},
     *                         UNIMPLEMENTED for a compressed message, INVALID_ARGUMENT for anything malformed
     */
    static byte[] requestMessage(byte[] body, int maxMessageBytes) throws StatusException {
        if (body.length == 0) {
            throw invalid("the request body is empty: a grpc-web call sends one length-prefixed message");
        }
        if (body.length < PREFIX) {
            throw invalid("the request body ends inside a frame header (" + body.length + " of 5 bytes)");
        }
        int flags = body[0] & 0xff;
        long length = ByteBuffer.wrap(body, 1, 4).getInt() & 0xffff_ffffL;
        if ((flags & TRAILER) != 0) {
            throw invalid("a request may not send a trailer frame (flag 0x80)");
        }
        if ((flags & COMPRESSED) != 0) {
            throw Status.UNIMPLEMENTED.withDescription("compressed grpc-web messages are not supported: send the"
                    + " message uncompressed (flag 0)").asException();
        }
        if (flags != 0) {
            throw invalid("unknown frame flags 0x" + Integer.toHexString(flags));
        }
        if (length > maxMessageBytes) {
            throw tooLarge(length, maxMessageBytes);
        }
        if (length > body.length - PREFIX) {
            throw invalid("the request body ends inside its message: the frame announces " + length
                    + " bytes, the body holds " + (body.length - PREFIX));
        }
        if (length < body.length - PREFIX) {
            throw invalid("the request body holds more than one frame; grpc-web carries unary and server-streaming"
                    + " calls, which take exactly one message");
        }
        byte[] message = new byte[(int) length];
        System.arraycopy(body, PREFIX, message, 0, message.length);
        return message;
    }

    static StatusException tooLarge(long bytes, int maxMessageBytes) {
        return Status.RESOURCE_EXHAUSTED.withDescription("the request message of " + bytes
                + " bytes exceeds the limit of " + maxMessageBytes + " bytes").asException();
    }

    private static StatusException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription("malformed grpc-web request: " + description).asException();
    }

    /** A data frame around {@code message}. */
    static byte[] data(byte[] message) {
        return frame(0, message);
    }

    /**
     * The trailer frame: {@code grpc-status}, {@code grpc-message} (percent-encoded) and the trailing
     * metadata, including {@code grpc-status-details-bin} when the status carries details; binary values in
     * unpadded base64 as in gRPC's HTTP/2 mapping.
     */
    static byte[] trailers(Status status, Metadata trailers) {
        StringBuilder lines = new StringBuilder();
        lines.append("grpc-status: ").append(status.getCode().value()).append("\r\n");
        if (status.getDescription() != null) {
            lines.append("grpc-message: ").append(percentEncode(status.getDescription())).append("\r\n");
        }
        for (String key : trailers.keys()) {
            if (STATUS_KEYS.contains(key)) {
                continue;
            }
            for (String value : values(trailers, key)) {
                lines.append(key).append(": ").append(value).append("\r\n");
            }
        }
        return frame(TRAILER, lines.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** The values of {@code key} as header text: binary ({@code -bin}) values in unpadded base64. */
    static Iterable<String> values(Metadata metadata, String key) {
        if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            Iterable<byte[]> raw = metadata.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER));
            List<String> encoded = new ArrayList<>();
            if (raw != null) {
                raw.forEach(b -> encoded.add(Base64.getEncoder().withoutPadding().encodeToString(b)));
            }
            return encoded;
        }
        Iterable<String> text = metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        return text == null ? List.of() : text;
    }

    private static byte[] frame(int flags, byte[] payload) {
        return ByteBuffer.allocate(PREFIX + payload.length).put((byte) flags).putInt(payload.length).put(payload)
                .array();
    }

    /** {@code frames} as grpc-web-text: base64 with its own padding, so the chunk can be decoded on arrival. */
    static byte[] text(byte[] frames) {
        return Base64.getEncoder().encode(frames);
    }

    /**
     * Decodes a grpc-web-text body: base64 that may be the concatenation of separately padded chunks. Line
     * breaks and spaces between chunks are ignored.
     *
     * @throws StatusException INVALID_ARGUMENT when the body is not base64
     */
    static byte[] fromText(byte[] body) throws StatusException {
        ByteArrayOutputStream decoded = new ByteArrayOutputStream(body.length * 3 / 4);
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        int inQuad = 0;
        try {
            for (byte b : body) {
                if (b == ' ' || b == '\r' || b == '\n' || b == '\t') {
                    continue;
                }
                chunk.write(b);
                inQuad = (inQuad + 1) % 4;
                if (b == '=' && inQuad == 0) {
                    // a padded quad ends a chunk; the next chunk starts its own base64
                    decoded.writeBytes(Base64.getDecoder().decode(chunk.toByteArray()));
                    chunk.reset();
                }
            }
            decoded.writeBytes(Base64.getDecoder().decode(chunk.toByteArray()));
        } catch (IllegalArgumentException e) {
            throw invalid("the grpc-web-text body is not base64 (" + e.getMessage() + ")");
        }
        return decoded.toByteArray();
    }

    /**
     * gRPC's encoding of {@code grpc-message}: printable ASCII except {@code %} as is, every other byte of the
     * UTF-8 text as {@code %XX}.
     */
    static String percentEncode(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            if (b >= ' ' && b <= '~' && b != '%') {
                out.append((char) b);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
