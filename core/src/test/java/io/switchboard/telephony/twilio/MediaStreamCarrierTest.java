package io.switchboard.telephony.twilio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.audio.G711;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import org.junit.jupiter.api.Test;

/**
 * The carrier's end of Media Streams ({@link MediaStreamCodec.Carrier}) against the server's end: what the carrier
 * writes the server reads, what the server writes the carrier reads, and what the carrier refuses.
 */
class MediaStreamCarrierTest {

    private static final String STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0";
    private final MediaStreamCodec.Carrier carrier = new MediaStreamCodec.Carrier(STREAM, "AC1", "CA7");
    private final MediaStreamCodec server = new MediaStreamCodec(STREAM);

    @Test
    void whatTheCarrierSendsTheServerReads() throws Exception {
        assertInstanceOf(MediaMessage.Connected.class, MediaMessage.parse(carrier.connected()));
        MediaMessage.Start start = assertInstanceOf(MediaMessage.Start.class,
                MediaMessage.parse(carrier.start(Map.of("attempt_id", "a-1"))));
        assertEquals(STREAM, start.streamSid());
        assertEquals("CA7", start.callSid());
        assertEquals("a-1", start.customParameters().path("attempt_id").asText());
        assertEquals(MediaStreamCodec.ENCODING, start.encoding());
        assertEquals(8000, start.sampleRate());
        assertEquals(1, start.channels());

        byte[] frame = new byte[160];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (i * 5);
        }
        String first = carrier.media(frame);
        String second = carrier.media(frame);
        CallInput.Audio audio = assertInstanceOf(CallInput.Audio.class,
                MediaStreamCodec.input(MediaMessage.parse(first)).orElseThrow());
        assertArrayEquals(frame, audio.bytes());
        JsonNode json = MediaMessage.JSON.readTree(second);
        assertEquals("4", json.path("sequenceNumber").asText(), "numbered across the stream after connected=1, start=2");
        assertEquals("2", json.path("media").path("chunk").asText());
        assertEquals("20", json.path("media").path("timestamp").asText(), "milliseconds since the stream began");

        assertEquals(Optional.of(new CallInput.Dtmf("5")), MediaStreamCodec.input(MediaMessage.parse(carrier.dtmf("5"))));
        assertEquals(Optional.of(new CallInput.Mark("m1")), MediaStreamCodec.input(MediaMessage.parse(carrier.mark("m1"))));
        assertEquals(Optional.of(new CallInput.End("hangup")), MediaStreamCodec.input(MediaMessage.parse(carrier.stop())));
    }

    @Test
    void whatTheServerSendsTheCarrierReads() throws Exception {
        short[] pcm = new short[2000];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = (short) (8000 * Math.sin(i / 5.0));
        }
        List<String> out = server.output(new CallOutput.PlayAudio(pcm, 8000, "reply-1"));
        int samples = 0;
        for (String text : out.subList(0, out.size() - 1)) {
            MediaMessage.Media m = assertInstanceOf(MediaMessage.Media.class, carrier.parse(text));
            assertEquals("outbound", m.track());
            for (int i = 0; i < m.audio().length; i++) {
                assertEquals(G711.linearToUlaw(pcm[samples + i]), m.audio()[i]);
            }
            samples += m.audio().length;
        }
        assertEquals(pcm.length, samples, "every sample arrives, in order");
        assertEquals(new MediaMessage.Mark("reply-1"), carrier.parse(out.getLast()));
        assertEquals(new MediaMessage.Clear(), carrier.parse(server.output(new CallOutput.ClearAudio()).getFirst()));
    }

    @Test
    void theCarrierRefusesWhatAServerMustNotSendNamingTheField() {
        assertRefused("{\"event\":\"media\"", "not JSON");
        assertRefused("[1]", "JSON object");
        assertRefused("{\"streamSid\":\"" + STREAM + "\"}", "event:");
        assertRefused("{\"event\":\"clear\"}", "streamSid: is required");
        assertRefused("{\"event\":\"clear\",\"streamSid\":\"MZother\"}", "streamSid: MZother is not this stream");
        assertRefused("{\"event\":\"media\",\"streamSid\":\"" + STREAM + "\",\"media\":{}}", "media.payload: is required");
        assertRefused("{\"event\":\"media\",\"streamSid\":\"" + STREAM + "\",\"media\":{\"payload\":\"*not*\"}}",
                "media.payload: not base64");
        assertRefused("{\"event\":\"mark\",\"streamSid\":\"" + STREAM + "\",\"mark\":{\"name\":7}}", "mark.name: is required");
        assertRefused("{\"event\":\"start\",\"streamSid\":\"" + STREAM + "\"}", "'start' is not a message a server sends");
        assertRefused("{\"event\":\"stop\",\"streamSid\":\"" + STREAM + "\"}", "'stop' is not a message a server sends");
    }

    private void assertRefused(String text, String reason) {
        MediaMessage.Malformed e = assertThrows(MediaMessage.Malformed.class, () -> carrier.parse(text), text);
        assertTrue(e.getMessage().contains(reason), e.getMessage() + " should say " + reason);
        assertTrue(e.closeCode() == MediaStreamCodec.NOT_CONSISTENT || e.closeCode() == MediaStreamCodec.VIOLATED_POLICY);
    }
}
