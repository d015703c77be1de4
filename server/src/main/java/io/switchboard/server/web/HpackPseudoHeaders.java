package io.switchboard.server.web;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.http2.Http2HuffmanDecoder;

/**
 * Re-encodes, in an HPACK header block (RFC 7541), every pseudo-header field sent as a literal with a literal name
 * into the same literal with the name taken from the static table. Both forms mean the same field and add the same
 * entry to the dynamic table (when the literal is "with incremental indexing"), so the decoder's state is unchanged.
 * <p>
 * Why: Helidon 4.5's decoder ({@code Http2Headers.readHeader}) refuses a literal name starting with {@code :} as a
 * PROTOCOL_ERROR and answers with a connection GOAWAY, although RFC 7541 §6.2 allows any name there. gRPC's C-core
 * stack (Python, C++, Ruby, PHP clients) sends {@code :path} exactly that way ("literal with incremental indexing —
 * new name"), so without this no such client could make a single call.
 * <p>
 * A block that does not parse is returned unchanged, for the real decoder to refuse with its own error.
 */
final class HpackPseudoHeaders {

    /** The static table's first entry for each request and response pseudo-header (RFC 7541 Appendix A). */
    private static final Map<String, Integer> STATIC_NAME_INDEX = Map.of(
            ":authority", 1, ":method", 2, ":path", 4, ":scheme", 6, ":status", 8);

    private HpackPseudoHeaders() {
    }

    /** The block with literal pseudo-header names indexed, or empty when it needs no change (or does not parse). */
    static Optional<byte[]> normalize(byte[] block) {
        try {
            return rewrite(block);
        } catch (RuntimeException malformed) {
            return Optional.empty();
        }
    }

    private static Optional<byte[]> rewrite(byte[] block) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(block.length);
        boolean changed = false;
        int i = 0;
        while (i < block.length) {
            int first = block[i] & 0xFF;
            int start = i;
            if ((first & 0x80) != 0) {                      // indexed header field
                i = integerEnd(block, i, 7);
            } else if ((first & 0xE0) == 0x20) {            // dynamic table size update
                i = integerEnd(block, i, 5);
            } else {                                         // a literal: 01xxxxxx, 0001xxxx or 0000xxxx
                int prefixBits = (first & 0x40) != 0 ? 6 : 4;
                int pattern = (first & 0x40) != 0 ? 0x40 : (first & 0xF0);
                long index = integer(block, i, prefixBits);
                i = integerEnd(block, i, prefixBits);
                if (index == 0) {
                    int nameEnd = stringEnd(block, i);
                    Integer staticIndex = STATIC_NAME_INDEX.get(string(block, i));
                    if (staticIndex != null) {
                        writeInteger(out, pattern, prefixBits, staticIndex);
                        changed = true;
                        start = nameEnd;                     // the value string is copied below
                    }
                    i = nameEnd;
                }
                i = stringEnd(block, i);                     // the value
            }
            if (i > block.length) {
                throw new IllegalArgumentException("truncated header block");
            }
            out.write(block, start, i - start);
        }
        return changed ? Optional.of(out.toByteArray()) : Optional.empty();
    }

    /** The HPACK integer (§5.1) starting at {@code pos} with an N-bit prefix. */
    private static long integer(byte[] block, int pos, int prefixBits) {
        int max = (1 << prefixBits) - 1;
        long value = block[pos] & max;
        if (value < max) {
            return value;
        }
        int shift = 0;
        int b;
        do {
            b = block[++pos] & 0xFF;
            value += (long) (b & 0x7F) << shift;
            shift += 7;
            if (shift > 28) {
                throw new IllegalArgumentException("integer too large");
            }
        } while ((b & 0x80) != 0);
        return value;
    }

    private static int integerEnd(byte[] block, int pos, int prefixBits) {
        int max = (1 << prefixBits) - 1;
        if ((block[pos] & max) < max) {
            return pos + 1;
        }
        do {
            pos++;
        } while ((block[pos] & 0x80) != 0);
        return pos + 1;
    }

    private static int stringEnd(byte[] block, int pos) {
        long length = integer(block, pos, 7);
        long end = integerEnd(block, pos, 7) + length;
        if (end > block.length) {
            throw new IllegalArgumentException("truncated string");
        }
        return (int) end;
    }

    /** The string literal (§5.2) at {@code pos}, Huffman-decoded when it is coded. */
    private static String string(byte[] block, int pos) {
        boolean huffman = (block[pos] & 0x80) != 0;
        int length = (int) integer(block, pos, 7);
        int from = integerEnd(block, pos, 7);
        if (!huffman) {
            return new String(block, from, length, StandardCharsets.ISO_8859_1);
        }
        return Http2HuffmanDecoder.create().decodeString(BufferData.create(block, from, length), length);
    }

    private static void writeInteger(ByteArrayOutputStream out, int pattern, int prefixBits, int value) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            out.write(pattern | value);
            return;
        }
        out.write(pattern | max);
        int rest = value - max;
        while (rest >= 0x80) {
            out.write((rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out.write(rest);
    }
}
