package io.switchboard.audio;

import java.util.Set;

import io.switchboard.common.Violations;

/**
 * What a telephony bridge sends: G.711 μ-law (8 kHz on phone lines) or 16-bit little-endian PCM, mono or
 * two channels (agent on channel 0, customer on channel 1), raw or in a WAV container.
 */
public record AudioFormat(Encoding encoding, int sampleRate, int channels, Container container) {

    public enum Encoding {
        MULAW, PCM16;

        public int bytesPerSample() {
            return this == MULAW ? 1 : 2;
        }
    }

    public enum Container { RAW, WAV }

    public static final Set<Integer> RATES = Set.of(8000, 16000, 22050, 24000, 32000, 44100, 48000);

    /** Reports every problem on {@code prefix + field}. */
    public static void validate(String prefix, Encoding encoding, int sampleRate, int channels, Violations v) {
        if (encoding == null) {
            v.add(prefix + "encoding", "is required: ENCODING_MULAW or ENCODING_PCM16");
        }
        if (!RATES.contains(sampleRate)) {
            v.add(prefix + "sample_rate", "must be one of " + RATES.stream().sorted().toList() + " Hz, got " + sampleRate);
        } else if (encoding == Encoding.MULAW && sampleRate != 8000) {
            v.add(prefix + "sample_rate", "G.711 μ-law is 8000 Hz, got " + sampleRate);
        }
        if (channels != 1 && channels != 2) {
            v.add(prefix + "channels", "must be 1 (mixed) or 2 (agent on channel 0, customer on channel 1), got " + channels);
        }
    }

    public int bytesPerSample() {
        return encoding.bytesPerSample();
    }

    public int bytesPerFrame() {
        return bytesPerSample() * channels;
    }

    public String describe() {
        return encoding.name().toLowerCase(java.util.Locale.ROOT) + "/" + sampleRate + "/" + channels;
    }
}
