package io.switchboard.telephony.twilio;

import java.util.Base64;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One message the carrier sends on a Twilio Media Streams WebSocket, parsed: what the carrier sends is outside
 * input, so every way it can be wrong ends in {@link Malformed} with the WebSocket close code and a reason
 * naming the field.
 */
public sealed interface MediaMessage {

    /** Largest message accepted: a Twilio frame is ~300 bytes; generous for larger chunks. */
    int MAX_MESSAGE = 64 * 1024;

    /** {@code connected}: the protocol handshake. */
    record Connected() implements MediaMessage {
    }

    /** An event a newer protocol version adds. */
    record Ignored(String event) implements MediaMessage {
    }

    /** {@code start}: the stream's id and call, its custom parameters and its audio format. */
    record Start(String streamSid, String callSid, JsonNode customParameters, String encoding, int sampleRate,
                 int channels) implements MediaMessage {
    }

    /** {@code media}: audio of a track ({@code inbound}: the callee). */
    record Media(String track, byte[] audio) implements MediaMessage {
    }

    /** {@code dtmf}: a key the callee pressed. */
    record Dtmf(String digit) implements MediaMessage {
    }

    /** {@code mark}: audio we sent with this mark has been played. */
    record Mark(String name) implements MediaMessage {
    }

    record Stop() implements MediaMessage {
    }

    /** Why a message cannot be taken, and the close code that says so. */
    final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;
        private final int closeCode;

        Malformed(int closeCode, String reason) {
            super(reason);
            this.closeCode = closeCode;
        }

        public int closeCode() {
            return closeCode;
        }
    }

    ObjectMapper JSON = new ObjectMapper(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(32).maxStringLength(MAX_MESSAGE).build()).build());

    static MediaMessage parse(String text) throws Malformed {
        JsonNode m;
        try {
            m = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "not JSON: " + abbreviate(e.getOriginalMessage()));
        }
        if (m == null || !m.isObject()) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "each message must be a JSON object");
        }
        JsonNode event = m.get("event");
        if (event == null || !event.isTextual() || event.asText().isEmpty()) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "event: is required and must be a string");
        }
        return switch (event.asText()) {
            case "connected" -> new Connected();
            case "start" -> {
                JsonNode s = m.path("start");
                JsonNode f = s.path("mediaFormat");
                JsonNode custom = s.path("customParameters");
                yield new Start(m.path("streamSid").asText(s.path("streamSid").asText("")), s.path("callSid").asText(""),
                        custom.isObject() ? custom : JSON.createObjectNode(),
                        f.path("encoding").asText(""), f.path("sampleRate").asInt(0), f.path("channels").asInt(1));
            }
            case "media" -> {
                JsonNode media = m.path("media");
                JsonNode payload = media.path("payload");
                if (!payload.isTextual()) {
                    throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "media.payload: is required, base64 audio");
                }
                try {
                    yield new Media(media.path("track").asText("inbound"), Base64.getDecoder().decode(payload.asText()));
                } catch (IllegalArgumentException e) {
                    throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "media.payload: not base64: " + e.getMessage());
                }
            }
            case "dtmf" -> {
                JsonNode digit = m.path("dtmf").path("digit");
                if (!digit.isTextual() || digit.asText().isEmpty() || digit.asText().length() > 8) {
                    throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "dtmf.digit: is required, a key pressed");
                }
                yield new Dtmf(digit.asText());
            }
            case "mark" -> {
                JsonNode name = m.path("mark").path("name");
                if (!name.isTextual()) {
                    throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "mark.name: is required, the mark we sent");
                }
                yield new Mark(name.asText());
            }
            case "stop" -> new Stop();
            default -> new Ignored(event.asText());
        };
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s;
        return t.length() <= 100 ? t : t.substring(0, 100) + "…";
    }
}
