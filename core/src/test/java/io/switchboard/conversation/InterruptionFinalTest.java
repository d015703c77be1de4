package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.Conduct;
import io.switchboard.agents.Flow;
import io.switchboard.agents.Timing;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.conversation.brain.FlowBrain;
import io.switchboard.conversation.brain.llm.TokenMeter;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.conversation.vad.SileroVad;
import io.switchboard.live.AgentVoice;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.testing.NoConversationRecords;
import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;

/**
 * A caller who talks over the agent's greeting has their words finalised inside the endpointing wait, as any turn
 * does, not only at its end: the engine, with the real flow brain, Silero, Flite and PocketSphinx, fed the caller's
 * channel faster than real time the way the call session feeds it (audio to the engine and the recogniser, the
 * recogniser's events back to the engine, an utterance ended when the engine asks).
 */
class InterruptionFinalTest {

    private static final int RATE = 16_000;
    private static final int FRAME = RATE / 50;
    private static final String GREETING = "Hello, this is the clinic calling about your appointment with doctor Jones "
            + "next Tuesday, and there are a few things I need to check with you before then.";

    @TempDir
    static Path dir;
    private static PocketSphinxRecognizer recognizer;
    private static SileroVad vad;

    @BeforeAll
    static void load() {
        recognizer = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"), 1,
                Duration.ofSeconds(60));
        vad = SileroVad.load();
    }

    @AfterAll
    static void close() {
        recognizer.close();
        vad.close();
    }

    /** The transport as the engine sees it: what it played, its clears, and when it asked for the caller's final. */
    private static final class Line implements AgentVoice {
        /** Counts down once 3 s of the agent's audio were handed over: the greeting runs past the caller's words. */
        final CountDownLatch playing = new CountDownLatch(1);
        private long samples;
        final AtomicInteger clears = new AtomicInteger();
        volatile boolean finalAsked;

        @Override
        public synchronized void play(short[] pcm16, int sampleRate, String mark) {
            samples += pcm16.length;
            if (samples >= 3L * sampleRate) {
                playing.countDown();
            }
        }

        @Override
        public void clear() {
            clears.incrementAndGet();
        }

        @Override
        public void hangUp(String reason) {
        }

        @Override
        public void endCallerUtterance() {
            finalAsked = true;
        }
    }

    private static ConversationEngine.Parts parts() {
        UUID org = UUID.randomUUID();
        // whatever the caller says is the note, and the agent says goodbye: a reply to any words
        Flow flow = new Flow("q", List.of(
                new Flow.Node("q", new Flow.Ask("notes", "Is now a good time?", "", List.of(), "bye"),
                        Timing.Endpointing.INHERIT),
                new Flow.Node("bye", new Flow.End("Thank you. Goodbye.", "done"), Timing.Endpointing.INHERIT)),
                List.of(), "");
        Agent agent = new Agent(UUID.randomUUID(), org, new AgentSpec("Clinic", "en-US", "", GREETING, "flite:slt",
                "", List.of(new CaptureVariable("notes", CaptureVariable.Type.STRING, "", List.of(), false)),
                new Conduct(flow, "", "", Timing.DEFAULTS)), 1, Instant.EPOCH, Instant.EPOCH);
        FlowBrain brain = FlowBrain.create();
        return new ConversationEngine.Parts(vad, Voices.installed(), c -> brain,
                new NoConversationRecords(agent, Map.of()), new LlmTokens(TokenMeter.NONE));
    }

    @Test
    void wordsOverTheGreetingAreFinalisedInsideTheEndpointingWait() throws Exception {
        short[] words = ConversationAudio.voiced(SpeechAudio.resample(
                SpeechAudio.espeak8k(dir, "sorry who is calling please"), 8000, RATE));
        // 1 s into the greeting, then silence for as long as the reply may take
        short[] caller = ConversationAudio.concat(new short[RATE], words, new short[RATE * 8]);
        long wordsEndMs = 1000 + words.length * 1000L / RATE;

        Line line = new Line();
        ConversationEngine engine = new ConversationEngine(parts(), line, 8000);
        engine.onOpen(new Call(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), 1, Optional.empty(),
                Optional.empty(), Call.Direction.INBOUND, "+14155550100", "+12125550101", Call.State.ACTIVE, "",
                new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), 0, Optional.empty(),
                Instant.now(), Optional.empty()));
        assertTrue(line.playing.await(60, TimeUnit.SECONDS), "the greeting's first 3 s are synthesised");

        List<Long> askedAtMs = new CopyOnWriteArrayList<>();
        try (SpeechRecognizer.Session session = recognizer.open("en-US", 8000)) {
            for (int i = 0; i + FRAME <= caller.length && engine.latencies().isEmpty(); i += FRAME) {
                short[] frame = Arrays.copyOfRange(caller, i, i + FRAME);
                engine.onCallerAudio(frame, RATE, System.nanoTime());
                List<TranscriptEvent> events = new java.util.ArrayList<>(session.accept(frame, 0, frame.length));
                if (line.finalAsked) {
                    line.finalAsked = false;
                    askedAtMs.add((i + FRAME) * 1000L / RATE);
                    events.addAll(session.endpoint());
                }
                for (TranscriptEvent e : events) {
                    engine.onTranscript(new CallOutput.Transcript(ConversationEngine.CALLER_CHANNEL, "customer", e,
                            false));
                }
                Thread.sleep(5); // the speaker's thread keeps the agent's audio ahead of the caller's clock
            }
        } finally {
            engine.onInput(new CallInput.End("test over"));
        }
        assertFalse(engine.latencies().isEmpty(), "the agent replied to the words (its first audio completes the "
                + "turn's latency)");

        assertTrue(line.clears.get() >= 1, "the caller's words stopped the greeting");
        assertFalse(askedAtMs.isEmpty(), "the recogniser was asked for the words' final");
        // the turn (its caller's last voice and endpointing wait, as the engine measured them) ended after the ask
        TurnLatency turn = engine.latencies().getFirst();
        long turnEndMs = turn.callerEndMs() + turn.endpointing();
        assertTrue(turn.callerEndMs() > 1000 && turn.callerEndMs() <= wordsEndMs + 100, turn.toString());
        long before = turnEndMs - askedAtMs.getFirst();
        assertTrue(before >= 100, "asked " + before + " ms before the end of the turn (" + turnEndMs + " ms: " + turn
                + "), inside the endpointing wait, not at its end: asked at " + askedAtMs);
        assertTrue(turn.recognizerFinal() < 100, "the final was in by the end of the turn: " + turn);
    }
}
