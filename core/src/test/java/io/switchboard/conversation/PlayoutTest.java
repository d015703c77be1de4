package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.switchboard.live.AgentVoice;

/** The agent's playout schedule on the call's clock: what plays when, what a barge-in cut, what a resume says again. */
class PlayoutTest {

    private static final int RATE = 8000;

    private final List<String> played = new ArrayList<>();
    private final AgentVoice voice = new AgentVoice() {
        @Override
        public void play(short[] pcm16, int sampleRate, String mark) {
            played.add(pcm16.length + ":" + mark);
        }

        @Override
        public void clear() {
        }

        @Override
        public void hangUp(String reason) {
        }
    };
    private final Playout playout = new Playout(voice);
    private final ConversationEngine.Reply reply = new ConversationEngine(
            new ConversationEngine.Parts(null, null, null, null, null), voice, RATE).new Reply(null, 0);

    /** Takes the next sentence and plays it as {@code chunks} chunks of 100 ms, the last one marked. */
    private Playout.Sent speak(int chunks) throws InterruptedException {
        Playout.Say say = (Playout.Say) playout.take().orElseThrow();
        Playout.Sent s = playout.begin(say).orElseThrow();
        for (int i = 0; i < chunks; i++) {
            assertTrue(playout.play(s, new short[RATE / 10], RATE, i == chunks - 1 ? "agent-" + s.seq : "", -20f));
        }
        playout.finished(s, true);
        return s;
    }

    private Playout.Say say(String text) {
        return new Playout.Say(text, reply);
    }

    @Test
    void chunksPlayBackToBackFromNowAndTheAgentIsIdleOnceTheyHavePlayed() throws Exception {
        playout.now(1000);
        playout.enqueue(say("Hello there."));
        playout.enqueue(say("How are you?"));
        Playout.Sent first = speak(3);
        Playout.Sent second = speak(2);

        assertEquals(1000, first.startMs);
        assertEquals(1300, first.endMs);
        assertEquals(1300, second.startMs, "the next sentence plays after the first, not at once");
        assertEquals(1500, second.endMs);
        assertEquals(List.of("800:", "800:", "800:agent-0", "800:", "800:agent-1"), played);
        assertEquals(5, playout.drainScheduled().size());
        assertFalse(playout.idle(1499));
        assertTrue(playout.idle(1500));
        assertEquals(List.of(first), playout.heardInFull(1400));
        assertEquals(List.of(second), playout.heardInFull(1500));
        assertTrue(playout.heardInFull(9999).isEmpty(), "each sentence is kept once");
    }

    @Test
    void aBargeInKeepsWhatWasHeardAndCutsTheSentenceWhereItsAudioStopped() throws Exception {
        playout.now(0);
        playout.enqueue(say("Hello there."));
        playout.enqueue(say("I am calling about your appointment next week."));
        playout.enqueue(say("Is this a good time?"));
        speak(5); // 0-500
        speak(10); // 500-1500
        playout.pause(1000);
        Playout.Cut cut = playout.commit(1000);

        assertEquals("Hello there. I am calling about", cut.heard(), "half the second sentence was played");
        assertEquals("I am calling about", cut.heardOfSentence());
        assertEquals(Optional.of(1), cut.sentence().map(s -> s.seq));
        assertTrue(playout.idle(1000), "the third sentence was dropped and nothing plays any more");
    }

    @Test
    void aFalseInterruptionSaysAgainWhatTheCallerDidNotHear() throws Exception {
        playout.now(0);
        playout.enqueue(say("Hello there."));
        playout.enqueue(say("Is this a good time?"));
        speak(5); // 0-500
        speak(5); // 500-1000
        playout.pause(700);
        assertEquals(1, playout.heardInFull(700).size());
        playout.resume(700);

        Playout.Say again = (Playout.Say) playout.take().orElseThrow();
        assertEquals("Is this a good time?", again.text(), "the cut sentence is said again, from its start");
        Playout.Sent s = playout.begin(again).orElseThrow();
        assertTrue(playout.play(s, new short[RATE / 10], RATE, "", -20f));
        assertEquals(700, s.startMs, "it plays from the resume, the cleared audio being gone");
    }

    @Test
    void aPickupHelloSaysAgainEverythingFromTheSentenceTheCallerStartedTalkingOver() throws Exception {
        playout.now(0);
        playout.enqueue(say("Hi, this is Ava."));
        playout.enqueue(say("I am calling from the clinic about your visit."));
        playout.enqueue(say("Can you come?"));
        speak(5); // 0-500: heard in full before the caller spoke
        speak(10); // 500-1500: the caller said hello from 600
        playout.pause(1100);
        assertEquals(1, playout.heardInFull(1100).size());
        Playout.Cut cut = playout.restartFrom(600, 1100, 1800);

        assertEquals(Optional.of(1), cut.sentence().map(s -> s.seq));
        assertEquals("I am calling from the", cut.heardOfSentence(), "what played of it before the pause");
        Playout.Say again = (Playout.Say) playout.take().orElseThrow();
        assertEquals("I am calling from the clinic about your visit.", again.text(),
                "the sentence the caller talked over is said again from its start");
        Playout.Sent s = playout.begin(again).orElseThrow();
        assertTrue(playout.play(s, new short[RATE / 10], RATE, "", -20f));
        assertEquals(1800, s.startMs, "from the restart, the cleared audio being gone");
        playout.finished(s, true);
        assertEquals("Can you come?", ((Playout.Say) playout.take().orElseThrow()).text(), "then the rest, once");
    }

    @Test
    void aPickupHelloOverTheStartRepeatsSentencesHeardInFullWhileTheCallerSpoke() throws Exception {
        playout.now(0);
        playout.enqueue(say("Hi, this is Ava."));
        playout.enqueue(say("I am calling from the clinic."));
        speak(5); // 0-500, talked over from 300
        speak(10); // 500-1500
        playout.pause(700);
        assertEquals(1, playout.heardInFull(700).size());
        Playout.Cut cut = playout.restartFrom(300, 700, 900);

        assertEquals("I", cut.heardOfSentence());
        assertEquals("Hi, this is Ava.", ((Playout.Say) playout.take().orElseThrow()).text());
    }

    @Test
    void audioClearedByAPauseIsNotHeardInFullWhileTheInterruptionIsJudged() throws Exception {
        playout.now(0);
        playout.enqueue(say("Hello there, this is the clinic."));
        speak(10); // 0-1000, all of it handed to the transport at once
        playout.pause(400);

        assertTrue(playout.heardInFull(2000).isEmpty(), "the clear at 400 ms dropped the rest of the sentence");
    }

    @Test
    void aBargeInCommittedLaterIsCutWhereThePauseClearedTheAudio() throws Exception {
        playout.now(0);
        playout.enqueue(say("Hello there, this is the clinic calling."));
        speak(10); // 0-1000, all of it handed to the transport at once
        playout.pause(500);
        Playout.Cut cut = playout.commit(2000); // the words, or the machine verdict, came later

        assertEquals("Hello there, this", cut.heardOfSentence(), "half of it played before the clear");
    }
}
