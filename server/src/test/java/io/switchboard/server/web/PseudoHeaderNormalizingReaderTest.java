package io.switchboard.server.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.http2.ConnectionFlowControl;
import io.helidon.http.http2.Http2WindowUpdate;
import io.helidon.webserver.http2.Http2Config;
import org.junit.jupiter.api.Test;

/**
 * HPACK literals with a literal pseudo-header name, as gRPC C-core sends {@code :path}, re-encoded byte for byte; and the
 * frames a client sends on streams it has reset, dropped but counted.
 */
class PseudoHeaderNormalizingReaderTest {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String PATH = "/switchboard.v1.PlanService/ListPlans";

    /** literal (pattern 0x40, 0x00 or 0x10) with a new name: prefix byte, name string, value string */
    private static byte[] literalNewName(int pattern, String name, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(pattern);
        string(out, name);
        string(out, value);
        return out.toByteArray();
    }

    /** the same literal with its name from the static table */
    private static byte[] literalIndexedName(int pattern, int index, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(pattern | index);
        string(out, value);
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        out.write(b.length); // all test strings are under 127 bytes
        out.writeBytes(b);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void literalPathWithANewNameGetsTheStaticIndexInEveryLiteralKind() {
        for (int pattern : new int[] {0x40, 0x00, 0x10}) {
            byte[] block = concat(new byte[] {(byte) 0x83, (byte) 0x86}, // :method POST, :scheme http (indexed)
                    literalNewName(pattern, ":path", PATH),
                    literalNewName(pattern, ":authority", "localhost:50051"),
                    literalNewName(pattern, "grpc-timeout", "5S"));
            byte[] expected = concat(new byte[] {(byte) 0x83, (byte) 0x86},
                    literalIndexedName(pattern, 4, PATH),
                    literalIndexedName(pattern, 1, "localhost:50051"),
                    literalNewName(pattern, "grpc-timeout", "5S"));
            assertArrayEquals(expected, HpackPseudoHeaders.normalize(block).orElseThrow(), "pattern " + pattern);
        }
    }

    @Test
    void aHuffmanCodedPseudoHeaderNameIsRecognised() {
        // ":path" Huffman-coded (RFC 7541 Appendix B): b9 58 d3 3f, length 4 with the H bit
        byte[] block = concat(new byte[] {0x40, (byte) 0x84}, HexFormat.of().parseHex("b958d33f"),
                new byte[] {(byte) PATH.length()}, PATH.getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(literalIndexedName(0x40, 4, PATH), HpackPseudoHeaders.normalize(block).orElseThrow());
    }

    @Test
    void blocksThatNeedNoChangeOrDoNotParseAreLeftAlone() {
        assertEquals(Optional.empty(), HpackPseudoHeaders.normalize(concat(new byte[] {(byte) 0x83, (byte) 0x84},
                literalNewName(0x40, "authorization", "Bearer x"), new byte[] {0x20}))); // + a table size update
        byte[] truncated = Arrays.copyOf(literalNewName(0x40, ":path", PATH), 10);
        assertEquals(Optional.empty(), HpackPseudoHeaders.normalize(truncated));
    }

    @Test
    void aHeaderBlockOverHeadersAndContinuationIsJoinedAndEverythingElsePassesThrough() {
        byte[] block = concat(new byte[] {(byte) 0x83}, literalNewName(0x40, ":path", PATH),
                literalNewName(0x00, "te", "trailers"));
        byte[] settings = frame(0, 0x4, 0, new byte[] {0, 3, 0, 0, 0, 0}); // SETTINGS
        int split = 5;
        byte[] padded = concat(new byte[] {3}, Arrays.copyOfRange(block, 0, split), new byte[3]);
        byte[] headers = frame(0x1, 0x8 | 0x1, 1, padded); // HEADERS, PADDED | END_STREAM, no END_HEADERS
        byte[] continuation = frame(0x9, 0x4, 1, Arrays.copyOfRange(block, split, block.length));
        byte[] data = frame(0x0, 0x1, 1, "hello".getBytes(StandardCharsets.US_ASCII));

        byte[] read = readAll(PREFACE, settings, headers, continuation, data);

        byte[] normalized = HpackPseudoHeaders.normalize(block).orElseThrow();
        byte[] expected = concat(PREFACE, settings, frame(0x1, 0x1 | 0x4, 1, normalized), data);
        assertArrayEquals(expected, read);
    }

    @Test
    void aBlockThatNeedsNoChangeKeepsTheClientsFraming() {
        byte[] block = concat(new byte[] {(byte) 0x83, (byte) 0x84}, literalNewName(0x00, "te", "trailers"));
        byte[] headers = frame(0x1, 0x4 | 0x20, 3, concat(new byte[] {0, 0, 0, 0, 15}, block)); // with PRIORITY
        assertArrayEquals(concat(PREFACE, headers), readAll(PREFACE, headers));
    }

    @Test
    void aLargeNormalizedBlockIsSplitAtTheMinimumFrameSize() {
        String longValue = "x".repeat(100);
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.writeBytes(literalNewName(0x40, ":path", PATH));
        while (block.size() < 40_000) {
            block.writeBytes(literalNewName(0x00, "x-custom", longValue));
        }
        byte[] read = readAll(PREFACE, frame(0x1, 0x4, 1, block.toByteArray()));
        int at = PREFACE.length;
        int frames = 0;
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        while (at < read.length) {
            int length = ((read[at] & 0xFF) << 16) | ((read[at + 1] & 0xFF) << 8) | (read[at + 2] & 0xFF);
            assertTrue(length <= PseudoHeaderNormalizingReader.MIN_MAX_FRAME_SIZE);
            assertEquals(frames == 0 ? 0x1 : 0x9, read[at + 3]);
            boolean last = at + 9 + length == read.length;
            assertEquals(last ? 0x4 : 0, read[at + 4] & 0x4);
            joined.write(read, at + 9, length);
            at += 9 + length;
            frames++;
        }
        assertEquals(3, frames);
        assertArrayEquals(HpackPseudoHeaders.normalize(block.toByteArray()).orElseThrow(), joined.toByteArray());
    }

    @Test
    void aSecondResetOfAStreamTheClientAlreadyResetIsDroppedOthersPass() {
        byte[] cancel7 = frame(0x3, 0, 7, new byte[] {0, 0, 0, 8});
        byte[] closed7 = frame(0x3, 0, 7, new byte[] {0, 0, 0, 5}); // STREAM_CLOSED, after the server's late answer
        byte[] cancel9 = frame(0x3, 0, 9, new byte[] {0, 0, 0, 8});
        byte[] ping = frame(0x6, 0, 0, new byte[8]);
        assertArrayEquals(concat(PREFACE, cancel7, ping, cancel9, ping),
                readAll(PREFACE, cancel7, ping, closed7, cancel9, ping, cancel7));
    }

    @Test
    void dataTheClientSendsAfterResettingItsStreamIsDroppedAndItsBytesGivenBackToTheConnectionWindow() {
        Http2Config config = Http2Config.create(); // the server's: a 1 MiB window, 16 KiB frames
        List<Http2WindowUpdate> toConnection = new ArrayList<>();
        ConnectionFlowControl connection = ConnectionFlowControl.serverBuilder((stream, update) -> {
            if (stream == 0) {
                toConnection.add(update);
            }
        }).initialWindowSize(config.initialWindowSize()).maxFrameSize(config.maxFrameSize()).build();
        ClientResets resets = new ClientResets();
        for (int stream : new int[] {7, 9}) {
            resets.opened(stream, connection.createStreamFlowControl(stream, config.initialWindowSize(),
                    config.maxFrameSize()).inbound());
        }
        byte[] audio7 = frame(0x0, 0, 7, new byte[16_000]);
        byte[] cancel7 = frame(0x3, 0, 7, new byte[] {0, 0, 0, 8});
        byte[] audio9 = frame(0x0, 0, 9, new byte[16_000]);
        List<byte[]> sent = new ArrayList<>(List.of(PREFACE, audio7, audio9, cancel7));
        int late = 0;
        while (late <= config.initialWindowSize()) { // more than the whole window, on the reset stream alone
            sent.add(audio7);
            late += 16_000;
        }
        sent.add(audio9);

        assertArrayEquals(concat(PREFACE, audio7, audio9, cancel7, audio9), readAll(resets, sent.toArray(byte[][]::new)));
        long windowLeft = config.initialWindowSize() - late
                + toConnection.stream().mapToLong(Http2WindowUpdate::windowSizeIncrement).sum();
        assertTrue(windowLeft >= config.initialWindowSize() / 2, "the client may still send " + windowLeft
                + " bytes on the connection after " + late + " bytes dropped (WINDOW_UPDATEs " + toConnection + ")");
    }

    @Test
    void dataAfterAResetIsLeftToHelidonUntilAResetStreamsWindowIsKnown() {
        byte[] cancel5 = frame(0x3, 0, 5, new byte[] {0, 0, 0, 8});
        byte[] audio5 = frame(0x0, 0, 5, new byte[100]);
        assertArrayEquals(concat(PREFACE, cancel5, audio5), readAll(new ClientResets(), PREFACE, cancel5, audio5));
    }

    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** What the normalising reader gives for the client's bytes arriving in small, unaligned pieces. */
    private static byte[] readAll(byte[]... sent) {
        return readAll(new ClientResets(), sent);
    }

    private static byte[] readAll(ClientResets resets, byte[]... sent) {
        byte[] all = concat(sent);
        Deque<byte[]> pieces = new ArrayDeque<>();
        for (int i = 0; i < all.length; i += 7) {
            pieces.add(Arrays.copyOfRange(all, i, Math.min(all.length, i + 7)));
        }
        DataReader socket = DataReader.create(pieces::poll);
        PseudoHeaderNormalizingReader reader = new PseudoHeaderNormalizingReader(socket, resets);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            while (true) {
                out.writeBytes(reader.get());
            }
        } catch (DataReader.InsufficientDataAvailableException socketClosed) {
            return out.toByteArray();
        }
    }
}
