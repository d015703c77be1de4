package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.conversation.brain.FlowBrain;
import io.switchboard.conversation.brain.llm.TokenMeter;
import io.switchboard.conversation.greeting.PreparedGreeting;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.conversation.vad.SileroVad;
import io.switchboard.live.AgentVoice;
import io.switchboard.live.CallInput;
import io.switchboard.testing.NoConversationRecords;
import org.junit.jupiter.api.Test;

/**
 * The engine speaks a greeting synthesised while the call rang instead of synthesising it, only where the brain says
 * exactly those sentences in that voice; otherwise (none prepared, or prepared for other words) it synthesises, with
 * the real flow brain, Silero and Flite.
 */
class PreparedGreetingPlaybackTest {

    private static final String FIRST = "Hello Ada, this is the clinic.";
    private static final String SECOND = "We are calling about tomorrow.";
    private static final Voices VOICES = Voices.installed();

    /** What the transport was asked to play, sentence by sentence (a sentence ends with its mark). */
    private static final class Heard implements AgentVoice {
        final List<short[]> sentences = new ArrayList<>();
        final CountDownLatch two = new CountDownLatch(2);
        private short[] current = new short[0];

        @Override
        public synchronized void play(short[] pcm16, int sampleRate, String mark) {
            assertEquals(8000, sampleRate);
            int n = current.length;
            current = Arrays.copyOf(current, n + pcm16.length);
            System.arraycopy(pcm16, 0, current, n, pcm16.length);
            if (!mark.isEmpty()) {
                sentences.add(current);
                current = new short[0];
                two.countDown();
            }
        }

        @Override
        public void clear() {
        }

        @Override
        public void hangUp(String reason) {
        }
    }

    private static ConversationEngine.Parts parts(Optional<PreparedGreeting> prepared) {
        UUID org = UUID.randomUUID();
        Agent agent = new Agent(UUID.randomUUID(), org, new AgentSpec("Clinic", "en-US", "", FIRST + " " + SECOND,
                "flite:slt", "", List.of()), 1, Instant.EPOCH, Instant.EPOCH);
        ConversationRecords records = new NoConversationRecords(agent, Map.of("first_name", "Ada")) {
            @Override
            public Optional<PreparedGreeting> preparedGreeting(Call call) {
                return prepared;
            }
        };
        FlowBrain flow = FlowBrain.create();
        return new ConversationEngine.Parts(SileroVad.load(), VOICES, c -> flow, records, new LlmTokens(TokenMeter.NONE));
    }

    private static Heard greet(Optional<PreparedGreeting> prepared, ConversationEngine[] engine) throws Exception {
        Heard heard = new Heard();
        ConversationEngine e = new ConversationEngine(parts(prepared), heard, 8000);
        engine[0] = e;
        e.onOpen(new Call(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), 1, Optional.empty(),
                Optional.empty(), Call.Direction.OUTBOUND, "+14155550100", "+12125550101", Call.State.ACTIVE, "",
                new AudioFormat(AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), 0, Optional.empty(),
                Instant.now(), Optional.empty()));
        assertTrue(heard.two.await(60, TimeUnit.SECONDS), "both sentences of the greeting played");
        e.onInput(new CallInput.End("test over"));
        return heard;
    }

    private static short[] tone(int samples, short level) {
        short[] s = new short[samples];
        Arrays.fill(s, level);
        return s;
    }

    /** Flite's speech of {@code sentence} (as long: Flite's samples vary from run to run). */
    private static void assertSynthesised(String sentence, short[] played, String why) {
        short[] expected = flite(sentence);
        assertTrue(Math.abs(played.length - expected.length) <= expected.length / 20,
                why + ": " + played.length + " samples played, Flite says it in " + expected.length);
        assertTrue(java.util.stream.IntStream.range(0, played.length).map(i -> played[i]).distinct().count() > 100,
                why + ": speech, not the prepared tone");
    }

    private static short[] flite(String sentence) {
        try (SpeechStream s = VOICES.resolve("flite:slt").synthesize(sentence, 8000)) {
            return s.readAll();
        }
    }

    @Test
    void thePreparedGreetingIsPlayedAsItWasSynthesisedWhileTheCallRang() throws Exception {
        // recognisable audio: what the engine plays can only have come from here
        short[] first = tone(4321, (short) 1111);
        short[] second = tone(2345, (short) 2222);
        var prepared = new PreparedGreeting("flite:slt", 8000, List.of(new PreparedGreeting.Sentence(FIRST, first),
                new PreparedGreeting.Sentence(SECOND, second)));
        ConversationEngine[] engine = new ConversationEngine[1];
        Heard heard = greet(Optional.of(prepared), engine);
        assertArrayEquals(first, heard.sentences.get(0));
        assertArrayEquals(second, heard.sentences.get(1));
        assertTrue(engine[0].greetingLatency().isPresent(), "the greeting's latency is measured");
    }

    @Test
    void withoutAPreparedGreetingTheEngineSynthesisesIt() throws Exception {
        Heard heard = greet(Optional.empty(), new ConversationEngine[1]);
        assertSynthesised(FIRST, heard.sentences.get(0), "the first sentence");
        assertSynthesised(SECOND, heard.sentences.get(1), "the second");
    }

    @Test
    void aGreetingPreparedForOtherWordsOrAnotherVoiceIsNotPlayed() throws Exception {
        var stale = new PreparedGreeting("flite:slt", 8000, List.of(new PreparedGreeting.Sentence(
                "Hello Bob, this is the clinic.", tone(800, (short) 1111))));
        Heard heard = greet(Optional.of(stale), new ConversationEngine[1]);
        assertSynthesised(FIRST, heard.sentences.get(0), "the agent's words, synthesised");

        var otherVoice = new PreparedGreeting("flite:rms", 8000, List.of(new PreparedGreeting.Sentence(FIRST,
                tone(800, (short) 1111))));
        heard = greet(Optional.of(otherVoice), new ConversationEngine[1]);
        assertSynthesised(FIRST, heard.sentences.get(0), "the agent's voice, synthesised");
    }
}
