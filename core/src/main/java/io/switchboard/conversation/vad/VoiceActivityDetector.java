package io.switchboard.conversation.vad;

import java.util.List;

/**
 * Tells speech from silence and noise on one audio channel, window by window: PCM16 mono in, one
 * {@link VadFrame} (speech probability and level) out per fixed window. What to make of the probabilities
 * (when a turn starts or ends, whether the caller is barging in) is the turn detector's business, not this one's.
 *
 * <p>One detector serves every call of the process; each call channel opens its own {@link Stream}, which holds
 * that channel's model state and leftover samples.
 */
public interface VoiceActivityDetector extends AutoCloseable {

    /** "silero". */
    String engine();

    /**
     * A new stream for one channel at {@code sampleRate} Hz.
     *
     * @throws IllegalArgumentException if the detector does not take that rate
     */
    Stream open(int sampleRate);

    /** Releases the model; streams still open must not be used afterwards. */
    @Override
    void close();

    /** One channel's detection. Not thread-safe: feed it from one thread at a time (the call's audio thread). */
    interface Stream extends AutoCloseable {

        int sampleRate();

        /** Samples per window (and per {@link VadFrame}). */
        int windowSamples();

        /**
         * Feeds samples in call order; returns a frame for every window they complete. Samples that do not fill
         * a window wait for the next call. Frames count samples from the stream's start (or last reset).
         */
        List<VadFrame> accept(short[] pcm16, int offset, int length);

        /** Forgets the model state, leftover samples and sample count, as a fresh stream. */
        void reset();

        @Override
        void close();
    }
}
