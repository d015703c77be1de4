package io.switchboard.calls;

import java.util.List;

import io.switchboard.transcription.Word;

/** One final utterance of one channel. Channel 0 is the agent, 1 the customer; a mono call is "unknown". */
public record TranscriptSegment(int channel, int seq, String speaker, long startMs, long endMs, String text,
                                List<Word> words, String source) {
}
