package io.switchboard.worker.pipeline;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.StreamDecoder;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;
import io.switchboard.worker.WorkerMetrics;

/**
 * Transcribes the assembled recording, channel by channel, when the live stream did not (an uploaded
 * recording, or a live call whose recogniser was unavailable). Segments are keyed by channel and sequence,
 * so a rerun overwrites the same rows with the same words.
 */
public final class TranscribeStage implements PipelineStage {

    private final CallService calls;
    private final RecordingStore recordings;
    private final SpeechRecognizer recognizer;

    public TranscribeStage(CallService calls, RecordingStore recordings, SpeechRecognizer recognizer) {
        this.calls = calls;
        this.recordings = recordings;
        this.recognizer = recognizer;
    }

    @Override
    public String name() {
        return CallService.TRANSCRIBE_STAGE;
    }

    @Override
    public Result run(CallJob job) throws Exception {
        Call c = job.call();
        Call.Recording rec = c.recording().orElseThrow(() -> new IllegalStateException("no recording to transcribe"));
        AudioFormat wav = new AudioFormat(c.format().encoding(), c.format().sampleRate(), c.format().channels(),
                AudioFormat.Container.WAV);
        StreamDecoder decoder = new StreamDecoder(wav, recognizer.sampleRate());
        List<SpeechRecognizer.Session> sessions = new ArrayList<>();
        List<List<TranscriptEvent>> finals = new ArrayList<>();
        long started = System.nanoTime();
        try (InputStream in = recordings.open(rec.key())) {
            for (int ch = 0; ch < c.format().channels(); ch++) {
                sessions.add(recognizer.open("en-US", c.format().sampleRate()));
                finals.add(new ArrayList<>());
            }
            byte[] buf = new byte[32 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                short[][] pcm = decoder.accept(java.util.Arrays.copyOf(buf, n)).channels();
                for (int ch = 0; ch < pcm.length; ch++) {
                    keepFinals(sessions.get(ch).accept(pcm[ch], 0, pcm[ch].length), finals.get(ch));
                }
                job.context().checkpoint();
            }
            short[][] tail = decoder.finish();
            for (int ch = 0; ch < tail.length; ch++) {
                keepFinals(sessions.get(ch).accept(tail[ch], 0, tail[ch].length), finals.get(ch));
                keepFinals(sessions.get(ch).finish(), finals.get(ch));
            }
        } finally {
            sessions.forEach(SpeechRecognizer.Session::close);
        }
        double audioSeconds = (double) decoder.frames() / c.format().sampleRate();
        if (audioSeconds > 0) {
            WorkerMetrics.realTimeFactor(recognizer.engine(), (System.nanoTime() - started) / 1e9 / audioSeconds);
        }
        int words = 0;
        for (int ch = 0; ch < finals.size(); ch++) {
            int seq = 0;
            for (TranscriptEvent e : finals.get(ch)) {
                calls.saveSegment(c.organizationId(), c.id(), new TranscriptSegment(ch, seq++,
                        speaker(c.format().channels(), ch), e.start().toMillis(), e.end().toMillis(), e.text(), e.words(),
                        "recording"));
                words += e.words().size();
            }
        }
        return Result.done(words + " words from the recording by " + recognizer.engine());
    }

    static String speaker(int channels, int channel) {
        return channels == 1 ? "unknown" : channel == 0 ? "agent" : "customer";
    }

    private static void keepFinals(List<TranscriptEvent> events, List<TranscriptEvent> into) {
        events.stream().filter(TranscriptEvent::isFinal).forEach(into::add);
    }
}
