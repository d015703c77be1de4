package io.switchboard.talk;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audio.Resampler;
import io.switchboard.common.SwitchboardException;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;

/**
 * The browser talk WebSocket's wire format, both ways, apart from any server: binary frames are PCM16LE mono at
 * {@value #RATE} Hz (the caller's audio up, the agent's down); text frames are small JSON control messages.
 * Up: {@code {"type":"mark","name":…}} once the agent audio before that mark has played, {@code {"type":"end"}}
 * to hang up. Down: {@code accepted}, {@code transcript} (either side), {@code clear}, {@code mark} (after the
 * audio it follows), {@code ended} and {@code error} — as Twilio's media streams and Pipecat's serializers keep
 * control and audio apart, but without base64: a browser sends and plays binary frames as they are.
 */
public final class TalkCodec {

    /** The audio rate both ways. */
    public static final int RATE = 16_000;
    /** Largest control message the page may send. */
    public static final int MAX_TEXT = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One WebSocket frame to send: JSON text or binary audio. */
    public sealed interface Frame {
        record Text(String json) implements Frame {
        }

        record Binary(byte[] bytes) implements Frame {
        }
    }

    private TalkCodec() {
    }

    /** A control message from the page, or INVALID_ARGUMENT naming what is wrong with it. */
    public static CallInput input(String text) {
        if (text.length() > MAX_TEXT) {
            throw new SwitchboardException.InvalidArgument("message", "control messages are at most " + MAX_TEXT
                    + " characters");
        }
        JsonNode m;
        try {
            m = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SwitchboardException.InvalidArgument("message", "not JSON: " + e.getOriginalMessage());
        }
        if (m == null || !m.isObject()) {
            throw new SwitchboardException.InvalidArgument("message", "must be a JSON object with a type");
        }
        String type = m.path("type").asText("");
        return switch (type) {
            case "mark" -> {
                JsonNode name = m.path("name");
                if (!name.isTextual() || name.asText().isEmpty() || name.asText().length() > 200) {
                    throw new SwitchboardException.InvalidArgument("name", "a mark names the mark it echoes (1-200"
                            + " characters)");
                }
                yield new CallInput.Mark(name.asText());
            }
            case "end" -> new CallInput.End(m.path("reason").asText(""));
            case "" -> throw new SwitchboardException.InvalidArgument("type", "is required: mark or end");
            default -> throw new SwitchboardException.InvalidArgument("type", "unknown type '" + abbreviate(type)
                    + "': mark or end");
        };
    }

    /**
     * Caller audio from a binary frame: whole PCM16 samples, at most {@code maxBytes}; else INVALID_ARGUMENT
     * naming {@code audio}.
     */
    public static byte[] audio(byte[] frame, int maxBytes) {
        if (frame.length > maxBytes) {
            throw new SwitchboardException.InvalidArgument("audio", "a frame of " + frame.length + " bytes exceeds "
                    + maxBytes + "; send 20-100 ms of 16 kHz PCM16 per frame");
        }
        if (frame.length % 2 != 0) {
            throw new SwitchboardException.InvalidArgument("audio", "a frame of " + frame.length + " bytes is not"
                    + " whole 16-bit samples; send PCM16LE mono at 16 kHz");
        }
        return frame;
    }

    /** What the page is sent for one output of the call, in order. */
    public static List<Frame> output(CallOutput output) {
        List<Frame> out = new ArrayList<>(2);
        switch (output) {
            case CallOutput.Accepted a -> out.add(text(object("accepted").put("call_id", a.call().id().toString())));
            case CallOutput.Transcript t -> {
                ObjectNode o = object("transcript").put("speaker", t.speaker()).put("final", t.event().isFinal())
                        .put("text", t.event().text()).put("start_ms", t.event().start().toMillis())
                        .put("end_ms", t.event().end().toMillis());
                if (t.interrupted()) {
                    o.put("interrupted", true);
                }
                out.add(text(o));
            }
            case CallOutput.PlayAudio p -> {
                short[] pcm = p.sampleRate() == RATE ? p.pcm16() : resampled(p.pcm16(), p.sampleRate());
                out.add(new Frame.Binary(pcm16le(pcm)));
                if (!p.mark().isEmpty()) {
                    out.add(text(object("mark").put("name", p.mark())));
                }
            }
            case CallOutput.ClearAudio c -> out.add(text(object("clear")));
            case CallOutput.Ended e -> out.add(text(object("ended").put("call_id", e.call().id().toString())
                    .put("state", e.call().state().name().toLowerCase(java.util.Locale.ROOT))
                    .put("reason", e.call().endReason())));
        }
        return out;
    }

    /** Why the call was refused or failed: a gRPC status code name and its message. */
    public static Frame error(String code, String message) {
        return text(object("error").put("code", code).put("message", message));
    }

    /** A frame's text, if it is one (tests). */
    public static Optional<String> json(Frame f) {
        return f instanceof Frame.Text t ? Optional.of(t.json()) : Optional.empty();
    }

    /**
     * Agent audio at another rate, whole (the agent speaks at 16 kHz on a 16 kHz call; this is only a guard should
     * that change, at the cost of a seam between chunks).
     */
    private static short[] resampled(short[] pcm, int rate) {
        Resampler r = new Resampler(rate, RATE);
        short[] body = r.process(pcm, 0, pcm.length);
        short[] tail = r.flush();
        short[] all = java.util.Arrays.copyOf(body, body.length + tail.length);
        System.arraycopy(tail, 0, all, body.length, tail.length);
        return all;
    }

    static byte[] pcm16le(short[] pcm) {
        byte[] b = new byte[pcm.length * 2];
        for (int i = 0; i < pcm.length; i++) {
            b[2 * i] = (byte) pcm[i];
            b[2 * i + 1] = (byte) (pcm[i] >> 8);
        }
        return b;
    }

    private static ObjectNode object(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    private static Frame text(ObjectNode node) {
        return new Frame.Text(node.toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
