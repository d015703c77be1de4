package io.switchboard.conversation.vad;

/**
 * One window of a channel as the detector heard it.
 *
 * @param startSample the window's first sample, counted from the stream's start
 * @param samples the window's length in samples
 * @param sampleRate samples per second
 * @param probability the model's speech probability, 0 to 1
 * @param levelDbfs the window's RMS level in dB relative to full scale ({@link AudioLevel#SILENCE_DBFS} for digital
 *     silence)
 */
public record VadFrame(long startSample, int samples, int sampleRate, float probability, float levelDbfs) {

    public VadFrame {
        if (startSample < 0 || samples <= 0 || sampleRate <= 0) {
            throw new IllegalArgumentException("frame: startSample " + startSample + ", samples " + samples
                    + ", sampleRate " + sampleRate);
        }
        if (!(probability >= 0f && probability <= 1f)) {
            throw new IllegalArgumentException("frame: probability must be within [0, 1], got " + probability);
        }
    }

    /** The window's start in milliseconds of channel time. */
    public long startMillis() {
        return startSample * 1000 / sampleRate;
    }

    /** The window's length in milliseconds (32 for Silero at either rate). */
    public int durationMillis() {
        return (int) (samples * 1000L / sampleRate);
    }
}
