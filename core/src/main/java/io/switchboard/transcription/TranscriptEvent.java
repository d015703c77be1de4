package io.switchboard.transcription;

import java.time.Duration;
import java.util.List;

/**
 * A recognised stretch of speech. Times are offsets from the start of the session's audio (the sample
 * clock, not wall time). Partial events are provisional and superseded by the next partial or the final.
 */
public record TranscriptEvent(boolean isFinal, String text, Duration start, Duration end, List<Word> words) {

    public TranscriptEvent {
        words = List.copyOf(words);
    }
}
