package io.switchboard.audio;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Turns a call's audio bytes, in whatever framing they arrive, into PCM16 per channel at the recogniser's
 * rate. A WAV container's header is read from the first bytes (and checked against the declared format);
 * a sample split across two frames is carried over.
 */
public final class StreamDecoder {

    private final AudioFormat declared;
    private final int targetRate;
    private AudioFormat format; // known once the header (if any) is read
    private byte[] header = new byte[0];
    private byte[] carry = new byte[0];
    private Resampler[] resamplers;
    private long frames;

    public StreamDecoder(AudioFormat declared, int targetRate) {
        this.declared = declared;
        this.targetRate = targetRate;
        if (declared.container() == AudioFormat.Container.RAW) {
            start(declared);
        }
    }

    private void start(AudioFormat f) {
        format = f;
        resamplers = new Resampler[f.channels()];
        for (int c = 0; c < f.channels(); c++) {
            resamplers[c] = new Resampler(f.sampleRate(), targetRate);
        }
    }

    /** The audio's format: the declared one, or the WAV header's once read. */
    public Optional<AudioFormat> format() {
        return Optional.ofNullable(format);
    }

    /** Input frames (one sample per channel) decoded so far. */
    public long frames() {
        return frames;
    }

    /** The audio bytes of a chunk (the WAV header stripped) and its samples per channel at the target rate. */
    public record Decoded(byte[] audio, short[][] channels) {
    }

    /**
     * Decodes {@code bytes}; returns the audio bytes they carried (without any WAV header) and one array per
     * channel at the target rate (empty while a WAV header is still incomplete).
     *
     * @throws Wav.MalformedWav when the header is not a WAV we accept, or disagrees with the declared format
     */
    public Decoded accept(byte[] bytes) {
        byte[] data = bytes;
        if (format == null) {
            byte[] h = Arrays.copyOf(header, header.length + bytes.length);
            System.arraycopy(bytes, 0, h, header.length, bytes.length);
            Optional<Wav.Header> parsed = Wav.parse(h, h.length);
            if (parsed.isEmpty()) {
                if (h.length > Wav.MAX_HEADER) {
                    throw new Wav.MalformedWav("no WAV header within " + Wav.MAX_HEADER + " bytes");
                }
                header = h;
                return new Decoded(new byte[0], new short[declared.channels()][0]);
            }
            AudioFormat f = parsed.get().format();
            if (f.encoding() != declared.encoding() || f.sampleRate() != declared.sampleRate()
                    || f.channels() != declared.channels()) {
                throw new Wav.MalformedWav("the WAV header says " + f.describe() + " but the call declared "
                        + declared.describe());
            }
            start(f);
            data = Arrays.copyOfRange(h, parsed.get().headerLength(), h.length);
            header = null;
        }
        int frameBytes = format.bytesPerFrame();
        byte[] all = data;
        if (carry.length > 0) {
            all = Arrays.copyOf(carry, carry.length + data.length);
            System.arraycopy(data, 0, all, carry.length, data.length);
        }
        int n = all.length / frameBytes;
        carry = Arrays.copyOfRange(all, n * frameBytes, all.length);
        frames += n;
        short[][] out = new short[format.channels()][];
        for (int c = 0; c < format.channels(); c++) {
            short[] ch = new short[n];
            for (int i = 0; i < n; i++) {
                int at = i * frameBytes + c * format.bytesPerSample();
                ch[i] = format.encoding() == AudioFormat.Encoding.MULAW ? G711.ulawToLinear(all[at])
                        : (short) ((all[at] & 0xff) | (all[at + 1] << 8));
            }
            out[c] = resamplers[c].process(ch, 0, n);
        }
        return new Decoded(data, out);
    }

    /** The resamplers' tails, at the end of the stream. */
    public short[][] finish() {
        if (format == null) {
            return new short[declared.channels()][0];
        }
        List<short[]> out = new ArrayList<>();
        for (Resampler r : resamplers) {
            out.add(r.flush());
        }
        return out.toArray(short[][]::new);
    }
}
