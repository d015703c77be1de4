package io.switchboard.calls;

import java.util.List;

import io.switchboard.transcription.Word;

/**
 * One final utterance of one channel. Channel 0 is the agent, 1 the customer; a mono call is "unknown".
 * {@code interrupted}: an agent sentence the caller cut short ({@code text} is then what was played of it).
 */
public record TranscriptSegment(int channel, int seq, String speaker, long startMs, long endMs, String text,
                                List<Word> words, String source, boolean interrupted) {

    /** An utterance heard in full (every recognised one). */
    public TranscriptSegment(int channel, int seq, String speaker, long startMs, long endMs, String text,
                             List<Word> words, String source) {
        this(channel, seq, speaker, startMs, endMs, text, words, source, false);
    }
}
