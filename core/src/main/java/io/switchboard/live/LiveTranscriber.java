package io.switchboard.live;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.transcription.Expectation;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;

/**
 * A live call's transcription: one recogniser session per channel, opened in the agent's language without
 * waiting for a decoder (a call must not stall its audio: with none free, the call goes on and the worker
 * transcribes its recording afterwards). Used by the call's one thread.
 */
public final class LiveTranscriber implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LiveTranscriber.class.getName());

    /** One event of one channel; {@code seq} numbers a channel's final events from 0. */
    public record ChannelEvent(int channel, TranscriptEvent event, int seq) {
    }

    private final List<SpeechRecognizer.Session> sessions = new ArrayList<>();
    private final int[] finals;
    private final String engine;
    private boolean live;

    private LiveTranscriber(String engine, int channels) {
        this.engine = engine;
        this.finals = new int[channels];
    }

    /**
     * Opens {@code channels} sessions in {@code language} for audio captured at {@code sourceRate}; without a
     * recogniser, or with no decoder free, the transcriber is off ({@link #live()} false) and ignores audio.
     */
    public static LiveTranscriber open(Optional<SpeechRecognizer> recognizer, String language, int channels,
                                       int sourceRate, String call) {
        LiveTranscriber t = new LiveTranscriber(recognizer.map(SpeechRecognizer::engine).orElse(""), channels);
        if (recognizer.isEmpty()) {
            return t;
        }
        try {
            for (int c = 0; c < channels; c++) {
                t.sessions.add(recognizer.get().open(language, sourceRate, Duration.ZERO));
            }
            t.live = true;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "no live transcription for call " + call + ": " + e.getMessage());
            t.close();
        }
        return t;
    }

    /** Whether the call is being transcribed as it goes (so far without a failure). */
    public boolean live() {
        return live;
    }

    public String engine() {
        return engine;
    }

    /** Feeds each channel's samples (at the recogniser's rate); returns the events they produced, by channel. */
    public List<ChannelEvent> accept(short[][] pcm) {
        return feed(pcm, false);
    }

    /** Feeds the last samples and ends every channel's utterance; the transcriber is closed afterwards. */
    public List<ChannelEvent> finish(short[][] tail) {
        try {
            return feed(tail, true);
        } catch (RuntimeException e) {
            live = false; // the recording is transcribed by the worker instead
            throw e;
        } finally {
            close();
        }
    }

    private List<ChannelEvent> feed(short[][] pcm, boolean last) {
        List<ChannelEvent> out = new ArrayList<>();
        for (int c = 0; c < sessions.size(); c++) {
            List<TranscriptEvent> events = new ArrayList<>(sessions.get(c).accept(pcm[c], 0, pcm[c].length));
            if (last) {
                events.addAll(sessions.get(c).finish());
            }
            for (TranscriptEvent e : events) {
                out.add(new ChannelEvent(c, e, e.isFinal() ? finals[c]++ : -1));
            }
        }
        return out;
    }

    /**
     * The speaker on {@code channel} has finished their turn: that channel's utterance under way ends now
     * ({@link SpeechRecognizer.Session#endpoint}), so its final text comes without waiting for the recogniser's own
     * end of speech.
     */
    public List<ChannelEvent> endpoint(int channel) {
        if (channel < 0 || channel >= sessions.size()) {
            return List.of();
        }
        List<ChannelEvent> out = new ArrayList<>();
        for (TranscriptEvent e : sessions.get(channel).endpoint()) {
            out.add(new ChannelEvent(channel, e, e.isFinal() ? finals[channel]++ : -1));
        }
        return out;
    }

    /** What every channel's next answer is likely made of ({@link SpeechRecognizer.Session#expect}). */
    public void expect(Expectation expectation) {
        sessions.forEach(s -> s.expect(expectation));
    }

    /** Returns the decoders to their pool. */
    @Override
    public void close() {
        sessions.forEach(SpeechRecognizer.Session::close);
        sessions.clear();
    }
}
