package io.switchboard.transcription;

import java.time.Duration;

/** One recognised word with its timing; {@code confidence} in [0, 1]. */
public record Word(String text, Duration start, Duration end, double confidence) {
}
