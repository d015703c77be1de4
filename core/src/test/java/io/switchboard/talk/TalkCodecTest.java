package io.switchboard.talk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.common.SwitchboardException;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.transcription.TranscriptEvent;
import org.junit.jupiter.api.Test;

/** The talk socket's wire format, both ways, without a server. */
class TalkCodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void marksAndTheHangUpComeInAsTheCallsInputs() {
        assertEquals(new CallInput.Mark("s3"), TalkCodec.input("{\"type\":\"mark\",\"name\":\"s3\"}"));
        assertEquals(new CallInput.End(""), TalkCodec.input("{\"type\":\"end\"}"));
    }

    @Test
    void malformedControlMessagesAreRefusedNamingWhatIsWrong() {
        assertEquals("message", field(() -> TalkCodec.input("{not json")));
        assertEquals("message", field(() -> TalkCodec.input("[1]")));
        assertEquals("type", field(() -> TalkCodec.input("{}")));
        assertEquals("type", field(() -> TalkCodec.input("{\"type\":\"media\"}")));
        assertEquals("name", field(() -> TalkCodec.input("{\"type\":\"mark\"}")));
        assertEquals("message", field(() -> TalkCodec.input("{\"type\":\"end\",\"pad\":\"" + "x".repeat(5000) + "\"}")));
    }

    @Test
    void audioFramesAreWholeSamplesWithinTheLimit() {
        byte[] ok = new byte[640];
        assertArrayEquals(ok, TalkCodec.audio(ok, 1024));
        assertEquals("audio", field(() -> TalkCodec.audio(new byte[641], 1024)));
        assertEquals("audio", field(() -> TalkCodec.audio(new byte[2048], 1024)));
    }

    @Test
    void agentAudioGoesDownAsPcm16leFollowedByItsMark() throws Exception {
        List<TalkCodec.Frame> frames = TalkCodec.output(new CallOutput.PlayAudio(new short[] {1, -2, 0x1234}, 16_000, "s1"));
        assertEquals(2, frames.size());
        assertArrayEquals(new byte[] {1, 0, (byte) 0xfe, (byte) 0xff, 0x34, 0x12},
                assertInstanceOf(TalkCodec.Frame.Binary.class, frames.get(0)).bytes());
        JsonNode mark = JSON.readTree(TalkCodec.json(frames.get(1)).orElseThrow());
        assertEquals("mark", mark.get("type").asText());
        assertEquals("s1", mark.get("name").asText());
        assertEquals(1, TalkCodec.output(new CallOutput.PlayAudio(new short[4], 16_000, "")).size(), "no mark, no message");
        assertEquals(160, ((TalkCodec.Frame.Binary) TalkCodec.output(new CallOutput.PlayAudio(new short[80], 8000, ""))
                .getFirst()).bytes().length / 2, "8 kHz audio is sent at 16 kHz");
    }

    @Test
    void clearsAndTranscriptsGoDownAsJson() throws Exception {
        JsonNode clear = JSON.readTree(TalkCodec.json(TalkCodec.output(new CallOutput.ClearAudio()).getFirst()).orElseThrow());
        assertEquals("clear", clear.get("type").asText());
        JsonNode t = JSON.readTree(TalkCodec.json(TalkCodec.output(new CallOutput.Transcript(1, "customer",
                new TranscriptEvent(true, "three people", Duration.ofMillis(1200), Duration.ofMillis(2100), List.of())))
                .getFirst()).orElseThrow());
        assertEquals("transcript", t.get("type").asText());
        assertEquals("customer", t.get("speaker").asText());
        assertTrue(t.get("final").asBoolean());
        assertEquals("three people", t.get("text").asText());
        assertEquals(1200, t.get("start_ms").asLong());
        assertFalse(t.has("interrupted"));
        JsonNode cut = JSON.readTree(TalkCodec.json(TalkCodec.output(new CallOutput.Transcript(0, "agent",
                new TranscriptEvent(true, "Your appointment", Duration.ZERO, Duration.ofMillis(900), List.of()), true))
                .getFirst()).orElseThrow());
        assertEquals("agent", cut.get("speaker").asText());
        assertTrue(cut.get("interrupted").asBoolean(), "an agent sentence the caller talked over says so");
        JsonNode error = JSON.readTree(TalkCodec.json(TalkCodec.error("RESOURCE_EXHAUSTED", "the plan allows 5")).orElseThrow());
        assertEquals("RESOURCE_EXHAUSTED", error.get("code").asText());
        assertEquals("the plan allows 5", error.get("message").asText());
    }

    private static String field(Runnable r) {
        return assertThrows(SwitchboardException.InvalidArgument.class, r::run).violations().getFirst().field();
    }
}
