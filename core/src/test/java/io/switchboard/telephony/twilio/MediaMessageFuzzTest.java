package io.switchboard.telephony.twilio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Base64;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * Media-stream messages come from the carrier's side of the network: any text parses into a message or is
 * refused with a close code and a reason, promptly; well-formed media round-trips its audio exactly.
 */
class MediaMessageFuzzTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    @Property(tries = 2000)
    void anyTextParsesOrIsRefusedWithAReason(@ForAll @StringLength(max = 2000) String text) {
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try {
                MediaMessage.parse(text);
            } catch (MediaMessage.Malformed e) {
                assertFalse(e.getMessage().isBlank());
            }
        });
    }

    @Property(tries = 2000)
    void jsonShapedMessagesParseOrAreRefusedWithAReason(@ForAll("messages") String text) {
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try {
                MediaMessage.parse(text);
            } catch (MediaMessage.Malformed e) {
                assertFalse(e.getMessage().isBlank());
            }
        });
    }

    @Property(tries = 500)
    void mediaPayloadsRoundTrip(@ForAll byte[] audio) throws Exception {
        String text = "{\"event\":\"media\",\"media\":{\"track\":\"inbound\",\"payload\":\""
                + Base64.getEncoder().encodeToString(audio) + "\"}}";
        MediaMessage.Media m = assertInstanceOf(MediaMessage.Media.class, MediaMessage.parse(text));
        assertArrayEquals(audio, m.audio());
    }

    @Test
    void deepNestingAndHugeStringsAreRefusedNotChased() throws Exception {
        String deep = "{\"event\":\"start\",\"start\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        var nested = assertThrows(MediaMessage.Malformed.class, () -> MediaMessage.parse(deep));
        assertEquals(MediaStreamCodec.NOT_CONSISTENT, nested.closeCode());
        String huge = "{\"event\":\"media\",\"media\":{\"payload\":\"" + "A".repeat(MediaMessage.MAX_MESSAGE + 4) + "\"}}";
        assertThrows(MediaMessage.Malformed.class, () -> MediaMessage.parse(huge));
        assertThrows(MediaMessage.Malformed.class, () -> MediaMessage.parse("{\"event\":7}"));
        assertThrows(MediaMessage.Malformed.class,
                () -> MediaMessage.parse("{\"event\":\"media\",\"media\":{\"payload\":\"***\"}}"));
        assertEquals(new MediaMessage.Mark("x"), MediaMessage.parse("{\"event\":\"mark\",\"mark\":{\"name\":\"x\"}}"));
        assertEquals(new MediaMessage.Dtmf("5"), MediaMessage.parse("{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"5\"}}"));
        var noDigit = assertThrows(MediaMessage.Malformed.class, () -> MediaMessage.parse("{\"event\":\"dtmf\"}"));
        assertTrue(noDigit.getMessage().startsWith("dtmf.digit"), noDigit.getMessage());
        assertInstanceOf(MediaMessage.Ignored.class, MediaMessage.parse("{\"event\":\"newer-event\"}"));
    }

    @Provide
    Arbitrary<String> messages() {
        Arbitrary<String> events = Arbitraries.of("start", "media", "stop", "connected", "mark", "dtmf", "", "x");
        Arbitrary<String> values = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40).map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""),
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.of("null", "true", "{}", "[]", "\"aGVsbG8=\"", "\"audio/x-mulaw\"", "8000", "1"));
        Arbitrary<String> fields = Combinators.combine(
                Arbitraries.of("payload", "track", "callSid", "customParameters", "mediaFormat", "encoding",
                        "sampleRate", "channels", "attempt_id", "agent_id"), values).as((k, v) -> "\"" + k + "\":" + v)
                .list().ofMaxSize(6).map(l -> "{" + String.join(",", l) + "}");
        return Combinators.combine(events, Arbitraries.of("start", "media", "stop", "mark"), fields)
                .as((e, section, body) -> "{\"event\":\"" + e + "\",\"" + section + "\":" + body + "}");
    }
}
