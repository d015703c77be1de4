package io.switchboard.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * RIFF/WAVE headers: reading what a bridge or an upload sends (PCM16 or μ-law, chunks in any order before
 * {@code data}, odd-sized chunks padded) and writing the header of a recording we store.
 */
public final class Wav {

    /** Headers larger than this are not audio we accept. */
    public static final int MAX_HEADER = 64 * 1024;
    public static final int HEADER_SIZE = 44;
    /** A data size of 0xFFFFFFFF (or 0) means "until the stream ends": live WAV streams use it. */
    private static final long UNKNOWN = 0xFFFFFFFFL;

    private Wav() {
    }

    /** @param dataLength bytes of audio after the header, or -1 when the header does not say */
    public record Header(AudioFormat format, int headerLength, long dataLength) {
    }

    public static final class MalformedWav extends IllegalArgumentException {
        public MalformedWav(String message) {
            super(message);
        }
    }

    /** The header in {@code bytes[0..length)}, or empty if more bytes are needed to finish reading it. */
    public static Optional<Header> parse(byte[] bytes, int length) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        if (length < 12) {
            return Optional.empty();
        }
        if (!tag(bytes, 0).equals("RIFF") || !tag(bytes, 8).equals("WAVE")) {
            throw new MalformedWav("not a WAV file: it does not start with RIFF....WAVE");
        }
        int pos = 12;
        AudioFormat format = null;
        while (true) {
            if (pos + 8 > length) {
                if (pos + 8 > MAX_HEADER) {
                    throw new MalformedWav("no data chunk within the first " + MAX_HEADER + " bytes");
                }
                return Optional.empty();
            }
            String id = tag(bytes, pos);
            long size = Integer.toUnsignedLong(b.getInt(pos + 4));
            if (id.equals("data")) {
                if (format == null) {
                    throw new MalformedWav("the data chunk comes before the fmt chunk");
                }
                long data = size == UNKNOWN || size == 0 ? -1 : size;
                return Optional.of(new Header(format, pos + 8, data));
            }
            long next = pos + 8 + size + (size & 1);
            if (next > MAX_HEADER) {
                throw new MalformedWav("chunk '" + printable(id) + "' of " + size + " bytes before the audio; headers over "
                        + MAX_HEADER + " bytes are refused");
            }
            if (next > length) {
                return Optional.empty();
            }
            if (id.equals("fmt ")) {
                format = fmt(b, pos + 8, (int) size);
            }
            pos = (int) next;
        }
    }

    private static AudioFormat fmt(ByteBuffer b, int at, int size) {
        if (size < 16) {
            throw new MalformedWav("fmt chunk of " + size + " bytes; at least 16 expected");
        }
        int tag = Short.toUnsignedInt(b.getShort(at));
        int channels = Short.toUnsignedInt(b.getShort(at + 2));
        int rate = b.getInt(at + 4);
        int bits = Short.toUnsignedInt(b.getShort(at + 14));
        if (tag == 0xFFFE && size >= 40) { // WAVE_FORMAT_EXTENSIBLE: the real tag is the sub-format GUID's first 2 bytes
            tag = Short.toUnsignedInt(b.getShort(at + 24));
        }
        AudioFormat.Encoding encoding;
        if (tag == 1 && bits == 16) {
            encoding = AudioFormat.Encoding.PCM16;
        } else if (tag == 7 && bits == 8) {
            encoding = AudioFormat.Encoding.MULAW;
        } else {
            throw new MalformedWav("unsupported WAV encoding (format tag " + tag + ", " + bits
                    + " bits); send 16-bit PCM (tag 1) or 8-bit μ-law (tag 7)");
        }
        if (channels < 1 || channels > 2) {
            throw new MalformedWav("WAV with " + channels + " channels; 1 or 2 are supported");
        }
        if (!AudioFormat.RATES.contains(rate)) {
            throw new MalformedWav("WAV sample rate " + rate + " Hz is not one of " + AudioFormat.RATES.stream().sorted().toList());
        }
        return new AudioFormat(encoding, rate, channels, AudioFormat.Container.WAV);
    }

    /** A canonical 44-byte header for {@code dataLength} bytes of audio in {@code format}. */
    public static byte[] header(AudioFormat format, long dataLength) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(UNKNOWN, 36 + dataLength));
        b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        b.putShort((short) (format.encoding() == AudioFormat.Encoding.MULAW ? 7 : 1));
        b.putShort((short) format.channels()).putInt(format.sampleRate())
                .putInt(format.sampleRate() * format.bytesPerFrame()).putShort((short) format.bytesPerFrame())
                .putShort((short) (format.bytesPerSample() * 8));
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(UNKNOWN, dataLength));
        return b.array();
    }

    private static String tag(byte[] bytes, int at) {
        return new String(bytes, at, 4, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String id) {
        return id.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
