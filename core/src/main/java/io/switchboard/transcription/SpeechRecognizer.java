package io.switchboard.transcription;

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
    Session open(String language);

    /** One stream's decoding. Not thread-safe: feed it from one thread at a time. */
    interface Session extends AutoCloseable {

        /** Feeds samples; returns the events they produced (partials while speech goes on, finals at pauses). */
        List<TranscriptEvent> accept(short[] samples, int offset, int length);

        /** Ends the stream: the last utterance's final event, if any. */
        List<TranscriptEvent> finish();

        /** Returns the decoder to its pool. */
        @Override
        void close();
    }

    @Override
    void close();
}
