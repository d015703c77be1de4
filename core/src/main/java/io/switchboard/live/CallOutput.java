package io.switchboard.live;

import io.switchboard.calls.Call;
import io.switchboard.transcription.TranscriptEvent;

/** What a {@link CallSession} tells its transport, through its {@link SessionListener}. */
public sealed interface CallOutput {

    /** The call is open (its row, with the id the client refers to). */
    record Accepted(Call call) implements CallOutput {
    }

    /**
     * A partial or final transcript event of one channel of the call: the recogniser's, or the agent's own words as
     * the caller heard them ({@code interrupted} when the caller talked over the sentence and {@code event}'s text
     * is only what was played of it).
     */
    record Transcript(int channel, String speaker, TranscriptEvent event, boolean interrupted) implements CallOutput {
        public Transcript(int channel, String speaker, TranscriptEvent event) {
            this(channel, speaker, event, false);
        }
    }

    /**
     * Agent audio to play to the caller, PCM16 mono at {@code sampleRate}; when {@code mark} is not empty the
     * transport reports back {@link CallInput.Mark} once it has been played.
     */
    record PlayAudio(short[] pcm16, int sampleRate, String mark) implements CallOutput {
    }

    /** Barge-in: drop the agent audio sent but not yet played. */
    record ClearAudio() implements CallOutput {
    }

    /** The call has ended (its row, with the end reason); the session's last output. */
    record Ended(Call call) implements CallOutput {
    }
}
