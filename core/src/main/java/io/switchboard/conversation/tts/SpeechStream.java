package io.switchboard.conversation.tts;

import java.util.Arrays;
import java.util.Optional;

/**
 * The audio of one sentence as it is synthesised: PCM16 mono chunks at {@link #sampleRate()}, in order. Read from
 * one thread; {@link #cancel()} may come from any other (barge-in) and ends the stream at once, stopping the
 * engine's work where it can (the process is killed, the HTTP exchange aborted).
 */
public interface SpeechStream extends AutoCloseable {

    int sampleRate();

    /**
     * The next chunk, blocking until the engine has produced it; empty at the end of the sentence and once
     * cancelled.
     *
     * @throws SpeechSynthesisException when the engine fails
     */
    Optional<short[]> next();

    /** Stops the stream; a {@link #next()} blocked in another thread returns empty. Idempotent. */
    void cancel();

    boolean isCancelled();

    /** Cancels if unfinished and releases what the stream holds. */
    @Override
    default void close() {
        cancel();
    }

    /** The whole sentence (for a greeting synthesised before the call is answered, and tests). */
    default short[] readAll() {
        short[] all = new short[0];
        int n = 0;
        for (Optional<short[]> c = next(); c.isPresent(); c = next()) {
            short[] chunk = c.get();
            if (n + chunk.length > all.length) {
                all = Arrays.copyOf(all, Math.max(n + chunk.length, all.length * 2));
            }
            System.arraycopy(chunk, 0, all, n, chunk.length);
            n += chunk.length;
        }
        return Arrays.copyOf(all, n);
    }
}
