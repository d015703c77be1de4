package io.switchboard.telephony.twilio;

import java.util.Base64;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One message on a Twilio Media Streams WebSocket, parsed. {@link #parse} reads what the carrier sends (the
 * server's side); {@link #parseFromServer} reads what the server sends (the carrier's side: {@code media},
 * {@code mark}, {@code clear}), for the development softphone that plays the carrier. Either way the text is
 * outside input, so every way it can be wrong ends in {@link Malformed} with the WebSocket close code and a
 * reason naming the field.
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

    /** {@code clear} (server to carrier): drop the audio queued and not yet played. */
    record Clear() implements MediaMessage {
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

    /** A message the carrier sends, as the server reads it. */
    static MediaMessage parse(String text) throws Malformed {
        JsonNode m = object(text);
        JsonNode event = m.get("event");
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
            case "media" -> new Media(m.path("media").path("track").asText("inbound"), payload(m));
            case "dtmf" -> {
                JsonNode digit = m.path("dtmf").path("digit");
                if (!digit.isTextual() || digit.asText().isEmpty() || digit.asText().length() > 8) {
                    throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "dtmf.digit: is required, a key pressed");
                }
                yield new Dtmf(digit.asText());
            }
            case "mark" -> new Mark(markName(m));
            case "stop" -> new Stop();
            default -> new Ignored(event.asText());
        };
    }

    /**
     * A message the server sends, as the carrier reads it: {@code media} (the agent's audio, track
     * {@code outbound}), {@code mark} and {@code clear}, each naming {@code streamSid}, the stream it belongs to.
     * A message for another stream, or an event the server does not send, is refused as Twilio refuses it.
     */
    static MediaMessage parseFromServer(String text, String streamSid) throws Malformed {
        JsonNode m = object(text);
        JsonNode event = m.get("event");
        JsonNode sid = m.get("streamSid");
        if (sid == null || !sid.isTextual() || sid.asText().isEmpty()) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "streamSid: is required, the stream's id from start");
        }
        if (!sid.asText().equals(streamSid)) {
            throw new Malformed(MediaStreamCodec.VIOLATED_POLICY, "streamSid: " + abbreviate(sid.asText())
                    + " is not this stream (" + streamSid + ")");
        }
        return switch (event.asText()) {
            case "media" -> new Media("outbound", payload(m));
            case "mark" -> new Mark(markName(m));
            case "clear" -> new Clear();
            default -> throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "event: '" + abbreviate(event.asText())
                    + "' is not a message a server sends; those are media, mark and clear");
        };
    }

    private static JsonNode object(String text) throws Malformed {
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
        return m;
    }

    private static byte[] payload(JsonNode m) throws Malformed {
        JsonNode payload = m.path("media").path("payload");
        if (!payload.isTextual()) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "media.payload: is required, base64 audio");
        }
        try {
            return Base64.getDecoder().decode(payload.asText());
        } catch (IllegalArgumentException e) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "media.payload: not base64: " + e.getMessage());
        }
    }

    private static String markName(JsonNode m) throws Malformed {
        JsonNode name = m.path("mark").path("name");
        if (!name.isTextual()) {
            throw new Malformed(MediaStreamCodec.NOT_CONSISTENT, "mark.name: is required, the mark's name");
        }
        return name.asText();
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s;
        return t.length() <= 100 ? t : t.substring(0, 100) + "…";
    }
}
