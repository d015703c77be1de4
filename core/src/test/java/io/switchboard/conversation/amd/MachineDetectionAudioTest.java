package io.switchboard.conversation.amd;

import static io.switchboard.conversation.ConversationAudio.concat;
import static io.switchboard.conversation.ConversationAudio.silence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.switchboard.audio.G711;
import io.switchboard.conversation.ConversationAudio;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.conversation.vad.SileroVad;
import io.switchboard.conversation.vad.VadFrame;
import io.switchboard.conversation.vad.VoiceActivityDetector;
import io.switchboard.live.CallInput;
import io.switchboard.transcription.SpeechAudio;

/**
 * Answering-machine detection on real audio, as an outbound call's callee channel carries it (8 kHz μ-law, then
 * the 16 kHz the engine hears it at): machine greetings synthesised by flite and espeak-ng, a person's "Hello?",
 * sox beeps, and recorded speech (pocketsphinx-testdata) for what must not pass as a beep.
 */
class MachineDetectionAudioTest {

    static final String GREETING = "Hi, you've reached Sam. I can't take your call right now, please leave a message"
            + " after the tone.";
    private static SileroVad vad;
    private static Voices voices;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        vad = SileroVad.load();
        voices = Voices.installed();
    }

    @AfterAll
    static void close() {
        vad.close();
    }

    /** {@code text} in {@code voice}, through an 8 kHz μ-law line, at {@code rate}. */
    static short[] spoken(String voice, String text, int rate) throws Exception {
        short[] narrow;
        try (SpeechStream s = voices.resolve(voice).synthesize(text, 8000)) {
            narrow = s.readAll();
        }
        return line(narrow, rate);
    }

    static short[] line(short[] narrow, int rate) {
        short[] out = new short[narrow.length];
        for (int i = 0; i < narrow.length; i++) {
            out[i] = G711.ulawToLinear(G711.linearToUlaw(narrow[i]));
        }
        return rate == 8000 ? out : SpeechAudio.resample(out, 8000, rate);
    }

    /** A sox sine, {@code millis} long, through the line. */
    static short[] tone(int hz, int millis, int rate) throws Exception {
        Path out = dir.resolve("tone-" + hz + "-" + millis + ".wav");
        SpeechAudio.run("sox", "-n", "-r", "8000", "-b", "16", "-c", "1", "-e", "signed-integer", out.toString(),
                "synth", Double.toString(millis / 1000.0), "sine", Integer.toString(hz), "vol", "0.4");
        return line(SpeechAudio.pcm16(out), rate);
    }

    static short[] noise(int millis, int rate) throws Exception {
        return line(ConversationAudio.noise(dir, "whitenoise", 8000, millis / 1000.0, 0.003), rate);
    }

    /** What the watch decided and when, and when it first leaned towards a person (-1: never). */
    record Heard(List<MachineWatch.Action> actions, List<Long> atMs, String why, long leanedAtMs) {
        long at(MachineWatch.Action a) {
            return atMs.get(actions.indexOf(a));
        }
    }

    /** The callee's channel through the watch in 20 ms chunks, as the engine feeds it. */
    static Heard watch(short[] audio, int rate) {
        MachineWatch w = new MachineWatch();
        List<MachineWatch.Action> actions = new ArrayList<>();
        List<Long> at = new ArrayList<>();
        long leaned = -1;
        try (VoiceActivityDetector.Stream s = vad.open(rate)) {
            int chunk = rate / 50;
            for (int i = 0; i < audio.length; i += chunk) {
                short[] c = java.util.Arrays.copyOfRange(audio, i, Math.min(audio.length, i + chunk));
                long now = (long) (i + c.length) * 1000 / rate;
                for (VadFrame f : s.accept(c, 0, c.length)) {
                    w.frame(f).ifPresent(a -> {
                        actions.add(a);
                        at.add(now);
                    });
                }
                for (Optional<MachineWatch.Action> a : List.of(w.audio(c, rate), w.tick(now))) {
                    a.ifPresent(x -> {
                        actions.add(x);
                        at.add(now);
                    });
                }
                if (leaned < 0 && w.leansHuman(now)) {
                    leaned = now;
                }
            }
        }
        return new Heard(actions, at, w.why(), leaned);
    }

    @ParameterizedTest
    @ValueSource(strings = {"flite:awb", "flite:slt", "espeak:en-us"})
    void aMachinesGreetingIsAMachineAndItsBeepEndsIt(String voice) throws Exception {
        int rate = 16_000;
        short[] greeting = spoken(voice, GREETING, rate);
        short[] call = concat(noise(400, rate), greeting, tone(1000, 400, rate), noise(3000, rate));
        Heard h = watch(call, rate);

        assertEquals(List.of(MachineWatch.Action.MACHINE, MachineWatch.Action.LEAVE_MESSAGE), h.actions(), h.why());
        long greetingEnd = (400L + greeting.length * 1000L / rate);
        assertTrue(h.at(MachineWatch.Action.MACHINE) < greetingEnd, "the machine is known before its greeting ends: "
                + h);
        long beepEnd = greetingEnd + 400;
        assertTrue(h.at(MachineWatch.Action.LEAVE_MESSAGE) >= beepEnd && h.at(MachineWatch.Action.LEAVE_MESSAGE)
                <= beepEnd + 100, "the message starts as the beep ends (" + beepEnd + " ms): " + h);
        assertTrue(h.why().contains("beep"), h.why());
    }

    @Test
    void aGreetingWithoutABeepGetsItsMessageOnceTheLineIsQuiet() throws Exception {
        int rate = 8000;
        short[] greeting = spoken("flite:rms", GREETING, rate);
        Heard h = watch(concat(noise(300, rate), greeting, noise(4000, rate)), rate);

        assertEquals(List.of(MachineWatch.Action.MACHINE, MachineWatch.Action.LEAVE_MESSAGE), h.actions(), h.why());
        long greetingEnd = 300L + greeting.length * 1000L / rate;
        assertTrue(h.at(MachineWatch.Action.LEAVE_MESSAGE) >= greetingEnd, h.toString());
        assertTrue(h.why().contains("silence"), h.why());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello?", "Hello, who is this?", "Yes, speaking."})
    void aPersonsHelloStaysAPerson(String hello) throws Exception {
        for (String voice : List.of("flite:rms", "espeak:en-us")) {
            int rate = 16_000;
            // they say hello, wait, and say it again when nobody answers
            short[] h1 = spoken(voice, hello, rate);
            Heard h = watch(concat(noise(500, rate), h1, noise(1500, rate), h1, noise(2000, rate)), rate);
            assertEquals(List.of(MachineWatch.Action.HUMAN), h.actions(), voice + " '" + hello + "': " + h.why());
        }
    }

    @Test
    void aPersonsShortAnswerLeansHumanAtTheEndOfItsTurnBeforeTheVerdict() throws Exception {
        for (String voice : List.of("flite:rms", "espeak:en-us")) {
            int rate = 8000;
            short[] answer = spoken(voice, "Sorry, who is calling?", rate);
            Heard h = watch(concat(noise(500, rate), answer, noise(2000, rate)), rate);
            assertEquals(List.of(MachineWatch.Action.HUMAN), h.actions(), voice + ": " + h.why());
            long end = 500L + answer.length * 1000L / rate;
            assertTrue(h.leanedAtMs() >= 500 + MachineWatch.LEAN_PAUSE_MS && h.leanedAtMs() < end + 600,
                    voice + ": leans human about " + MachineWatch.LEAN_PAUSE_MS + " ms after the answer (ends at "
                            + end + " ms): " + h);
            assertTrue(h.at(MachineWatch.Action.HUMAN) - h.leanedAtMs() >= 200,
                    voice + ": the lean comes before the classifier's 800 ms pause: " + h);
        }
    }

    @Test
    void aMachinePausingAfterItsFirstSentenceLeansHumanThenIsFoundAMachineAndBeeps() throws Exception {
        int rate = 8000;
        String voice = "flite:awb";
        short[] first = ConversationAudio.voiced(spoken(voice, "Hi, this is Sam.", rate));
        short[] rest = ConversationAudio.voiced(spoken(voice,
                "I can't take your call right now, please leave a message after the tone.", rate));
        // a 600 ms pause between the voiced parts: past the lean, short of the classifier's pause, as a recorded
        // greeting pauses between its sentences
        Heard h = watch(concat(noise(300, rate), first, noise(600, rate), rest, tone(1000, 400, rate),
                noise(2000, rate)), rate);

        long firstEnd = 300L + first.length * 1000L / rate;
        assertTrue(h.leanedAtMs() > firstEnd && h.leanedAtMs() < firstEnd + 650,
                "leans human in the pause after the first sentence (ends at " + firstEnd + " ms): " + h);
        assertEquals(List.of(MachineWatch.Action.MACHINE, MachineWatch.Action.LEAVE_MESSAGE), h.actions(),
                "the lean is not a verdict: " + h.why());
        assertTrue(h.why().contains("beep"), h.why());
    }

    @Test
    void recordedSpeechHasNoBeepInIt() throws Exception {
        for (SpeechAudio.Utterance u : SpeechAudio.librivox()) {
            short[] phone = line(SpeechAudio.resample(u.samples(), 16_000, 8000), 8000);
            BeepDetector d = new BeepDetector(8000);
            for (int i = 0; i < phone.length; i += 160) {
                Optional<BeepDetector.Beep> b = d.accept(phone, i, Math.min(160, phone.length - i));
                assertTrue(b.isEmpty(), u.id() + " '" + u.transcript() + "' has no beep, heard " + b);
            }
        }
        for (String voice : List.of("flite:awb", "flite:slt", "flite:kal16", "espeak:en-us")) {
            short[] s = spoken(voice, GREETING + " Beep. Ooh. Aah.", 8000);
            assertTrue(new BeepDetector(8000).accept(s, 0, s.length).isEmpty(), voice);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {440, 850, 1000, 1400, 1990})
    void aSteadyToneInTheBandIsABeep(int hz) throws Exception {
        short[] audio = concat(noise(200, 8000), tone(hz, 300, 8000), noise(200, 8000));
        Optional<BeepDetector.Beep> b = new BeepDetector(8000).accept(audio, 0, audio.length);
        assertTrue(b.isPresent(), hz + " Hz");
        assertTrue(Math.abs(b.get().hz() - hz) <= BeepDetector.STEP_HZ, b.toString());
        assertTrue(Math.abs(b.get().endMs() - 500) <= 40, "ends with the tone: " + b);
    }

    @Test
    void aToneTooShortTooLowOrTooHighIsNoBeep() throws Exception {
        for (short[] t : List.of(tone(1000, 80, 8000), tone(200, 400, 8000), tone(3000, 400, 8000))) {
            short[] audio = concat(noise(200, 8000), t, noise(200, 8000));
            assertTrue(new BeepDetector(8000).accept(audio, 0, audio.length).isEmpty());
        }
    }

    @Test
    void theCarriersVerdictDecidesWhenItComesFirst() {
        MachineWatch human = new MachineWatch();
        assertEquals(Optional.of(MachineWatch.Action.HUMAN), human.carrier(CallInput.AnsweredBy.twilio("human"), 900));
        assertTrue(human.carrier(CallInput.AnsweredBy.twilio("machine_start"), 1000).isEmpty(), "a person stays one");

        MachineWatch machine = new MachineWatch();
        assertEquals(Optional.of(MachineWatch.Action.MACHINE),
                machine.carrier(CallInput.AnsweredBy.twilio("machine_start"), 1200));
        assertEquals(Optional.of(MachineWatch.Action.LEAVE_MESSAGE),
                machine.carrier(CallInput.AnsweredBy.twilio("machine_end_beep"), 6000));
        assertTrue(machine.carrier(CallInput.AnsweredBy.twilio("machine_end_silence"), 6100).isEmpty(), "once");

        assertEquals(Optional.of(MachineWatch.Action.LEAVE_MESSAGE), new MachineWatch()
                .carrier(CallInput.AnsweredBy.twilio("machine_end_other"), 5000));
        assertEquals(Optional.of(MachineWatch.Action.FAX), new MachineWatch()
                .carrier(CallInput.AnsweredBy.twilio("fax"), 5000));
        assertTrue(new MachineWatch().carrier(CallInput.AnsweredBy.twilio("unknown"), 5000).isEmpty());
        assertEquals(CallInput.AnsweredBy.Answerer.UNKNOWN, CallInput.AnsweredBy.twilio("robot").answerer());
    }

    @Test
    void silenceDecidesNothingAndTheCallGoesOnAsWithAPerson() throws Exception {
        Heard h = watch(noise(7000, 8000), 8000);
        assertEquals(List.of(MachineWatch.Action.HUMAN), h.actions(), h.why());
        assertTrue(h.why().contains("no speech"), h.why());
    }
}
