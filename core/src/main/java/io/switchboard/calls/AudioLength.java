package io.switchboard.calls;

import java.util.Locale;

import io.switchboard.audio.AudioFormat;
import io.switchboard.db.tables.Calls;
import org.jooq.CaseConditionStep;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * How long a call's stored audio lasts, from its byte count and format: one formula, for the call.completed
 * event (in Java) and for campaign statistics (the same arithmetic in SQL, summed over many calls).
 */
public final class AudioLength {

    private AudioLength() {
    }

    /** Whole milliseconds of {@code bytes} of raw audio in {@code format} (0 for a format with no rate). */
    public static long millis(long bytes, AudioFormat format) {
        long bytesPerSecond = (long) format.sampleRate() * format.bytesPerFrame();
        return bytesPerSecond == 0 ? 0 : bytes * 1000 / bytesPerSecond;
    }

    /** {@link #millis} of each row of {@code c}, as an SQL expression (integer division, as in Java). */
    public static Field<Long> millis(Calls c) {
        CaseConditionStep<Integer> bytesPerSample = null;
        for (AudioFormat.Encoding e : AudioFormat.Encoding.values()) {
            var when = c.AUDIO_ENCODING.eq(e.name().toLowerCase(Locale.ROOT));
            bytesPerSample = bytesPerSample == null ? DSL.when(when, DSL.inline(e.bytesPerSample()))
                    : bytesPerSample.when(when, DSL.inline(e.bytesPerSample()));
        }
        return DSL.field("({0} * 1000) / ({1} * {2} * {3})", Long.class, c.AUDIO_BYTES, c.SAMPLE_RATE, c.CHANNELS,
                bytesPerSample.otherwise(DSL.inline(AudioFormat.Encoding.PCM16.bytesPerSample())));
    }
}
