package io.switchboard.audio;

import java.util.Arrays;

/**
 * A streaming band-limited resampler (windowed sinc, Hann window) for one channel. Downsampling filters
 * below the new Nyquist frequency first, so a 48 kHz stream's 10 kHz hiss does not fold into the 16 kHz
 * speech band. Output does not depend on how the input is chunked.
 */
public final class Resampler {

    private static final int ZERO_CROSSINGS = 16;

    private final int inRate;
    private final int outRate;
    private final double step; // input samples per output sample
    private final double cutoff; // normalised to the input rate's Nyquist
    private final int half; // half the filter length, in input samples
    private float[] buf = new float[4096];
    private long base; // absolute input index of buf[0]
    private int len; // valid samples in buf
    private long received; // input samples so far
    private long produced; // output samples so far

    public Resampler(int inRate, int outRate) {
        this.inRate = inRate;
        this.outRate = outRate;
        this.step = (double) inRate / outRate;
        this.cutoff = 0.9 * Math.min(1.0, (double) outRate / inRate);
        this.half = (int) Math.ceil(ZERO_CROSSINGS / cutoff);
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
        long total = end ? (long) Math.floor(received / step) : Long.MAX_VALUE;
        short[] out = new short[(int) Math.max(0, Math.min(Integer.MAX_VALUE - 8, (len + half) / step + 2))];
        int o = 0;
        while (produced < total) {
            double t = produced * step;
            long center = (long) Math.floor(t);
            if (!end && center + half >= received) {
                break;
            }
            double acc = 0;
            for (long k = center - half + 1; k <= center + half; k++) {
                if (k < 0 || k >= received) {
                    continue;
                }
                double x = t - k;
                acc += buf[(int) (k - base)] * kernel(x);
            }
            if (o == out.length) {
                out = Arrays.copyOf(out, out.length * 2 + 16);
            }
            out[o++] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(acc)));
            produced++;
        }
        // keep only what later outputs can still reach
        long keepFrom = Math.max(base, (long) Math.floor(produced * step) - half);
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
