package io.switchboard.audio;

/** ITU-T G.711 μ-law: 8-bit companded samples to 16-bit linear PCM. */
public final class G711 {

    private static final short[] ULAW = new short[256];

    static {
        for (int i = 0; i < 256; i++) {
            int u = ~i & 0xff;
            int sign = u & 0x80;
            int exponent = (u >> 4) & 0x07;
            int mantissa = u & 0x0f;
            int magnitude = ((mantissa << 3) + 0x84) << exponent;
            ULAW[i] = (short) (sign != 0 ? 0x84 - magnitude : magnitude - 0x84);
        }
    }

    private G711() {
    }

    public static short ulawToLinear(byte b) {
        return ULAW[b & 0xff];
    }

    /** Encodes linear PCM to μ-law (for tests and tools that must produce phone-line audio). */
    public static byte linearToUlaw(short sample) {
        int s = sample;
        int sign = s < 0 ? 0x80 : 0;
        if (s < 0) {
            s = -s;
        }
        s = Math.min(s, 32635) + 0x84;
        int exponent = 7;
        for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) {
            exponent--;
        }
        int mantissa = (s >> (exponent + 3)) & 0x0f;
        return (byte) ~(sign | (exponent << 4) | mantissa);
    }
}
