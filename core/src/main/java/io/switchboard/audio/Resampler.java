package io.switchboard.audio;

import java.util.Arrays;

/**
 * A streaming band-limited resampler (windowed sinc, Hann window) for one channel. Downsampling filters
 * below the new Nyquist frequency first, so a 48 kHz stream's 10 kHz hiss does not fold into the 16 kHz
 * speech band. Output does not depend on how the input is chunked.
 */
public final class Resampler {

    private static final int ZERO_CROSSINGS = 16;

    /** Largest number of filter phases kept as a table (rates whose ratio needs more compute each tap). */
    private static final int MAX_PHASES = 2048;

    private final int inRate;
    private final int outRate;
    private final double cutoff; // normalised to the input rate's Nyquist
    private final int half; // half the filter length, in input samples
    private final int phaseUnit; // gcd of the rates: an output's offset between two inputs is a multiple of it
    private final double[][] taps; // per phase, the 2·half filter taps; null when there are too many phases
    private float[] buf = new float[4096];
    private long base; // absolute input index of buf[0]
    private int len; // valid samples in buf
    private long received; // input samples so far
    private long produced; // output samples so far

    public Resampler(int inRate, int outRate) {
        this.inRate = inRate;
        this.outRate = outRate;
        this.cutoff = 0.9 * Math.min(1.0, (double) outRate / inRate);
        this.half = (int) Math.ceil(ZERO_CROSSINGS / cutoff);
        this.phaseUnit = gcd(inRate, outRate);
        int phases = outRate / phaseUnit;
        if (isIdentity() || phases > MAX_PHASES) {
            this.taps = null;
            return;
        }
        // an output between inputs center and center+1, at fraction r/outRate past center, weighs input
        // center-half+1+j by kernel(half-1-j + r/outRate): the same few sets of weights over and over
        this.taps = new double[phases][2 * half];
        for (int p = 0; p < phases; p++) {
            double frac = (double) p * phaseUnit / outRate;
            for (int j = 0; j < 2 * half; j++) {
                taps[p][j] = kernel(half - 1 - j + frac);
            }
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    public boolean isIdentity() {
        return inRate == outRate;
    }

    public short[] process(short[] in, int off, int n) {
        if (isIdentity()) {
            return Arrays.copyOfRange(in, off, off + n);
        }
        ensure(len + n);
        for (int i = 0; i < n; i++) {
            buf[len + i] = in[off + i];
        }
        len += n;
        received += n;
        return drain(false);
    }

    /** The tail: outputs that needed input beyond the end, with silence assumed there. */
    public short[] flush() {
        if (isIdentity()) {
            return new short[0];
        }
        return drain(true);
    }

    private short[] drain(boolean end) {
        long total = end ? received * outRate / inRate : Long.MAX_VALUE;
        short[] out = new short[(int) Math.max(0, Math.min(Integer.MAX_VALUE - 8,
                (long) (len + half) * outRate / inRate + 2))];
        int o = 0;
        while (produced < total) {
            // output n sits at input position n·inRate/outRate: center plus r/outRate
            long position = produced * inRate;
            long center = position / outRate;
            int r = (int) (position % outRate);
            if (!end && center + half >= received) {
                break;
            }
            double acc = 0;
            long first = center - half + 1;
            double[] weights = taps == null ? null : taps[r / phaseUnit];
            for (int j = 0; j < 2 * half; j++) {
                long k = first + j;
                if (k < 0 || k >= received) {
                    continue;
                }
                double w = weights != null ? weights[j] : kernel(half - 1 - j + (double) r / outRate);
                acc += buf[(int) (k - base)] * w;
            }
            if (o == out.length) {
                out = Arrays.copyOf(out, out.length * 2 + 16);
            }
            out[o++] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(acc)));
            produced++;
        }
        // keep only what later outputs can still reach
        long keepFrom = Math.max(base, produced * inRate / outRate - half);
        int drop = (int) (keepFrom - base);
        if (drop > 0) {
            System.arraycopy(buf, drop, buf, 0, len - drop);
            len -= drop;
            base = keepFrom;
        }
        return Arrays.copyOf(out, o);
    }

    private double kernel(double x) {
        double a = Math.abs(x);
        if (a >= half) {
            return 0;
        }
        double window = 0.5 + 0.5 * Math.cos(Math.PI * a / half);
        double arg = Math.PI * cutoff * x;
        double sinc = a < 1e-9 ? 1.0 : Math.sin(arg) / arg;
        return cutoff * sinc * window;
    }

    private void ensure(int capacity) {
        if (capacity > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(capacity, buf.length * 2));
        }
    }
}
