package io.switchboard.telephony.twilio;

import java.util.Base64;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.audio.G711;
import io.switchboard.audio.Resampler;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;

/**
 * Twilio's Media Streams protocol ⇄ a live call's {@link CallInput}s and {@link CallOutput}s, for one stream.
 * Inbound: {@code media} of the callee's track is the call's audio (8 kHz μ-law, taken as decoded, not copied
 * again), {@code dtmf} and {@code mark} pass through, {@code stop} ends the call; {@code connected} and
 * {@code start} belong to the transport. Outbound: agent audio becomes {@code media} (μ-law at 8 kHz in 200 ms messages, followed by
 * a {@code mark} when it carries one), and a barge-in a {@code clear}; the other outputs have no carrier message.
 * {@link Carrier} is the other end of the same protocol, for the development softphone that plays the carrier.
 */
public final class MediaStreamCodec {

    // WebSocket close codes (RFC 6455 section 7.4.1)
    public static final int NORMAL_CLOSE = 1000;
    public static final int CANNOT_ACCEPT = 1003;
    public static final int NOT_CONSISTENT = 1007;
    public static final int VIOLATED_POLICY = 1008;
    public static final int TOO_BIG = 1009;
    public static final int UNEXPECTED_CONDITION = 1011;

    /** The only audio a Media Stream carries. */
    public static final String ENCODING = "audio/x-mulaw";
    public static final int SAMPLE_RATE = 8000;
    /** Agent audio per outbound {@code media} message: 200 ms, well inside what a message may carry. */
    static final int SAMPLES_PER_MESSAGE = SAMPLE_RATE / 5;

    private final String streamSid;

    /** @param streamSid the stream's id, from its {@code start}; every outbound message names it */
    public MediaStreamCodec(String streamSid) {
        this.streamSid = streamSid;
    }

    /**
     * The call input a parsed message carries: empty for {@code connected}, {@code start} and unknown events,
     * and for the {@code outbound} track's media (our own audio echoed back).
     */
    public static Optional<CallInput> input(MediaMessage m) {
        return switch (m) {
            case MediaMessage.Media media -> media.track().equals("inbound")
                    ? Optional.of(new CallInput.Audio(media.audio())) : Optional.empty();
            case MediaMessage.Dtmf d -> Optional.of(new CallInput.Dtmf(d.digit()));
            case MediaMessage.Mark mark -> Optional.of(new CallInput.Mark(mark.name()));
            case MediaMessage.Stop stop -> Optional.of(new CallInput.End("hangup"));
            case MediaMessage.Connected c -> Optional.empty();
            case MediaMessage.Start s -> Optional.empty();
            case MediaMessage.Ignored i -> Optional.empty();
            case MediaMessage.Clear c -> Optional.empty();
        };
    }

    /** The carrier messages (JSON text) of a call output, in order; none for outputs the carrier has no use for. */
    public List<String> output(CallOutput o) {
        return switch (o) {
            case CallOutput.PlayAudio p -> {
                List<String> out = new java.util.ArrayList<>(media(p.pcm16(), p.sampleRate()));
                if (!p.mark().isEmpty()) {
                    out.add(mark(p.mark()));
                }
                yield out;
            }
            case CallOutput.ClearAudio c -> List.of(clear());
            case CallOutput.Accepted a -> List.of();
            case CallOutput.Transcript t -> List.of();
            case CallOutput.Ended e -> List.of();
        };
    }

    /** {@code media} messages of 200 ms each: PCM16 mono at {@code sampleRate}, sent as 8 kHz μ-law. */
    public List<String> media(short[] pcm16, int sampleRate) {
        short[] at8k = pcm16;
        if (sampleRate != SAMPLE_RATE) {
            Resampler r = new Resampler(sampleRate, SAMPLE_RATE);
            short[] body = r.process(pcm16, 0, pcm16.length);
            short[] tail = r.flush();
            at8k = java.util.Arrays.copyOf(body, body.length + tail.length);
            System.arraycopy(tail, 0, at8k, body.length, tail.length);
        }
        List<String> out = new java.util.ArrayList<>();
        for (int from = 0; from < at8k.length; from += SAMPLES_PER_MESSAGE) {
            byte[] mulaw = new byte[Math.min(SAMPLES_PER_MESSAGE, at8k.length - from)];
            for (int i = 0; i < mulaw.length; i++) {
                mulaw[i] = G711.linearToUlaw(at8k[from + i]);
            }
            ObjectNode m = message("media");
            m.putObject("media").put("payload", Base64.getEncoder().encodeToString(mulaw));
            out.add(m.toString());
        }
        return out;
    }

    /** {@code mark}: the carrier echoes it once the audio sent before it has been played. */
    public String mark(String name) {
        ObjectNode m = message("mark");
        m.putObject("mark").put("name", name);
        return m.toString();
    }

    /** {@code clear}: drops the audio sent but not yet played (the carrier echoes the pending marks). */
    public String clear() {
        return message("clear").toString();
    }

    private ObjectNode message(String event) {
        ObjectNode m = MediaMessage.JSON.createObjectNode();
        m.put("event", event);
        m.put("streamSid", streamSid);
        return m;
    }

    /**
     * The carrier's end of one stream: the messages Twilio sends, as it numbers them ({@code sequenceNumber} from 1
     * across the stream, {@code chunk} and {@code timestamp} in milliseconds across the media), and the server's
     * messages read with {@link MediaMessage#parseFromServer} against this stream's id. Not thread-safe: one
     * sender per stream, as on a WebSocket.
     */
    public static final class Carrier {
        private final String streamSid;
        private final String accountSid;
        private final String callSid;
        private int sequence;
        private int chunk;
        private long samples;

        public Carrier(String streamSid, String accountSid, String callSid) {
            this.streamSid = streamSid;
            this.accountSid = accountSid;
            this.callSid = callSid;
        }

        public String streamSid() {
            return streamSid;
        }

        /** {@code connected}: the first message, before any numbering. */
        public String connected() {
            ObjectNode m = MediaMessage.JSON.createObjectNode();
            m.put("event", "connected").put("protocol", "Call").put("version", "1.0.0");
            sequence = 1;
            return m.toString();
        }

        /** {@code start}: the stream's and call's ids, the TwiML's custom parameters, 8 kHz mono μ-law. */
        public String start(java.util.Map<String, String> customParameters) {
            ObjectNode m = numbered("start");
            ObjectNode s = m.putObject("start").put("streamSid", streamSid).put("accountSid", accountSid)
                    .put("callSid", callSid);
            s.putArray("tracks").add("inbound");
            ObjectNode custom = s.putObject("customParameters");
            customParameters.forEach(custom::put);
            s.putObject("mediaFormat").put("encoding", ENCODING).put("sampleRate", SAMPLE_RATE).put("channels", 1);
            return m.toString();
        }

        /** {@code media} of the inbound track: the callee's μ-law audio at 8 kHz (Twilio sends 20 ms a message). */
        public String media(byte[] mulaw) {
            ObjectNode m = numbered("media");
            m.putObject("media").put("track", "inbound").put("chunk", Integer.toString(++chunk))
                    .put("timestamp", Long.toString(samples * 1000 / SAMPLE_RATE))
                    .put("payload", Base64.getEncoder().encodeToString(mulaw));
            samples += mulaw.length;
            return m.toString();
        }

        /** {@code dtmf}: a key the callee pressed. */
        public String dtmf(String digit) {
            ObjectNode m = numbered("dtmf");
            m.putObject("dtmf").put("track", "inbound_track").put("digit", digit);
            return m.toString();
        }

        /** {@code mark}: a mark the server sent, echoed once the audio queued before it has played. */
        public String mark(String name) {
            ObjectNode m = numbered("mark");
            m.putObject("mark").put("name", name);
            return m.toString();
        }

        /** {@code stop}: the call is over. */
        public String stop() {
            ObjectNode m = numbered("stop");
            m.putObject("stop").put("accountSid", accountSid).put("callSid", callSid);
            return m.toString();
        }

        /** A message from the server: {@link MediaMessage.Media}, {@link MediaMessage.Mark} or {@link MediaMessage.Clear}. */
        public MediaMessage parse(String text) throws MediaMessage.Malformed {
            return MediaMessage.parseFromServer(text, streamSid);
        }

        private ObjectNode numbered(String event) {
            ObjectNode m = MediaMessage.JSON.createObjectNode();
            m.put("event", event).put("sequenceNumber", Integer.toString(++sequence)).put("streamSid", streamSid);
            return m;
        }
    }
}
