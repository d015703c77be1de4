package io.switchboard.conversation.tts;

import java.util.List;

/**
 * A text-to-speech engine (Flite in process, espeak-ng, an OpenAI-compatible HTTP service). The conversation
 * loop speaks one sentence at a time, as the brain produces them, so the first sentence plays while the next is
 * still being decided or synthesised; every stream is cancellable because the caller may barge in mid-sentence.
 * Implementations are thread-safe: one synthesiser serves every call of the process.
 */
public interface SpeechSynthesizer extends AutoCloseable {

    /** The engine's name, the part before ':' in a voice id: "flite", "espeak", "openai". */
    String engine();

    /** The voices this installation offers. */
    List<Voice> voices();

    /**
     * Starts synthesising one sentence. Returns at once; the audio arrives through the stream, and engine failures
     * (a refused key, a crashed process) surface from {@link SpeechStream#next()} as
     * {@link SpeechSynthesisException}.
     *
     * @param voice      a name from {@link #voices()} (without the engine prefix)
     * @param sentence   the text to speak; blank gives an empty stream
     * @param sampleRate the rate of the PCM16 mono chunks wanted: 8000 (telephony) or 16000
     */
    SpeechStream synthesize(String voice, String sentence, int sampleRate);

    @Override
    default void close() {
    }

    /** The longest sentence a synthesiser accepts: a brain that produces more has not split its reply. */
    int MAX_SENTENCE_CHARS = 4000;

    /** The checks every engine applies to a request before it does any work. */
    static void checkRequest(SpeechSynthesizer engine, String voice, String sentence, int sampleRate) {
        if (sampleRate != 8000 && sampleRate != 16_000) {
            throw new IllegalArgumentException("speech is synthesised at 8000 or 16000 Hz, not " + sampleRate);
        }
        if (sentence.length() > MAX_SENTENCE_CHARS) {
            throw new IllegalArgumentException("a sentence of " + sentence.length() + " characters; at most "
                    + MAX_SENTENCE_CHARS + " are synthesised at once (split the reply into sentences)");
        }
        if (engine.voices().stream().noneMatch(v -> v.name().equals(voice))) {
            throw new Voices.UnknownVoice(engine.engine() + ":" + voice, engine.engine() + " has no voice '" + voice
                    + "'; it has " + Voices.names(engine.voices(), Integer.MAX_VALUE));
        }
    }
}
