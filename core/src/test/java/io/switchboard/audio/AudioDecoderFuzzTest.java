package io.switchboard.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The audio decoders take bytes from the outside (live streams, uploads): whatever arrives, they decode it
 * or refuse it with {@link Wav.MalformedWav}, promptly; and how a stream is cut into frames never changes
 * what it decodes to.
 */
class AudioDecoderFuzzTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    @Property(tries = 1000)
    void arbitraryBytesDeclaredAsWavDecodeOrAreRefused(@ForAll @Size(max = 4096) byte[] bytes,
                                                        @ForAll("formats") AudioFormat declared) {
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try {
                Wav.parse(bytes, bytes.length);
                StreamDecoder d = new StreamDecoder(withContainer(declared, AudioFormat.Container.WAV), 16_000);
                d.accept(bytes);
                d.finish();
            } catch (Wav.MalformedWav expected) {
                // a clear refusal: the message names what is wrong
            }
        });
    }

    @Property(tries = 500)
    void aValidHeaderWithAnyByteChangedDecodesOrIsRefused(@ForAll @IntRange(min = 0, max = 43) int position,
                                                          @ForAll byte value, @ForAll("formats") AudioFormat f) {
        byte[] wav = wav(f, new byte[f.sampleRate() / 10 * f.bytesPerFrame()]);
        wav[position] = value;
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try {
                StreamDecoder d = new StreamDecoder(withContainer(f, AudioFormat.Container.WAV), 16_000);
                d.accept(wav);
                d.finish();
            } catch (Wav.MalformedWav expected) {
                // refused
            }
        });
    }

    @Property(tries = 300)
    void howAStreamIsCutIntoFramesNeverChangesTheAudio(@ForAll("formats") AudioFormat f,
                                                       @ForAll @Size(min = 1, max = 20) List<@IntRange(min = 1, max = 997) Integer> cuts,
                                                       @ForAll @Size(min = 2, max = 3000) byte[] audio) {
        byte[] data = java.util.Arrays.copyOf(audio, audio.length - audio.length % f.bytesPerFrame());
        byte[] wav = wav(f, data);
        short[][] whole = decodeInChunks(f, wav, List.of(wav.length));
        short[][] cut = decodeInChunks(f, wav, cuts);
        for (int c = 0; c < f.channels(); c++) {
            assertArrayEquals(whole[c], cut[c], "channel " + c + " differs when cut at " + cuts);
        }
    }

    @Provide
    Arbitrary<AudioFormat> formats() {
        return Arbitraries.of(new AudioFormat(AudioFormat.Encoding.PCM16, 16_000, 1, AudioFormat.Container.RAW),
                new AudioFormat(AudioFormat.Encoding.PCM16, 8000, 2, AudioFormat.Container.RAW),
                new AudioFormat(AudioFormat.Encoding.PCM16, 48_000, 1, AudioFormat.Container.RAW),
                new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW),
                new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 2, AudioFormat.Container.RAW));
    }

    private static short[][] decodeInChunks(AudioFormat f, byte[] wav, List<Integer> sizes) {
        StreamDecoder d = new StreamDecoder(withContainer(f, AudioFormat.Container.WAV), 16_000);
        List<ByteArrayOutputStream> out = new ArrayList<>();
        for (int c = 0; c < f.channels(); c++) {
            out.add(new ByteArrayOutputStream());
        }
        int off = 0;
        int i = 0;
        while (off < wav.length) {
            int n = Math.min(sizes.get(i++ % sizes.size()), wav.length - off);
            collect(d.accept(java.util.Arrays.copyOfRange(wav, off, off + n)).channels(), out);
            off += n;
        }
        collect(d.finish(), out);
        short[][] result = new short[f.channels()][];
        for (int c = 0; c < f.channels(); c++) {
            byte[] b = out.get(c).toByteArray();
            result[c] = new short[b.length / 2];
            for (int k = 0; k < result[c].length; k++) {
                result[c][k] = (short) ((b[2 * k] << 8) | (b[2 * k + 1] & 0xff));
            }
        }
        return result;
    }

    private static void collect(short[][] channels, List<ByteArrayOutputStream> out) {
        for (int c = 0; c < channels.length; c++) {
            for (short s : channels[c]) {
                out.get(c).write(s >> 8);
                out.get(c).write(s);
            }
        }
    }

    private static byte[] wav(AudioFormat f, byte[] data) {
        byte[] header = Wav.header(withContainer(f, AudioFormat.Container.WAV), data.length);
        byte[] wav = java.util.Arrays.copyOf(header, header.length + data.length);
        System.arraycopy(data, 0, wav, header.length, data.length);
        return wav;
    }

    private static AudioFormat withContainer(AudioFormat f, AudioFormat.Container c) {
        return new AudioFormat(f.encoding(), f.sampleRate(), f.channels(), c);
    }
}
