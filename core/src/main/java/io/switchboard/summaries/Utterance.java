package io.switchboard.summaries;

import java.util.Objects;

/** One speaker turn of a call transcript, with its position in the recording in milliseconds. */
public record Utterance(Speaker speaker, String text, long startMs, long endMs) {

    public enum Speaker { AGENT, CUSTOMER, UNKNOWN }

    public Utterance {
        Objects.requireNonNull(speaker, "speaker");
        Objects.requireNonNull(text, "text");
        if (startMs < 0 || endMs < startMs) {
            throw new IllegalArgumentException("utterance times must satisfy 0 <= start <= end, got " + startMs + ".." + endMs);
        }
    }
}
