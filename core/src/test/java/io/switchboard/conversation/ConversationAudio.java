package io.switchboard.conversation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.switchboard.audio.G711;
import io.switchboard.conversation.vad.VadFrame;
import io.switchboard.conversation.vad.VoiceActivityDetector;
import io.switchboard.transcription.SpeechAudio;

/**
 * Audio the conversation tests build calls from: real recorded speech (pocketsphinx-testdata) and espeak-ng
 * speech through {@link SpeechAudio}, sox noise, an 8 kHz μ-law phone line, and the mixing that puts an agent's
 * echo on a caller's channel.
 */
public final class ConversationAudio {

    private ConversationAudio() {
    }

    public static short[] silence(int rate, int millis) {
        return new short[rate * millis / 1000];
    }

    /** {@code seconds} of sox's {@code kind} noise ("whitenoise", "pinknoise", "brownnoise") at amplitude {@code volume}. */
    public static short[] noise(Path dir, String kind, int rate, double seconds, double volume) throws Exception {
        Path out = dir.resolve(kind + "-" + rate + "-" + seconds + "-" + volume + ".wav");
        SpeechAudio.run("sox", "-n", "-r", Integer.toString(rate), "-b", "16", "-c", "1", "-e", "signed-integer",
                out.toString(), "synth", Double.toString(seconds), kind, "vol", Double.toString(volume));
        return SpeechAudio.pcm16(out);
    }

    /** {@code text} spoken by espeak-ng, 16-bit mono at {@code rate}. */
    public static short[] espeak(Path dir, String text, int rate) throws Exception {
        return SpeechAudio.pcm16(SpeechAudio.espeak(dir, text, rate));
    }

    /** 16 kHz audio as an 8 kHz G.711 μ-law phone line delivers it: resampled down, encoded and decoded. */
    public static short[] phoneLine(short[] wide) {
        short[] narrow = SpeechAudio.resample(wide, 16_000, 8_000);
        for (int i = 0; i < narrow.length; i++) {
            narrow[i] = G711.ulawToLinear(G711.linearToUlaw(narrow[i]));
        }
        return narrow;
    }

    /** The speech without the silence a synthesiser puts before and after it (samples under 300 in magnitude). */
    public static short[] voiced(short[] audio) {
        int from = 0;
        int to = audio.length;
        while (from < to && Math.abs(audio[from]) < 300) {
            from++;
        }
        while (to > from && Math.abs(audio[to - 1]) < 300) {
            to--;
        }
        return java.util.Arrays.copyOfRange(audio, from, to);
    }

    public static short[] concat(short[]... parts) {
        int n = 0;
        for (short[] p : parts) {
            n += p.length;
        }
        short[] out = new short[n];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * {@code base} with {@code added} mixed in from sample {@code at}, scaled by {@code gainDb} (−20: a tenth of
     * the amplitude), clipped to 16 bits; the result is as long as whichever ends later.
     */
    public static short[] mix(short[] base, short[] added, int at, double gainDb) {
        double gain = Math.pow(10, gainDb / 20);
        short[] out = java.util.Arrays.copyOf(base, Math.max(base.length, at + added.length));
        for (int i = 0; i < added.length; i++) {
            int v = out[at + i] + (int) Math.round(added[i] * gain);
            out[at + i] = (short) Math.clamp(v, Short.MIN_VALUE, Short.MAX_VALUE);
        }
        return out;
    }

    /** Every frame {@code vad} gives for {@code pcm16} fed in 20 ms chunks, as a call's audio arrives. */
    public static List<VadFrame> frames(VoiceActivityDetector.Stream vad, short[] pcm16) {
        int chunk = vad.sampleRate() / 50;
        List<VadFrame> out = new ArrayList<>();
        for (int i = 0; i < pcm16.length; i += chunk) {
            out.addAll(vad.accept(pcm16, i, Math.min(chunk, pcm16.length - i)));
        }
        return out;
    }
}
