package io.switchboard.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import io.switchboard.transcription.SpeechAudio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AudioTest {

    static short[] sine(double hz, int rate, double seconds, double amplitude) {
        short[] s = new short[(int) (rate * seconds)];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) Math.round(amplitude * Math.sin(2 * Math.PI * hz * i / rate));
        }
        return s;
    }

    static double rms(short[] s, int from, int to) {
        double acc = 0;
        for (int i = from; i < to; i++) {
            acc += (double) s[i] * s[i];
        }
        return Math.sqrt(acc / (to - from));
    }

    static int zeroCrossings(short[] s, int from, int to) {
        int n = 0;
        for (int i = from + 1; i < to; i++) {
            if ((s[i - 1] < 0) != (s[i] < 0)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void muLawDecodesToTheG711TableAndRoundTrips() {
        assertEquals(0, G711.ulawToLinear((byte) 0xFF));
        assertEquals(-32124, G711.ulawToLinear((byte) 0x00));
        assertEquals(32124, G711.ulawToLinear((byte) 0x80));
        assertEquals(-8, G711.ulawToLinear((byte) 0x7E));
        for (int b = 0; b < 256; b++) {
            assertEquals((byte) b == (byte) 0x7F ? (byte) 0xFF : (byte) b, G711.linearToUlaw(G711.ulawToLinear((byte) b)),
                    "byte " + b);
        }
    }

    @Test
    void upsamplingATelephoneToneKeepsItsPitchAndLoudness() {
        short[] in = sine(1000, 8000, 1.0, 10000);
        Resampler r = new Resampler(8000, 16000);
        short[] out = concat(r.process(in, 0, in.length), r.flush());
        assertEquals(16000, out.length, 2);
        assertEquals(2000, zeroCrossings(out, 0, out.length), 4, "1 kHz stays 1 kHz");
        assertEquals(rms(in, 800, 7200), rms(out, 1600, 14400), rms(in, 800, 7200) * 0.03);
    }

    @Test
    void downsamplingRemovesWhatWouldFoldIntoTheSpeechBand() {
        short[] hiss = sine(10_000, 48_000, 1.0, 10000);
        Resampler r = new Resampler(48_000, 16_000);
        short[] out = concat(r.process(hiss, 0, hiss.length), r.flush());
        double db = 20 * Math.log10(rms(out, 1000, 15000) / rms(hiss, 1000, 47000));
        assertTrue(db < -40, "a 10 kHz tone above the new 8 kHz Nyquist is attenuated by " + db + " dB");
        short[] speech = sine(3000, 48_000, 1.0, 10000);
        Resampler r2 = new Resampler(48_000, 16_000);
        short[] kept = concat(r2.process(speech, 0, speech.length), r2.flush());
        assertEquals(rms(speech, 1000, 47000), rms(kept, 1000, 15000), rms(speech, 1000, 47000) * 0.03);
    }

    @Test
    void resamplingDoesNotDependOnChunking() {
        short[] in = sine(440, 44_100, 0.5, 8000);
        Resampler whole = new Resampler(44_100, 16_000);
        short[] expected = concat(whole.process(in, 0, in.length), whole.flush());
        Resampler chunked = new Resampler(44_100, 16_000);
        short[] acc = new short[0];
        for (int i = 0; i < in.length; i += 317) {
            acc = concat(acc, chunked.process(in, i, Math.min(317, in.length - i)));
        }
        acc = concat(acc, chunked.flush());
        assertArrayEquals(expected, acc);
    }

    @Test
    void wavHeadersAreReadPastOtherChunksAndMalformedOnesRefused() {
        byte[] h = Wav.header(new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 2, AudioFormat.Container.WAV), 1600);
        // insert an odd-sized LIST chunk between fmt and data
        byte[] list = ByteBuffer.allocate(8 + 4).order(ByteOrder.LITTLE_ENDIAN).put("LIST".getBytes()).putInt(3)
                .put(new byte[] {1, 2, 3, 0}).array();
        byte[] withList = new byte[h.length + list.length];
        System.arraycopy(h, 0, withList, 0, 36);
        System.arraycopy(list, 0, withList, 36, list.length);
        System.arraycopy(h, 36, withList, 36 + list.length, 8);
        Wav.Header parsed = Wav.parse(withList, withList.length).orElseThrow();
        assertEquals(AudioFormat.Encoding.MULAW, parsed.format().encoding());
        assertEquals(2, parsed.format().channels());
        assertEquals(1600, parsed.dataLength());
        assertEquals(withList.length, parsed.headerLength());
        assertTrue(Wav.parse(withList, 30).isEmpty(), "a partial header asks for more bytes");
        assertThrows(Wav.MalformedWav.class, () -> Wav.parse("RIFX....WAVEfmt ".getBytes(), 16));
        byte[] eightBitPcm = Wav.header(new AudioFormat(AudioFormat.Encoding.PCM16, 8000, 1, AudioFormat.Container.WAV), 0);
        eightBitPcm[34] = 8;
        var e = assertThrows(Wav.MalformedWav.class, () -> Wav.parse(eightBitPcm, eightBitPcm.length));
        assertTrue(e.getMessage().contains("unsupported"), e.getMessage());
    }

    @Test
    void aStereoMuLawWavFromSoxDecodesIntoTwoChannelsAt16kHz(@TempDir Path dir) throws Exception {
        Path left = SpeechAudio.espeak(dir, "hello this is the agent", 8000);
        Path stereo = dir.resolve("stereo.wav");
        SpeechAudio.run("sox", "-M", left.toString(), left.toString(), "-e", "u-law", "-r", "8000", stereo.toString(),
                "remix", "1", "0");
        byte[] file = Files.readAllBytes(stereo);
        StreamDecoder d = new StreamDecoder(new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 2, AudioFormat.Container.WAV), 16_000);
        short[][] acc = {new short[0], new short[0]};
        for (int i = 0; i < file.length; i += 161) { // frames that split the header and samples anywhere
            short[][] got = d.accept(Arrays.copyOfRange(file, i, Math.min(file.length, i + 161))).channels();
            acc[0] = concat(acc[0], got[0]);
            acc[1] = concat(acc[1], got[1]);
        }
        short[][] tail = d.finish();
        acc[0] = concat(acc[0], tail[0]);
        acc[1] = concat(acc[1], tail[1]);
        long expected = d.frames() * 2;
        assertEquals(expected, acc[0].length, 2);
        assertTrue(rms(acc[0], 0, acc[0].length) > 500, "channel 0 carries the speech");
        assertTrue(rms(acc[1], 0, acc[1].length) < 10, "channel 1 is silent");
    }

    @Test
    void aWavHeaderThatContradictsTheDeclaredFormatIsRefused() {
        byte[] h = Wav.header(new AudioFormat(AudioFormat.Encoding.PCM16, 16000, 1, AudioFormat.Container.WAV), 0);
        StreamDecoder d = new StreamDecoder(new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.WAV), 16000);
        var e = assertThrows(Wav.MalformedWav.class, () -> d.accept(h));
        assertTrue(e.getMessage().contains("pcm16/16000/1") && e.getMessage().contains("mulaw/8000/1"), e.getMessage());
    }

    static short[] concat(short[] a, short[] b) {
        short[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
