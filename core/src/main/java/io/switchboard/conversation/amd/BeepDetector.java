package io.switchboard.conversation.amd;

import java.util.Optional;

/**
 * Hears an answering machine's beep: a steady tone between {@value #LOW_HZ} and {@value #HIGH_HZ} Hz lasting at least
 * {@link #MIN_TONE_MS} ms. Each 20 ms frame is scanned with Goertzel filters every {@value #STEP_HZ} Hz; a frame is
 * tonal when one filter holds most of the frame's energy (speech spreads its energy over many harmonics and below
 * the band) and it is loud enough, and a tone is a run of tonal frames at the same frequency. The beep is reported
 * once, when the tone stops: that is when a message can be left.
 *
 * <p>Fed in the call's order from one thread; works at any rate of 8 kHz or more.
 */
public final class BeepDetector {

    static final int LOW_HZ = 400;
    static final int HIGH_HZ = 2000;
    static final int STEP_HZ = 25;
    /** The shortest tone that counts as a beep. */
    public static final int MIN_TONE_MS = 150;
    /** Share of a frame's energy one frequency must hold. */
    static final double MIN_PURITY = 0.6;
    /** Quieter frames are not tones (line noise). */
    static final double MIN_LEVEL_DBFS = -45;
    /** Frames of a tone may wander this far (a real machine's oscillator, μ-law distortion). */
    static final int MAX_DRIFT_HZ = 50;

    /** A beep heard: its frequency and where it started and ended, in ms of the audio fed. */
    public record Beep(int hz, long startMs, long endMs) {
    }

    private final int rate;
    private final int frame;
    private final double[] coefficients;
    private final short[] pending;
    private int filled;
    private long samples;
    // the tone under way
    private int toneHz = -1;
    private long toneStartSample;
    private long toneEndSample;

    public BeepDetector(int sampleRate) {
        if (sampleRate < 8000) {
            throw new IllegalArgumentException("sampleRate: a beep needs at least 8000 Hz, got " + sampleRate);
        }
        this.rate = sampleRate;
        this.frame = sampleRate / 50;
        int bins = (HIGH_HZ - LOW_HZ) / STEP_HZ + 1;
        this.coefficients = new double[bins];
        for (int i = 0; i < bins; i++) {
            coefficients[i] = 2 * Math.cos(2 * Math.PI * (LOW_HZ + i * STEP_HZ) / sampleRate);
        }
        this.pending = new short[frame];
    }

    /** Feeds audio in order; returns the beep that ended within it, if any. */
    public Optional<Beep> accept(short[] pcm16, int offset, int length) {
        Optional<Beep> heard = Optional.empty();
        for (int i = 0; i < length; ) {
            int n = Math.min(length - i, frame - filled);
            System.arraycopy(pcm16, offset + i, pending, filled, n);
            filled += n;
            i += n;
            if (filled == frame) {
                Optional<Beep> b = frame(pending);
                samples += frame;
                filled = 0;
                if (b.isPresent()) {
                    heard = b;
                }
            }
        }
        return heard;
    }

    /** The strongest in-band frequency of a frame, or -1 when the frame is not a tone. */
    int tone(short[] x) {
        double energy = 0;
        for (short s : x) {
            energy += (double) s * s;
        }
        double rms = Math.sqrt(energy / x.length) / 32768.0;
        if (rms <= 0 || 20 * Math.log10(rms) < MIN_LEVEL_DBFS) {
            return -1;
        }
        double best = 0;
        int bestBin = -1;
        for (int b = 0; b < coefficients.length; b++) {
            double c = coefficients[b];
            double s1 = 0;
            double s2 = 0;
            for (short v : x) {
                double s0 = v + c * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            double power = s1 * s1 + s2 * s2 - c * s1 * s2;
            if (power > best) {
                best = power;
                bestBin = b;
            }
        }
        // a sine of amplitude A over N samples: Goertzel power (A N / 2)^2, energy A^2 N / 2
        double purity = 2 * best / (x.length * energy);
        return purity >= MIN_PURITY ? LOW_HZ + bestBin * STEP_HZ : -1;
    }

    private Optional<Beep> frame(short[] x) {
        int hz = tone(x);
        if (hz > 0 && toneHz > 0 && Math.abs(hz - toneHz) <= MAX_DRIFT_HZ) {
            toneEndSample = samples + frame;
            return Optional.empty();
        }
        Optional<Beep> ended = Optional.empty();
        if (toneHz > 0 && (toneEndSample - toneStartSample) * 1000 / rate >= MIN_TONE_MS) {
            ended = Optional.of(new Beep(toneHz, toneStartSample * 1000 / rate, toneEndSample * 1000 / rate));
        }
        toneHz = hz;
        toneStartSample = samples;
        toneEndSample = samples + frame;
        return ended;
    }
}
