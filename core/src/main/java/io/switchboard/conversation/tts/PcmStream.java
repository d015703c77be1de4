package io.switchboard.conversation.tts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.Resampler;
import io.switchboard.audio.Wav;

/**
 * The part every engine's stream shares: reading the engine's PCM16 at its native rate in chunks of at most
 * {@link #CHUNK_MILLIS}, resampling to the rate asked for, and cancellation from another thread. An engine
 * supplies {@link #read(short[])} and, if it can be interrupted, {@link #stop()}.
 */
abstract class PcmStream implements SpeechStream {

    /** The longest chunk handed out: short enough that the first audio leaves early, long enough to be cheap. */
    static final int CHUNK_MILLIS = 100;

    private final int sampleRate;
    private final Resampler resampler;
    private final short[] buf;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private boolean ended;

    /** A stream with no audio (a blank sentence). */
    static PcmStream empty(int nativeRate, int sampleRate) {
        return new PcmStream(nativeRate, sampleRate) {
            @Override
            protected int read(short[] into) {
                return -1;
            }
        };
    }

    PcmStream(int nativeRate, int sampleRate) {
        this.sampleRate = sampleRate;
        this.resampler = new Resampler(nativeRate, sampleRate);
        this.buf = new short[nativeRate * CHUNK_MILLIS / 1000];
    }

    /**
     * Reads up to {@code into.length} samples at the native rate, blocking until at least one is available.
     *
     * @return how many were read, or -1 at the end of the sentence
     */
    protected abstract int read(short[] into) throws IOException;

    /** Stops the engine's work for this sentence (kill the process, abort the exchange); called once on cancel. */
    protected void stop() {
    }

    @Override
    public final int sampleRate() {
        return sampleRate;
    }

    @Override
    public final Optional<short[]> next() {
        while (!cancelled.get() && !ended) {
            int n;
            try {
                n = read(buf);
            } catch (IOException e) {
                if (cancelled.get()) {
                    return Optional.empty();
                }
                throw failure(e);
            } catch (RuntimeException e) {
                if (cancelled.get()) {
                    return Optional.empty();
                }
                throw e;
            }
            if (cancelled.get()) {
                return Optional.empty();
            }
            short[] out;
            if (n < 0) {
                ended = true;
                out = resampler.flush();
            } else {
                out = resampler.process(buf, 0, n);
            }
            if (out.length > 0) {
                return Optional.of(out);
            }
        }
        return Optional.empty();
    }

    /** What an I/O failure of the engine means to the caller. */
    protected SpeechSynthesisException failure(IOException e) {
        return new SpeechSynthesisException(SpeechSynthesisException.Kind.ENGINE, "speech synthesis failed: " + e.getMessage(),
                Optional.empty(), e);
    }

    @Override
    public final void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            stop();
        }
    }

    @Override
    public final boolean isCancelled() {
        return cancelled.get();
    }

    /**
     * Reads little-endian PCM16 from {@code in} into {@code into}, blocking for at least one sample; -1 at the end.
     * An odd byte count is completed by reading one more byte, so samples never straddle two reads.
     */
    static int readPcm16(InputStream in, byte[] scratch, short[] into) throws IOException {
        int n = in.read(scratch, 0, Math.min(scratch.length, into.length * 2));
        if (n < 0) {
            return -1;
        }
        if ((n & 1) == 1) {
            int b = in.read();
            if (b < 0) {
                n--; // a truncated last sample
            } else {
                scratch[n++] = (byte) b;
            }
        }
        for (int i = 0; i < n / 2; i++) {
            into[i] = (short) ((scratch[2 * i] & 0xff) | (scratch[2 * i + 1] << 8));
        }
        return n / 2;
    }

    /** A WAV stream's format, and the stream positioned at its first audio byte. */
    record WavStart(AudioFormat format, InputStream audio) {
    }

    /** Reads a RIFF/WAVE header off {@code in}; the bytes read past it stay in the returned stream. */
    static WavStart readWavHeader(InputStream in, String what) throws IOException {
        byte[] head = new byte[512];
        int len = 0;
        while (true) {
            if (len == head.length) {
                head = Arrays.copyOf(head, Math.min(head.length * 2, Wav.MAX_HEADER + 512));
            }
            int n = in.read(head, len, head.length - len);
            if (n < 0) {
                throw new IOException(what + " ended after " + len + " bytes, before its WAV header did");
            }
            len += n;
            var header = Wav.parse(head, len);
            if (header.isPresent()) {
                AudioFormat f = header.get().format();
                if (f.encoding() != AudioFormat.Encoding.PCM16 || f.channels() != 1) {
                    throw new IOException(what + " sent " + f + "; mono PCM16 expected");
                }
                int start = header.get().headerLength();
                return new WavStart(f, new SequenceInputStream(new ByteArrayInputStream(head, start, len - start), in));
            }
        }
    }
}
