package io.switchboard.server.telephony;

import java.util.Base64;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.websocket.WsCloseCodes;

/**
 * One message of a Twilio Media Streams WebSocket, parsed: what the carrier sends is outside input, so every
 * way it can be wrong ends in {@link Malformed} with the WebSocket close code and a reason naming the field.
 */
sealed interface MediaMessage {

    /** {@code connected}, {@code mark}, {@code dtmf}, or an event a newer protocol version adds. */
    record Ignored(String event) implements MediaMessage {
    }

    /** {@code start}: the stream's call, its custom parameters and its audio format. */
    record Start(String callSid, JsonNode customParameters, String encoding, int sampleRate, int channels)
            implements MediaMessage {
    }

    /** {@code media}: audio of a track ({@code inbound}: the callee). */
    record Media(String track, byte[] audio) implements MediaMessage {
    }

    record Stop() implements MediaMessage {
    }

    /** Why a message cannot be taken, and the close code that says so. */
    final class Malformed extends Exception {
        private final int closeCode;

        Malformed(int closeCode, String reason) {
            super(reason);
            this.closeCode = closeCode;
        }

        int closeCode() {
            return closeCode;
        }
    }

    ObjectMapper JSON = new ObjectMapper(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(32).maxStringLength(TwilioBridge.MAX_MESSAGE).build()).build());

    static MediaMessage parse(String text) throws Malformed {
        JsonNode m;
        try {
            m = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new Malformed(WsCloseCodes.NOT_CONSISTENT, "not JSON: " + abbreviate(e.getOriginalMessage()));
        }
        if (m == null || !m.isObject()) {
            throw new Malformed(WsCloseCodes.NOT_CONSISTENT, "each message must be a JSON object");
        }
        JsonNode event = m.get("event");
        if (event == null || !event.isTextual() || event.asText().isEmpty()) {
            throw new Malformed(WsCloseCodes.NOT_CONSISTENT, "event: is required and must be a string");
        }
        return switch (event.asText()) {
            case "start" -> {
                JsonNode s = m.path("start");
                JsonNode f = s.path("mediaFormat");
                JsonNode custom = s.path("customParameters");
                yield new Start(s.path("callSid").asText(""), custom.isObject() ? custom : JSON.createObjectNode(),
                        f.path("encoding").asText(""), f.path("sampleRate").asInt(0), f.path("channels").asInt(1));
            }
            case "media" -> {
                JsonNode media = m.path("media");
                JsonNode payload = media.path("payload");
                if (!payload.isTextual()) {
                    throw new Malformed(WsCloseCodes.NOT_CONSISTENT, "media.payload: is required, base64 audio");
                }
                try {
                    yield new Media(media.path("track").asText("inbound"), Base64.getDecoder().decode(payload.asText()));
                } catch (IllegalArgumentException e) {
                    throw new Malformed(WsCloseCodes.NOT_CONSISTENT, "media.payload: not base64: " + e.getMessage());
                }
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
