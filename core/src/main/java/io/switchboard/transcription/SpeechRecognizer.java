package io.switchboard.transcription;

import java.time.Duration;
import java.util.List;

/**
 * A streaming speech recogniser: PCM16 mono at {@link #sampleRate()} in, partial and final transcript
 * events with word timings out. Engines (PocketSphinx, Vosk) are swapped in configuration.
 */
public interface SpeechRecognizer extends AutoCloseable {

    /** "pocketsphinx", "vosk". */
    String engine();

    /** The rate, in Hz, of the mono PCM16 samples a session accepts. */
    int sampleRate();

    /**
     * Opens a session for one audio stream (one channel of a call). Blocks while every decoder of the pool
     * is busy, up to the pool's wait limit.
     *
     * @param language BCP 47 tag of the speech, e.g. "en-US"
     */
    default Session open(String language) {
        return open(language, sampleRate());
    }

    /**
     * Opens a session for audio that was captured at {@code sourceRate} Hz before being resampled to
     * {@link #sampleRate()}. Telephone audio (8 kHz) has nothing above 4 kHz, and an engine may tune its
     * decoder for that band.
     *
     * @param language BCP 47 tag of the speech, e.g. "en-US"
     * @param sourceRate the rate the audio was captured at
     */
    default Session open(String language, int sourceRate) {
        return open(language, sourceRate, maxWait());
    }

    /**
     * As {@link #open(String, int)}, waiting at most {@code wait} for a free decoder ({@link Duration#ZERO}:
     * not at all), then {@code RESOURCE_EXHAUSTED}. A live call must not stall its audio waiting.
     */
    Session open(String language, int sourceRate, Duration wait);

    /** How long {@link #open(String, int)} waits for a free decoder (transcription.max-wait). */
    Duration maxWait();

    /** One stream's decoding. Not thread-safe: feed it from one thread at a time. */
    interface Session extends AutoCloseable {

        /** Feeds samples; returns the events they produced (partials while speech goes on, finals at pauses). */
        List<TranscriptEvent> accept(short[] samples, int offset, int length);

        /**
         * What the caller's next answer is likely made of, until told otherwise ({@link Expectation#NONE}: anything).
         * Callable from any thread; an utterance already under way keeps what it started with. Engines without
         * grammars ignore it.
         */
        default void expect(Expectation expectation) {
        }

        /**
         * The speaker's turn is over (someone listening decided so, e.g. a conversation's turn-taking): the utterance
         * under way, if it has speech, ends now and its final event is returned, instead of waiting for the
         * engine's own end-of-speech detection. Later audio starts a new utterance. Engines that cannot end an
         * utterance on demand return nothing and go on as before.
         */
        default List<TranscriptEvent> endpoint() {
            return List.of();
        }

        /** Ends the stream: the last utterance's final event, if any. */
        List<TranscriptEvent> finish();

        /** Returns the decoder to its pool. */
        @Override
        void close();
    }

    @Override
    void close();
}
