package io.switchboard.conversation.vad;

import static io.switchboard.conversation.ConversationAudio.concat;
import static io.switchboard.conversation.ConversationAudio.frames;
import static io.switchboard.conversation.ConversationAudio.phoneLine;
import static io.switchboard.conversation.ConversationAudio.silence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.switchboard.conversation.ConversationAudio;
import io.switchboard.transcription.SpeechAudio;

/**
 * Silero on real audio: Debian's recorded LibriVox speech and espeak-ng sentences, at 16 kHz and through an
 * 8 kHz μ-law phone line, between digital silence, recorded room tone, sox noise and mains hum. Assertions are
 * on frames and regions (Silero's own hysteresis: speech from 0.5 up, until below 0.35).
 */
class SileroVadTest {

    private static final float ON = 0.5f;
    private static final float OFF = 0.35f;

    private static SileroVad vad;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        vad = SileroVad.load();
    }

    @AfterAll
    static void close() {
        vad.close();
    }

    /**
     * Speech regions as [first frame, frame after last) the way Silero's own {@code get_speech_timestamps} cuts
     * them: speech from a window at 0.5 or more, ended by at least 100 ms (four windows) below 0.35.
     */
    static List<int[]> regions(List<VadFrame> frames) {
        List<int[]> out = new ArrayList<>();
        int start = -1;
        int quietFrom = -1;
        for (int i = 0; i < frames.size(); i++) {
            float p = frames.get(i).probability();
            if (start < 0) {
                if (p >= ON) {
                    start = i;
                }
            } else if (p >= ON) {
                quietFrom = -1;
            } else if (p < OFF) {
                if (quietFrom < 0) {
                    quietFrom = i;
                }
                if (i - quietFrom + 1 >= 4) {
                    out.add(new int[] {start, quietFrom});
                    start = -1;
                    quietFrom = -1;
                }
            }
        }
        if (start >= 0) {
            out.add(new int[] {start, quietFrom < 0 ? frames.size() : quietFrom});
        }
        return out;
    }

    private static short[] at(int rate, short[] wide16k) {
        return rate == 16_000 ? wide16k : phoneLine(wide16k);
    }

    @ParameterizedTest
    @ValueSource(ints = {16_000, 8000})
    void recordedSpeechIsFoundAndTheSilenceAroundItIsNot(int rate) throws Exception {
        for (SpeechAudio.Utterance u : SpeechAudio.librivox()) {
            short[] speech = at(rate, u.samples());
            short[] clip = concat(silence(rate, 1000), speech, silence(rate, 1000));
            try (VoiceActivityDetector.Stream s = vad.open(rate)) {
                List<VadFrame> f = frames(s, clip);
                long speechStart = rate;                       // sample where the recording begins
                long speechEnd = rate + speech.length;
                for (VadFrame x : f) {
                    boolean outside = x.startSample() + x.samples() <= speechStart || x.startSample() >= speechEnd;
                    assertTrue(!outside || x.probability() < ON,
                            u.id() + " @" + rate + ": silence at " + x.startMillis() + " ms flagged " + x.probability());
                }
                List<int[]> r = regions(f);
                assertTrue(!r.isEmpty(), u.id() + " @" + rate + ": no speech found");
                // the recordings open with about 300 ms of room tone, then read without stopping for long
                long firstMs = f.get(r.getFirst()[0]).startMillis() - 1000;
                assertTrue(firstMs >= 0 && firstMs < 600, u.id() + " @" + rate + ": speech found at " + firstMs + " ms");
                int from = r.getFirst()[0];
                int to = r.getLast()[1];
                long inSpeech = r.stream().mapToLong(x -> x[1] - x[0]).sum();
                assertTrue(inSpeech >= 0.9 * (to - from), u.id() + " @" + rate + ": only " + inSpeech + " of "
                        + (to - from) + " frames of continuous reading are speech");
                long lastEndMs = f.get(to - 1).startMillis() + 32 - 1000;
                long lengthMs = speech.length * 1000L / rate;
                assertTrue(lastEndMs > lengthMs - 700 && lastEndMs <= lengthMs + 100,
                        u.id() + " @" + rate + ": speech ends at " + lastEndMs + " ms of " + lengthMs);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16_000, 8000})
    void twoSentencesOverLineNoiseAreTwoRegionsWhereTheyWerePlaced(int rate) throws Exception {
        short[] first = at(rate, ConversationAudio.espeak(dir, "i would like to change my delivery address", 16_000));
        short[] second = at(rate, ConversationAudio.espeak(dir, "yes the blue one please", 16_000));
        short[] voiced = concat(silence(rate, 1000), first, silence(rate, 1500), second, silence(rate, 1000));
        short[] noise = at(rate, ConversationAudio.noise(dir, "brownnoise", 16_000, voiced.length / (double) rate + 1, 0.02));
        short[] clip = ConversationAudio.mix(voiced, Arrays.copyOf(noise, voiced.length), 0, 0);
        try (VoiceActivityDetector.Stream s = vad.open(rate)) {
            List<VadFrame> f = frames(s, clip);
            List<int[]> r = regions(f);
            assertEquals(2, r.size(), "regions " + r.stream().map(Arrays::toString).toList());
            long[][] placed = {
                    voicedSpan(first, rate, rate),
                    voicedSpan(second, rate, rate + first.length + rate * 3 / 2)};
            for (int i = 0; i < 2; i++) {
                long startMs = f.get(r.get(i)[0]).startMillis();
                long endMs = f.get(r.get(i)[1] - 1).startMillis() + 32;
                assertTrue(Math.abs(startMs - placed[i][0]) <= 100,
                        "sentence " + i + " @" + rate + " starts at " + placed[i][0] + " ms, region at " + startMs);
                assertTrue(endMs >= placed[i][1] - 150 && endMs <= placed[i][1] + 250,
                        "sentence " + i + " @" + rate + " ends at " + placed[i][1] + " ms, region at " + endMs);
            }
        }
    }

    /** [first, last] millisecond of {@code s} louder than 1/30 of full scale, when placed at sample {@code at}. */
    private static long[] voicedSpan(short[] s, int rate, int at) {
        int first = 0;
        while (Math.abs(s[first]) < 1000) {
            first++;
        }
        int last = s.length - 1;
        while (Math.abs(s[last]) < 1000) {
            last--;
        }
        return new long[] {(at + first) * 1000L / rate, (at + last) * 1000L / rate};
    }

    @ParameterizedTest
    @ValueSource(ints = {16_000, 8000})
    void silenceRoomToneNoiseAndHumAreNotSpeech(int rate) throws Exception {
        // each background is a call of its own, as a line carries it: splicing one into another makes a click
        // that the model may half-hear
        List<short[]> backgrounds = new ArrayList<>();
        backgrounds.add(silence(rate, 2000));
        for (SpeechAudio.Utterance u : SpeechAudio.librivox()) {
            backgrounds.add(at(rate, Arrays.copyOf(u.samples(), 16_000 * 16 / 100))); // room tone before the reader starts
        }
        for (String kind : List.of("whitenoise", "pinknoise", "brownnoise")) {
            backgrounds.add(at(rate, ConversationAudio.noise(dir, kind, 16_000, 2, 0.05)));
        }
        Path hum = dir.resolve("hum.wav");
        SpeechAudio.run("sox", "-n", "-r", "16000", "-b", "16", "-c", "1", "-e", "signed-integer", hum.toString(),
                "synth", "2", "sine", "50", "sine", "60", "vol", "0.2");
        backgrounds.add(at(rate, SpeechAudio.pcm16(hum)));
        int frames = 0;
        for (int b = 0; b < backgrounds.size(); b++) {
            try (VoiceActivityDetector.Stream s = vad.open(rate)) {
                List<VadFrame> f = frames(s, backgrounds.get(b));
                frames += f.size();
                for (VadFrame x : f) {
                    assertTrue(x.probability() < ON,
                            "background " + b + ": non-speech at " + x.startMillis() + " ms has " + x.probability());
                }
                assertEquals(List.of(), regions(f), "background " + b);
                if (b == 0) {
                    assertEquals(AudioLevel.SILENCE_DBFS, f.getFirst().levelDbfs());
                }
            }
        }
        assertTrue(frames > 200, "frames " + frames);
    }

    @ParameterizedTest
    @ValueSource(ints = {16_000, 8000})
    void aResetStreamHearsTheNextCallAsAFreshOneDoes(int rate) throws Exception {
        List<SpeechAudio.Utterance> u = SpeechAudio.librivox();
        short[] previousCall = at(rate, u.get(0).samples());
        short[] nextCall = at(rate, u.get(1).samples());
        try (VoiceActivityDetector.Stream reused = vad.open(rate); VoiceActivityDetector.Stream fresh = vad.open(rate)) {
            List<VadFrame> without = frames(reused, nextCall);
            reused.accept(previousCall, 0, previousCall.length - 100); // leaves a partial window behind too
            reused.reset();
            List<VadFrame> after = frames(reused, nextCall);
            assertEquals(frames(fresh, nextCall), after);
            assertEquals(without, after);
            assertEquals(0, after.getFirst().startSample());
        }
    }

    @Test
    void theModelStateCarriesFromWindowToWindow() throws Exception {
        // the same window of speech scores differently after speech than after silence: the recurrent state
        // and context are really fed back (a stream that dropped them would score both alike)
        short[] speech = SpeechAudio.librivox().get(0).samples();
        short[] window = Arrays.copyOfRange(speech, 16_000, 16_000 + 512);
        try (VoiceActivityDetector.Stream a = vad.open(16_000); VoiceActivityDetector.Stream b = vad.open(16_000)) {
            a.accept(silence(16_000, 1000), 0, 16_000);
            b.accept(speech, 0, 16_000);
            float afterSilence = a.accept(window, 0, 512).getFirst().probability();
            float afterSpeech = b.accept(window, 0, 512).getFirst().probability();
            assertTrue(Math.abs(afterSilence - afterSpeech) > 1e-4, afterSilence + " vs " + afterSpeech);
        }
    }

    @Test
    void itScoresExactlyAsThePlainOnnxRecipeDoes() throws Exception {
        // the recipe of Silero's own examples, with fresh tensors for every window: the stream's reused direct
        // buffers, context shift and state copy must give the very same probabilities
        short[] speech = SpeechAudio.librivox().get(0).samples();
        List<Float> expected = new ArrayList<>();
        byte[] model;
        try (var in = SileroVad.class.getClassLoader().getResourceAsStream(SileroVad.MODEL_RESOURCE)) {
            model = in.readAllBytes();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (var options = new OrtSession.SessionOptions();
                var session = env.createSession(model, options)) {
            float[] state = new float[256];
            float[] context = new float[64];
            for (int i = 0; i + 512 <= speech.length; i += 512) {
                float[] input = new float[576];
                System.arraycopy(context, 0, input, 0, 64);
                for (int k = 0; k < 512; k++) {
                    input[64 + k] = speech[i + k] / 32768f;
                }
                try (var x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {1, 576});
                        var h = OnnxTensor.createTensor(env, FloatBuffer.wrap(state), new long[] {2, 1, 128});
                        var sr = OnnxTensor.createTensor(env, new long[] {16_000});
                        var r = session.run(Map.of("input", x, "state", h, "sr", sr))) {
                    expected.add(((float[][]) r.get("output").orElseThrow().getValue())[0][0]);
                    ((OnnxTensor) r.get("stateN").orElseThrow()).getFloatBuffer().get(state);
                }
                System.arraycopy(input, 512, context, 0, 64);
            }
        }
        try (VoiceActivityDetector.Stream s = vad.open(16_000)) {
            List<Float> actual = frames(s, speech).stream().map(VadFrame::probability).toList();
            assertEquals(expected, actual);
        }
    }

    @Test
    void chunkSizesDoNotChangeTheFrames() throws Exception {
        short[] clip = phoneLine(SpeechAudio.librivox().get(2).samples());
        try (VoiceActivityDetector.Stream s = vad.open(8000)) {
            List<VadFrame> whole = s.accept(clip, 0, clip.length);
            s.reset();
            List<VadFrame> odd = new ArrayList<>();
            for (int i = 0; i < clip.length; i += 77) {
                odd.addAll(s.accept(clip, i, Math.min(77, clip.length - i)));
            }
            assertEquals(whole, odd);
            assertEquals(clip.length / 256, whole.size());
            assertEquals(256L * 10, whole.get(10).startSample());
            assertEquals(32, whole.get(10).durationMillis());
        }
    }

    @Test
    void callsOnManyThreadsShareTheModelButNotTheirState() throws Exception {
        List<short[]> calls = new ArrayList<>();
        for (SpeechAudio.Utterance u : SpeechAudio.librivox()) {
            calls.add(u.samples());
        }
        List<List<VadFrame>> alone = new ArrayList<>();
        for (short[] c : calls) {
            try (VoiceActivityDetector.Stream s = vad.open(16_000)) {
                alone.add(frames(s, c));
            }
        }
        // interleaved on one thread, chunk by chunk, as a single audio loop serving several calls would
        List<VoiceActivityDetector.Stream> streams = new ArrayList<>();
        List<List<VadFrame>> interleaved = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            streams.add(vad.open(16_000));
            interleaved.add(new ArrayList<>());
        }
        for (int at = 0; ; at += 320) {
            boolean any = false;
            for (int i = 0; i < calls.size(); i++) {
                short[] c = calls.get(i);
                if (at < c.length) {
                    interleaved.get(i).addAll(streams.get(i).accept(c, at, Math.min(320, c.length - at)));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        streams.forEach(VoiceActivityDetector.Stream::close);
        assertEquals(alone, interleaved);
        // and on threads of their own, at once
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            List<Future<List<VadFrame>>> futures = new ArrayList<>();
            for (short[] c : calls) {
                futures.add(pool.submit(() -> {
                    try (VoiceActivityDetector.Stream s = vad.open(16_000)) {
                        return frames(s, c);
                    }
                }));
            }
            for (int i = 0; i < calls.size(); i++) {
                assertEquals(alone.get(i), futures.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void ratesTheModelDoesNotTakeAreRefusedByName() {
        for (int rate : new int[] {0, 11_025, 44_100, 48_000}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vad.open(rate));
            assertTrue(e.getMessage().startsWith("sampleRate:") && e.getMessage().contains(Integer.toString(rate)),
                    e.getMessage());
        }
    }

    @Test
    void anOutOfRangeChunkIsRefused() {
        try (VoiceActivityDetector.Stream s = vad.open(8000)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.accept(new short[10], 5, 6));
            assertTrue(e.getMessage().startsWith("pcm16:"), e.getMessage());
        }
    }

    @Test
    void aMissingModelFailsAtLoadNamingTheResource() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SileroVad.load("io/switchboard/conversation/vad/missing.onnx"));
        assertTrue(e.getMessage().contains("io/switchboard/conversation/vad/missing.onnx")
                && e.getMessage().contains("not on the classpath"), e.getMessage());
    }

    @Test
    void aFileThatIsNotTheVendoredModelIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SileroVad.load("io/switchboard/conversation/vad/README.md"));
        assertTrue(e.getMessage().contains("not the vendored Silero VAD v5") && e.getMessage().contains(SileroVad.SHA256),
                e.getMessage());
    }
}
