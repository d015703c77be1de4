package io.switchboard.conversation.turns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

/**
 * The turn detector's rules on scripted 32 ms windows (Silero's size), so each rule is seen alone; the same
 * rules on real audio are in {@link TurnDetectorAudioTest}.
 */
class TurnDetectorTest {

    private static final int W = 32;
    private static final float VOICE = 0.9f;
    private static final float QUIET = 0.05f;

    /** A call on the channel clock: windows fed in order, every decision kept with the window index it came at. */
    static final class Call {
        final TurnDetector d;
        long t;
        final List<TurnEvent> events = new ArrayList<>();

        Call(TurnSettings s) {
            d = new TurnDetector(s);
        }

        Call() {
            this(TurnSettings.defaults());
        }

        Call frames(int n, float p, float levelDbfs) {
            for (int i = 0; i < n; i++) {
                events.addAll(d.onCallerFrame(t, W, p, levelDbfs));
                t += W;
            }
            return this;
        }

        Call frames(int n, float p) {
            return frames(n, p, -20f);
        }

        Call partial(String text) {
            events.addAll(d.onTranscript(t, text, false));
            return this;
        }

        Call fin(String text) {
            events.addAll(d.onTranscript(t, text, true));
            return this;
        }

        Call agent(boolean speaking) {
            events.addAll(d.onAgentSpeaking(t, speaking));
            return this;
        }

        /** The agent plays {@code n} windows at {@code levelDbfs} from now on (fed ahead, as a playout buffer is). */
        Call agentAudio(long from, int n, float levelDbfs) {
            for (int i = 0; i < n; i++) {
                d.onAgentAudio(from + (long) i * W, W, levelDbfs);
            }
            return this;
        }

        <T extends TurnEvent> List<T> of(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    @Test
    void theTurnEndsAfterMinSilenceOfQuiet() {
        Call c = new Call().frames(5, QUIET).frames(20, VOICE).partial("i would like to book a table");
        long lastVoice = c.t;
        c.frames(15, QUIET); // 480 ms
        assertEquals(List.of(), c.of(TurnEvent.EndOfTurn.class));
        c.frames(1, QUIET); // 512 ms
        TurnEvent.EndOfTurn end = c.of(TurnEvent.EndOfTurn.class).getFirst();
        assertEquals(lastVoice, end.lastVoiceMillis());
        assertEquals("i would like to book a table", end.text());
        assertFalse(end.midPhrase());
        assertEquals(5 * W, c.of(TurnEvent.SpeechStarted.class).getFirst().speechMillis());
        c.frames(60, QUIET);
        assertEquals(1, c.of(TurnEvent.EndOfTurn.class).size());
    }

    @Test
    void aPauseShorterThanMinSilenceDoesNotEndTheTurn() {
        Call c = new Call().frames(20, VOICE).frames(12, QUIET).frames(20, VOICE).frames(16, QUIET);
        assertEquals(1, c.of(TurnEvent.EndOfTurn.class).size());
        assertEquals(52 * W, c.of(TurnEvent.EndOfTurn.class).getFirst().lastVoiceMillis());
    }

    @Test
    void wordsThatStopMidPhraseWaitForMaxSilence() {
        for (String text : List.of("i want the blue one and", "it was late because", "um so", "my number is five five five",
                "my number is 555 01", "five five oh", "send it to the")) {
            Call c = new Call().frames(20, VOICE).partial(text).frames(32, QUIET); // 1024 ms
            assertEquals(List.of(), c.of(TurnEvent.EndOfTurn.class), text);
            c.frames(15, QUIET); // 1504 ms
            TurnEvent.EndOfTurn end = c.of(TurnEvent.EndOfTurn.class).getFirst();
            assertTrue(end.midPhrase(), text);
            assertEquals(Words.of(text), Words.of(end.text()));
        }
        for (String text : List.of("that is all", "yes please", "oh", "it costs five dollars", "the red one",
                "i would like two", "oh no")) {
            Call c = new Call().frames(20, VOICE).partial(text).frames(16, QUIET);
            assertEquals(1, c.of(TurnEvent.EndOfTurn.class).size(), text);
            assertFalse(c.of(TurnEvent.EndOfTurn.class).getFirst().midPhrase(), text);
        }
    }

    @Test
    void speakingOnAfterAConjunctionMakesOneTurnWithAllTheWords() {
        Call c = new Call().frames(20, VOICE).fin("i want the blue one and").frames(25, QUIET) // 800 ms: held
                .frames(20, VOICE).partial("the red one").frames(16, QUIET);
        List<TurnEvent.EndOfTurn> ends = c.of(TurnEvent.EndOfTurn.class);
        assertEquals(1, ends.size());
        assertEquals("i want the blue one and the red one", ends.getFirst().text());
        assertFalse(ends.getFirst().midPhrase());
    }

    @Test
    void hysteresisKeepsSpeechBetweenTheThresholdsAndAClickDoesNotStartIt() {
        // 0.4 is above deactivation (0.35): a speaker in the middle of a word stays speaking
        Call c = new Call().frames(10, VOICE).frames(40, 0.4f);
        assertEquals(List.of(), c.of(TurnEvent.EndOfTurn.class));
        c.frames(16, 0.3f);
        assertEquals(1, c.of(TurnEvent.EndOfTurn.class).size());
        // but 0.4 does not start speech, and one loud window (a click) is shorter than vad.min-speech
        Call idle = new Call().frames(40, 0.4f).frames(1, VOICE).frames(20, QUIET).frames(2, VOICE).frames(20, QUIET);
        assertEquals(List.of(), idle.events);
        // once quiet has begun, a window between the thresholds does not bring speech back
        Call tail = new Call().frames(10, VOICE).frames(2, QUIET).frames(14, 0.45f);
        assertEquals(1, tail.of(TurnEvent.EndOfTurn.class).size());
    }

    @Test
    void speechOverTheAgentWithAWordInterrupts() {
        Call c = new Call().agent(true).frames(10, QUIET).frames(4, VOICE).partial("wait");
        assertEquals(List.of(), c.of(TurnEvent.Interrupt.class), "128 ms is under interruption.min-speech");
        c.frames(4, VOICE); // 256 ms of voice
        TurnEvent.Interrupt i = c.of(TurnEvent.Interrupt.class).getFirst();
        assertEquals(10 * W, i.speechMillis());
        assertEquals("wait", i.text());
        assertFalse(c.d.agentSpeaking());
        // the interrupting words are the caller's turn
        c.partial("wait a second").frames(10, VOICE).frames(16, QUIET);
        assertEquals("wait a second", c.of(TurnEvent.EndOfTurn.class).getFirst().text());
        assertEquals(List.of(), c.of(TurnEvent.Resume.class));
    }

    @Test
    void backchannelsOverTheAgentDoNotInterrupt() {
        for (String text : List.of("okay", "uh-huh", "uh huh", "yeah yeah", "mm-hmm right", "Okay.", "i see")) {
            Call c = new Call().agent(true).frames(10, QUIET).frames(15, VOICE).partial(text).frames(20, QUIET);
            assertEquals(List.of(), c.of(TurnEvent.Interrupt.class), text);
            assertEquals(Words.of(text), Words.of(c.of(TurnEvent.Backchannel.class).getFirst().text()), text);
            assertTrue(c.d.agentSpeaking(), text);
            assertEquals(List.of(), c.of(TurnEvent.EndOfTurn.class), text);
        }
        // a backchannel followed by a request is not one
        Call c = new Call().agent(true).frames(15, VOICE).partial("okay but");
        assertEquals("okay but", c.of(TurnEvent.Interrupt.class).getFirst().text());
    }

    @Test
    void aCoughOverTheAgentDoesNotInterrupt() {
        // a short voiced burst the recogniser finds no word in
        Call c = new Call().agent(true).frames(10, QUIET).frames(12, VOICE).frames(20, QUIET);
        assertEquals(List.of(), c.of(TurnEvent.Interrupt.class));
        assertEquals("", c.of(TurnEvent.Backchannel.class).getFirst().text());
        assertTrue(c.d.agentSpeaking());
    }

    @Test
    void longSpeechWithoutWordsInterruptsThenResumesWhenNoWordComes() {
        Call c = new Call().agent(true).frames(24, VOICE); // 768 ms
        assertEquals(List.of(), c.of(TurnEvent.Interrupt.class));
        c.frames(1, VOICE); // 800 ms: interruption.max-backchannel
        TurnEvent.Interrupt i = c.of(TurnEvent.Interrupt.class).getFirst();
        assertEquals("", i.text());
        c.frames(10, VOICE).frames(36, QUIET); // 1472 ms after the interruption: not yet
        assertEquals(List.of(), c.of(TurnEvent.Resume.class));
        c.frames(1, QUIET);
        TurnEvent.Resume r = c.of(TurnEvent.Resume.class).getFirst();
        assertEquals(i.atMillis(), r.interruptedMillis());
        assertTrue(c.d.agentSpeaking());
        assertEquals(List.of(), c.of(TurnEvent.EndOfTurn.class), "a false interruption is no turn");
    }

    @Test
    void longSpeechWhoseWordsArriveLateIsATurnNotAResume() {
        Call c = new Call().agent(true).frames(30, VOICE);
        assertEquals(1, c.of(TurnEvent.Interrupt.class).size());
        c.frames(10, QUIET).partial("hold on please").frames(20, QUIET);
        assertEquals(List.of(), c.of(TurnEvent.Resume.class));
        assertEquals("hold on please", c.of(TurnEvent.EndOfTurn.class).getFirst().text());
    }

    @Test
    void aLateWordStillInterruptsWhileTheSpeechIsFresh() {
        // "stop" is short; the recogniser's partial comes 200 ms after it ended
        Call c = new Call().agent(true).frames(10, VOICE).frames(6, QUIET).partial("stop");
        TurnEvent.Interrupt i = c.of(TurnEvent.Interrupt.class).getFirst();
        assertEquals("stop", i.text());
        assertEquals(0, i.speechMillis());
    }

    @Test
    void wordsFromBeforeTheBargeInAreNotItsWords() {
        // the recogniser is mid-utterance on the agent's echo; its old words must not make a cough an interruption
        Call c = new Call().partial("the agent said").agent(true).frames(10, VOICE).partial("the agent said").frames(20, QUIET);
        assertEquals(List.of(), c.of(TurnEvent.Interrupt.class));
        assertEquals(1, c.of(TurnEvent.Backchannel.class).size());
    }

    @Test
    void theAgentFinishingOverCallerSpeechHandsTheCallerTheTurn() {
        Call c = new Call().agent(true).frames(5, VOICE).agent(false).partial("hello").frames(5, VOICE).frames(16, QUIET);
        assertEquals(List.of(), c.of(TurnEvent.Interrupt.class));
        assertEquals("hello", c.of(TurnEvent.EndOfTurn.class).getFirst().text());
    }

    @Test
    void quietEchoOfTheAgentIsNotTheCaller() {
        // the agent plays at -20 dBFS; its echo comes back 150 ms later 20 dB down, and Silero calls it speech
        Call c = new Call().agent(true).agentAudio(0, 100, -20f);
        c.frames(5, QUIET, -70f).frames(60, VOICE, -40f);
        assertEquals(List.of(), c.events);
        // the caller talking over it, about as loud as the agent, is the caller
        c.frames(10, VOICE, -23f).partial("excuse me");
        assertEquals("excuse me", c.of(TurnEvent.Interrupt.class).getFirst().text());
        // with no echo guard the same echo interrupts
        Call unguarded = new Call(TurnSettings.defaults().withEcho(Duration.ZERO, 0)).agent(true).agentAudio(0, 100, -20f)
                .frames(5, QUIET, -70f).frames(30, VOICE, -40f);
        assertEquals(1, unguarded.of(TurnEvent.Interrupt.class).size());
    }

    @Test
    void echoTailAfterTheAgentStopsIsNotATurn() {
        Call c = new Call().agent(true).agentAudio(0, 20, -18f).frames(20, QUIET, -70f).agent(false)
                .frames(10, VOICE, -38f).frames(20, QUIET, -70f);
        assertEquals(List.of(), c.events);
        // once the agent's audio is further back than echo.max-delay, the same level is the caller's
        c.frames(10, VOICE, -38f).frames(16, QUIET, -70f);
        assertEquals(1, c.of(TurnEvent.EndOfTurn.class).size());
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        TurnSettings s = TurnSettings.defaults();
        assertEquals(0.5, s.vadActivation());
        assertEquals(0.35, s.vadDeactivation());
        assertEquals(Duration.ofMillis(500), s.endpointingMinSilence());
        assertEquals(Duration.ofMillis(1500), s.endpointingMaxSilence());
        assertEquals(Duration.ofMillis(250), s.interruptionMinSpeech());
        assertEquals(Duration.ofMillis(1500), s.interruptionResumeAfter());
        assertTrue(s.backchannels().containsAll(Set.of("okay", "yeah", "uh-huh", "right", "mm-hmm")));
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        TurnSettings d = TurnSettings.defaults();
        record Bad(String name, Function<TurnSettings, TurnSettings> make) {
        }
        List<Bad> bad = List.of(
                new Bad("vad.activation", s -> new TurnSettings(1.0, 0.35, s.vadMinSpeech(), s.vadMinSilence(),
                        s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("vad.deactivation", s -> new TurnSettings(0.5, 0.6, s.vadMinSpeech(), s.vadMinSilence(),
                        s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("vad.deactivation", s -> new TurnSettings(0.5, Double.NaN, s.vadMinSpeech(), s.vadMinSilence(),
                        s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("vad.min-speech", s -> new TurnSettings(0.5, 0.35, Duration.ofMillis(-1), s.vadMinSilence(),
                        s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("vad.min-silence", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(), Duration.ofMillis(600),
                        s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("endpointing.min-silence", s -> s.withEndpointing(Duration.ZERO, Duration.ofMillis(1500))),
                new Bad("endpointing.min-silence", s -> s.withEndpointing(null, Duration.ofMillis(1500))),
                new Bad("endpointing.max-silence", s -> s.withEndpointing(Duration.ofMillis(500), Duration.ofMillis(400))),
                new Bad("endpointing.max-silence", s -> s.withEndpointing(Duration.ofMillis(500), Duration.ofMinutes(1))),
                new Bad("interruption.min-speech", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(), s.vadMinSilence(),
                        s.endpointingMinSilence(), s.endpointingMaxSilence(), Duration.ZERO,
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("interruption.max-backchannel", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(),
                        s.vadMinSilence(), s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        Duration.ofMillis(100), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("interruption.resume-after", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(),
                        s.vadMinSilence(), s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), Duration.ofMillis(-5), s.echoMaxDelay(), s.echoMarginDb(),
                        s.backchannels())),
                new Bad("echo.max-delay", s -> s.withEcho(Duration.ofMillis(-1), 12)),
                new Bad("echo.margin-db", s -> s.withEcho(Duration.ofMillis(400), -3)),
                new Bad("echo.margin-db", s -> s.withEcho(Duration.ofMillis(400), Double.NaN)),
                new Bad("interruption.backchannels", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(),
                        s.vadMinSilence(), s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        Set.of("okay", "  ?! "))),
                new Bad("interruption.backchannels", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(),
                        s.vadMinSilence(), s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        Set.of("yes i hear you fine"))),
                new Bad("interruption.backchannels", s -> new TurnSettings(0.5, 0.35, s.vadMinSpeech(),
                        s.vadMinSilence(), s.endpointingMinSilence(), s.endpointingMaxSilence(), s.interruptionMinSpeech(),
                        s.interruptionMaxBackchannel(), s.interruptionResumeAfter(), s.echoMaxDelay(), s.echoMarginDb(),
                        null)));
        for (Bad b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.make().apply(d), b.name());
            assertTrue(e.getMessage().startsWith(b.name() + ":"), b.name() + " -> " + e.getMessage());
        }
    }

    @Test
    void badInputsAreRefusedNamingTheArgument() {
        TurnDetector d = new TurnDetector(TurnSettings.defaults());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.onCallerFrame(0, 0, 0.5f, -20f)).getMessage()
                .startsWith("durationMillis:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.onCallerFrame(0, 32, 1.5f, -20f)).getMessage()
                .startsWith("probability:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.onCallerFrame(0, 32, Float.NaN, -20f)).getMessage()
                .startsWith("probability:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.onAgentAudio(0, 32, Float.NaN)).getMessage()
                .startsWith("levelDbfs:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TurnDetector(null)).getMessage()
                .startsWith("settings:"));
    }

    @Test
    void wordsAreReadAsARecogniserWritesThem() {
        assertEquals(List.of("okay", "uh-huh", "it's", "5"), Words.of(" Okay, [noise] uh-huh <sil> it's 5. ++breath++"));
        assertTrue(Words.onlyBackchannels(Words.of("uh huh okay right"), TurnSettings.DEFAULT_BACKCHANNELS));
        assertFalse(Words.onlyBackchannels(Words.of("okay stop"), TurnSettings.DEFAULT_BACKCHANNELS));
        assertFalse(Words.onlyBackchannels(List.of(), TurnSettings.DEFAULT_BACKCHANNELS));
        assertInstanceOf(TurnEvent.class, new TurnEvent.Resume(1, 0));
    }
}
