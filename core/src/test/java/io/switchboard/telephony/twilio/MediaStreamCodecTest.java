package io.switchboard.telephony.twilio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.audio.G711;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.transcription.TranscriptEvent;
import org.junit.jupiter.api.Test;

/** Twilio's Media Streams JSON ⇄ a live call's inputs and outputs, both ways, on the wire format Twilio documents. */
class MediaStreamCodecTest {

    private final MediaStreamCodec codec = new MediaStreamCodec("MZ18ad3ab5a668481ce02b83e7395059f0");

    private static Optional<CallInput> in(String json) throws Exception {
        return MediaStreamCodec.input(MediaMessage.parse(json));
    }

    @Test
    void theCalleesAudioKeysMarksAndStopBecomeInputsAndTheRestIsTheTransports() throws Exception {
        byte[] frame = new byte[160];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (i * 7);
        }
        MediaMessage media = MediaMessage.parse("{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":{\"track\":"
                + "\"inbound\",\"chunk\":\"1\",\"timestamp\":\"5\",\"payload\":\"" + Base64.getEncoder().encodeToString(frame)
                + "\"},\"streamSid\":\"MZ1\"}");
        CallInput.Audio audio = assertInstanceOf(CallInput.Audio.class, MediaStreamCodec.input(media).orElseThrow());
        assertArrayEquals(frame, audio.bytes());
        assertSame(((MediaMessage.Media) media).audio(), audio.bytes(), "the decoded frame itself, not a copy");

        assertEquals(Optional.empty(), in("{\"event\":\"media\",\"media\":{\"track\":\"outbound\",\"payload\":\"AAAA\"}}"),
                "our own audio echoed back is not the callee's");
        assertEquals(Optional.of(new CallInput.Dtmf("#")),
                in("{\"event\":\"dtmf\",\"streamSid\":\"MZ1\",\"dtmf\":{\"track\":\"inbound_track\",\"digit\":\"#\"}}"));
        assertEquals(Optional.of(new CallInput.Mark("greeting")),
                in("{\"event\":\"mark\",\"streamSid\":\"MZ1\",\"mark\":{\"name\":\"greeting\"}}"));
        assertEquals(Optional.of(new CallInput.End("hangup")),
                in("{\"event\":\"stop\",\"streamSid\":\"MZ1\",\"stop\":{\"callSid\":\"CA1\"}}"));
        assertEquals(Optional.empty(), in("{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}"));
        MediaMessage.Start start = assertInstanceOf(MediaMessage.Start.class, MediaMessage.parse("{\"event\":\"start\","
                + "\"streamSid\":\"MZ9\",\"start\":{\"streamSid\":\"MZ9\",\"callSid\":\"CA9\",\"customParameters\":"
                + "{\"attempt_id\":\"x\"},\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}}}"));
        assertEquals("MZ9", start.streamSid());
        assertEquals("CA9", start.callSid());
        assertEquals(Optional.empty(), MediaStreamCodec.input(start));
    }

    @Test
    void agentAudioGoesOutAsMuLawMediaAtEightKilohertzThenItsMark() throws Exception {
        short[] speech = SpeechAudio.librivox().getFirst().samples(); // 16 kHz
        List<String> out = codec.output(new CallOutput.PlayAudio(speech, 16_000, "greeting"));
        short[] at8k = SpeechAudio.resample(speech, 16_000, 8_000);
        int messages = (at8k.length + MediaStreamCodec.SAMPLES_PER_MESSAGE - 1) / MediaStreamCodec.SAMPLES_PER_MESSAGE;
        assertEquals(messages + 1, out.size(), "the audio in 200 ms messages, then the mark");

        java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
        for (String text : out.subList(0, messages)) {
            JsonNode media = MediaMessage.JSON.readTree(text);
            assertEquals("media", media.path("event").asText());
            assertEquals("MZ18ad3ab5a668481ce02b83e7395059f0", media.path("streamSid").asText());
            byte[] mulaw = Base64.getDecoder().decode(media.path("media").path("payload").asText());
            // what we send parses as the carrier would echo it: the same audio
            MediaMessage.Media echoed = assertInstanceOf(MediaMessage.Media.class, MediaMessage.parse(text));
            assertArrayEquals(mulaw, echoed.audio());
            sent.writeBytes(mulaw);
        }
        byte[] mulaw = sent.toByteArray();
        assertEquals(at8k.length, mulaw.length);
        for (int i = 0; i < at8k.length; i++) {
            assertEquals(G711.linearToUlaw(at8k[i]), mulaw[i], "sample " + i);
        }

        JsonNode mark = MediaMessage.JSON.readTree(out.getLast());
        assertEquals("mark", mark.path("event").asText());
        assertEquals("greeting", mark.path("mark").path("name").asText());
        assertEquals(new MediaMessage.Mark("greeting"), MediaMessage.parse(out.getLast()));

        assertEquals(messages, codec.output(new CallOutput.PlayAudio(at8k, 8_000, "")).size(), "no mark asked, none sent");
    }

    @Test
    void aBargeInClearsThePlayoutAndTheOtherOutputsHaveNoCarrierMessage() throws Exception {
        List<String> clear = codec.output(new CallOutput.ClearAudio());
        assertEquals(1, clear.size());
        JsonNode c = MediaMessage.JSON.readTree(clear.getFirst());
        assertEquals("clear", c.path("event").asText());
        assertEquals("MZ18ad3ab5a668481ce02b83e7395059f0", c.path("streamSid").asText());
        assertTrue(codec.output(new CallOutput.Transcript(0, "unknown", new TranscriptEvent(true, "hi",
                java.time.Duration.ZERO, java.time.Duration.ofMillis(300), List.of()))).isEmpty());
    }
}
