package io.switchboard.conversation.vad;

/** Loudness of PCM16 audio as RMS dBFS, the unit the echo guard compares the caller and agent channels in. */
public final class AudioLevel {

    /** The level reported for digital silence (and the floor of every level): far below any real line noise. */
    public static final float SILENCE_DBFS = -120f;

    private AudioLevel() {
    }

    /** RMS level of {@code pcm16[offset, offset + length)} in dB relative to a full-scale square wave. */
    public static float dbfs(short[] pcm16, int offset, int length) {
        if (length <= 0) {
            return SILENCE_DBFS;
        }
        double sum = 0;
        for (int i = offset; i < offset + length; i++) {
            double s = pcm16[i];
            sum += s * s;
        }
        double rms = Math.sqrt(sum / length) / 32768.0;
        return rms <= 0 ? SILENCE_DBFS : (float) Math.max(SILENCE_DBFS, 20 * Math.log10(rms));
    }
}
