package io.switchboard.server.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import org.junit.jupiter.api.Test;

/** The grpc-web wire format on its own: frames, trailer lines, base64 chunks, percent-encoding. */
class GrpcWebFramesTest {

    @Test
    void aDataFrameIsFlagLengthAndMessage() throws StatusException {
        byte[] frame = GrpcWebFrames.data(new byte[] {7, 8, 9});
        assertArrayEquals(new byte[] {0, 0, 0, 0, 3, 7, 8, 9}, frame);
        assertArrayEquals(new byte[] {7, 8, 9}, GrpcWebFrames.requestMessage(frame, 3));
    }

    @Test
    void theTrailerFrameCarriesStatusEncodedMessageAndMetadata() {
        Metadata trailers = new Metadata();
        trailers.put(Metadata.Key.of("x-retry", Metadata.ASCII_STRING_MARSHALLER), "later");
        trailers.put(Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER), new byte[] {1, 2, 3, 4});
        trailers.put(Metadata.Key.of("grpc-status", Metadata.ASCII_STRING_MARSHALLER), "0");
        byte[] frame = GrpcWebFrames.trailers(Status.NOT_FOUND.withDescription("agent ü 50% gone\n"), trailers);
        assertEquals((byte) 0x80, frame[0]);
        String lines = new String(frame, 5, frame.length - 5, StandardCharsets.US_ASCII);
        assertEquals("grpc-status: 5\r\ngrpc-message: agent %C3%BC 50%25 gone%0A\r\nx-retry: later\r\n"
                + "grpc-status-details-bin: AQIDBA\r\n", lines);
    }

    @Test
    void textBodiesMayBeSeparatelyPaddedChunks() throws StatusException {
        byte[] a = {1};
        byte[] b = {2, 3};
        String body = Base64.getEncoder().encodeToString(a) + "\r\n" + Base64.getEncoder().encodeToString(b)
                + Base64.getEncoder().encodeToString(new byte[] {4, 5, 6});
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6}, GrpcWebFrames.fromText(body.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusException.class,
                () -> GrpcWebFrames.fromText("AQ=*".getBytes(StandardCharsets.US_ASCII))).getStatus().getCode());
    }

    @Test
    void malformedOrOversizeRequestsAreRefusedWithTheirReason() {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refusal(new byte[] {0, 0, 0, 0, 4, 1, 2, 3, 4}, 3));
        assertEquals(Status.Code.UNIMPLEMENTED, refusal(new byte[] {1, 0, 0, 0, 1, 9}, 3));
        assertEquals(Status.Code.INVALID_ARGUMENT, refusal(new byte[] {(byte) 0x80, 0, 0, 0, 0}, 3));
        assertEquals(Status.Code.INVALID_ARGUMENT, refusal(new byte[] {0, 0, 0}, 3));
        assertEquals(Status.Code.INVALID_ARGUMENT, refusal(new byte[] {0, 0, 0, 0, 2, 1}, 3));
        assertEquals(Status.Code.INVALID_ARGUMENT, refusal(new byte[] {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, 3));
        assertEquals(Status.Code.INVALID_ARGUMENT, refusal(new byte[0], 3));
    }

    private static Status.Code refusal(byte[] body, int max) {
        return assertThrows(StatusException.class, () -> GrpcWebFrames.requestMessage(body, max)).getStatus().getCode();
    }
}
