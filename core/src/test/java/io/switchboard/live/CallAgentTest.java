package io.switchboard.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import io.switchboard.storage.ObjectStore;
import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.G711;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.LiveEvents;
import io.switchboard.calls.Origin;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.transcription.TranscriptEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plug the conversation engine fits: an agent attached to a live call hears the caller, speaks through
 * its voice (PlayAudio out, recorded on the agent channel as played), and the call is recognised in the
 * agent's language, with real speech and the real recogniser.
 */
class CallAgentTest {

    private static SpeechRecognizer recognizer;
    private Fixtures f;
    private CallService calls;
    private ObjectStore store;
    private LiveEvents events;
    private Fixtures.Tenant acme;

    @BeforeAll
    static void load() {
        recognizer = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"), 4,
                Duration.ofSeconds(60));
    }

    @AfterAll
    static void close() {
        recognizer.close();
    }

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        events = new LiveEvents(f.plane.database().dsl(), f.plane.contentSeal());
        acme = f.tenant("Acme", "growth");
    }

    private String agent(String language) {
        return f.plane.agents().create(acme.owner(), new AgentSpec("A", language, "", "", "", "", List.of())).id()
                .toString();
    }

    private LiveCalls live(CallAgents agents) {
        return LiveCalls.builder(calls, events).eventEncoding(t -> t.event().text().getBytes())
                .recognizer(Optional.of(recognizer)).languages(f.plane.agents()).agents(agents).build();
    }

    private static CallInput.Open open(String agent) {
        return new CallInput.Open(new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), Origin.CLIENT);
    }

    /** Plays a recording back once the caller is first heard, and remembers what it was told. */
    private static final class Greeter implements CallAgent {
        final short[] greeting;
        final List<CallInput> inputs = new CopyOnWriteArrayList<>();
        volatile AgentVoice voice;
        volatile int heard;

        Greeter(short[] greeting) {
            this.greeting = greeting;
        }

        @Override
        public void onCallerAudio(short[] pcm16, int sampleRate) {
            if (heard++ == 0) {
                voice.play(greeting, 16_000, "greeting");
            }
        }

        @Override
        public void onInput(CallInput input) {
            inputs.add(input);
            if (input instanceof CallInput.Mark m && m.name().equals("greeting")) {
                voice.said(new TranscriptEvent(true, "Hello there.", Duration.ZERO, Duration.ofSeconds(2), List.of()),
                        false);
                voice.said(new TranscriptEvent(true, "And one", Duration.ofSeconds(2), Duration.ofSeconds(3),
                        List.of()), true);
            }
        }
    }

    @Test
    void anAgentsPlayedAudioGoesOutAndIsRecordedOnTheAgentChannelBesideTheCaller() throws Exception {
        short[] greeting = SpeechAudio.librivox().get(1).samples(); // 16 kHz
        Greeter greeter = new Greeter(greeting);
        try (LiveCalls live = live((actor, spec, voice) -> {
            greeter.voice = voice;
            return Optional.of(greeter);
        })) {
            SessionProbe probe = new SessionProbe();
            CallSession s = live.open(acme.owner(), probe);
            s.accept(open(agent("en-US")));
            Call call = probe.accepted();
            assertEquals(2, call.format().channels(), "recorded in stereo: the agent beside the caller");
            byte[] caller = CallSessionTest.speech();
            CallSessionTest.stream(s, caller, 1);
            SessionProbe.caughtUp(s); // the agent's greeting is queued behind the first frame, as a carrier paces it
            CallSessionTest.stream(s, caller, 160, Integer.MAX_VALUE);
            s.accept(new CallInput.Mark("greeting"));
            s.accept(new CallInput.Dtmf("7"));
            s.accept(new CallInput.End("hangup"));
            assertEquals(Optional.empty(), probe.awaitClosed());

            CallOutput.PlayAudio played = probe.of(CallOutput.PlayAudio.class).getFirst();
            assertArrayEquals(greeting, played.pcm16());
            assertEquals(16_000, played.sampleRate());
            assertEquals("greeting", played.mark());
            assertEquals(List.of(new CallInput.Mark("greeting"), new CallInput.Dtmf("7"), new CallInput.End("hangup")),
                    greeter.inputs);
            List<CallOutput.Transcript> agentSaid = probe.of(CallOutput.Transcript.class).stream()
                    .filter(t -> t.channel() == 0).toList();
            assertEquals(List.of("agent:Hello there.:false", "agent:And one:true"), agentSaid.stream()
                    .map(t -> t.speaker() + ":" + t.event().text() + ":" + t.interrupted()).toList(),
                    "the agent's words as heard reach the transport as finals of its channel");

            byte[] stereo = CallSessionTest.recording(store, calls, SessionProbe.awaitEnded(calls, call));
            assertEquals(caller.length * 2, stereo.length);
            short[] at8k = SpeechAudio.resample(greeting, 16_000, 8_000);
            for (int i = 0; i < caller.length; i++) {
                assertEquals(caller[i], stereo[2 * i + 1], "caller channel, sample " + i);
                short agentSample = i < 160 || i - 160 >= at8k.length ? 0 : at8k[i - 160];
                assertEquals(G711.linearToUlaw(agentSample), stereo[2 * i], "agent channel, sample " + i);
            }
            List<TranscriptSegment> transcript = calls.transcript(call.organizationId(), call.id());
            assertTrue(transcript.stream().noneMatch(t -> t.speaker().equals("agent")),
                    "the agent's own channel is not recognised: the agent keeps the text it spoke");
            assertTrue(transcript.stream().anyMatch(t -> t.speaker().equals("customer") && !t.text().isBlank()),
                    "caller heard");
        }
    }

    /** An agent that speaks only when the test makes it, from the test's thread, as the engine's playout does. */
    private static final class Quiet implements CallAgent {
        final AgentVoice voice;
        final List<CallInput> inputs = new CopyOnWriteArrayList<>();

        Quiet(AgentVoice voice) {
            this.voice = voice;
        }

        @Override
        public void onCallerAudio(short[] pcm16, int sampleRate) {
        }

        @Override
        public void onInput(CallInput input) {
            inputs.add(input);
        }
    }

    /** A transport whose other party can close the socket: every send after that fails as a WebSocket's does. */
    private static final class Socket implements SessionListener {
        final SessionProbe probe = new SessionProbe();
        volatile boolean peerClosed;

        @Override
        public void on(CallOutput output) {
            if (peerClosed) {
                throw new UncheckedIOException(new ClosedChannelException());
            }
            probe.on(output);
        }

        @Override
        public void closed(Optional<RuntimeException> failure) {
            probe.closed(failure);
        }
    }

    @Test
    void anAgentEndingTheCallersUtteranceGetsItsFinalTextAtOnceAndLaterSpeechIsANewUtterance() throws Exception {
        List<Quiet> agents = new CopyOnWriteArrayList<>();
        try (LiveCalls live = live((actor, spec, voice) -> {
            Quiet q = new Quiet(voice);
            agents.add(q);
            return Optional.of(q);
        })) {
            SessionProbe probe = new SessionProbe();
            CallSession s = live.open(acme.owner(), probe);
            s.accept(open(agent("en-US")));
            Call call = probe.accepted();
            byte[] caller = CallSessionTest.speech();
            CallSessionTest.stream(s, caller, 100); // two seconds into a sentence that runs on
            SessionProbe.caughtUp(s);
            assertEquals(List.of(), callerFinals(probe), "the recogniser has not ended the utterance on its own");

            agents.getFirst().voice.endCallerUtterance();
            SessionProbe.caughtUp(s);
            List<String> ended = callerFinals(probe);
            assertEquals(1, ended.size(), ended.toString());
            assertFalse(ended.getFirst().isBlank(), "the words so far");

            CallSessionTest.stream(s, caller, 100 * 160, Integer.MAX_VALUE);
            s.accept(new CallInput.End("hangup"));
            assertEquals(Optional.empty(), probe.awaitClosed());
            assertTrue(callerFinals(probe).size() > 1, "the rest of the sentence is heard as more: " + callerFinals(probe));
            List<TranscriptSegment> transcript = calls.transcript(call.organizationId(), call.id());
            assertEquals(ended.getFirst(), transcript.getFirst().text(), "the ended utterance is the call's first segment");
        }
    }

    private static List<String> callerFinals(SessionProbe probe) {
        return probe.of(CallOutput.Transcript.class).stream().filter(t -> t.channel() == 1 && t.event().isFinal())
                .map(t -> t.event().text()).toList();
    }

    @Test
    void theCallerClosingTheStreamWhileTheAgentSpeaksHangsUpKeepsWhatArrivedAndFreesTheDecoder() throws Exception {
        List<Quiet> agents = new CopyOnWriteArrayList<>();
        short[] words = SpeechAudio.librivox().get(1).samples(); // 16 kHz
        byte[] caller = CallSessionTest.speech();
        try (SpeechRecognizer one = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"), 1,
                Duration.ofSeconds(60));
             LiveCalls live = LiveCalls.builder(calls, events).eventEncoding(t -> t.event().text().getBytes())
                     .recognizer(Optional.of(one)).languages(f.plane.agents()).agents((actor, spec, voice) -> {
                         Quiet q = new Quiet(voice);
                         agents.add(q);
                         return Optional.of(q);
                     }).build()) {
            String agent = agent("en-US");
            Socket first = new Socket();
            CallSession s = live.open(acme.owner(), first);
            s.accept(open(agent));
            Call call = first.probe.accepted();
            CallSessionTest.stream(s, caller, Integer.MAX_VALUE);
            SessionProbe.caughtUp(s);
            first.peerClosed = true; // the carrier hung up and closed the socket ...
            agents.getFirst().voice.play(words, 16_000, "reply"); // ... as the agent's next words go out
            SessionProbe.caughtUp(s);

            Call ended = SessionProbe.awaitEnded(calls, call);
            assertEquals(Call.State.ENDED, ended.state(), "the other party hung up; nothing failed here");
            assertEquals("hangup: the other party closed the stream", ended.endReason());
            assertEquals(0, live.count(), "the call is no longer held once its thread is done");
            assertInstanceOf(CallInput.End.class, agents.getFirst().inputs.getLast(), "the agent is told it ended");
            byte[] stereo = CallSessionTest.recording(store, calls, ended);
            assertEquals(caller.length * 2, stereo.length, "every byte that arrived is kept");
            for (int i = 0; i < caller.length; i++) {
                assertEquals(caller[i], stereo[2 * i + 1], "caller channel, sample " + i);
            }
            assertTrue(calls.transcript(call.organizationId(), call.id()).stream()
                    .anyMatch(t -> t.speaker().equals("customer") && !t.text().isBlank()), "transcript so far kept");

            // the pool's one decoder is free again: the next call is transcribed live, and its agent's goodbye
            // crossing the carrier's hang-up ends it as hung up too
            Socket second = new Socket();
            CallSession next = live.open(acme.owner(), second);
            next.accept(open(agent));
            Call nextCall = second.probe.accepted();
            CallSessionTest.stream(next, caller, Integer.MAX_VALUE);
            SessionProbe.caughtUp(next);
            assertFalse(second.probe.of(CallOutput.Transcript.class).isEmpty(), "recognised live: a decoder was free");
            Quiet nextAgent = agents.getLast();
            second.peerClosed = true;
            nextAgent.voice.play(words, 16_000, "goodbye");
            nextAgent.voice.hangUp("the agent said goodbye");
            SessionProbe.caughtUp(next);
            Call nextEnded = SessionProbe.awaitEnded(calls, nextCall);
            assertEquals(Call.State.ENDED, nextEnded.state());
            assertEquals("the agent said goodbye", nextEnded.endReason(), "hung up, not failed");
            assertTrue(calls.stages(nextCall.organizationId(), nextCall.id()).stream()
                    .anyMatch(st -> st.name().equals(CallService.TRANSCRIBE_STAGE) && st.state().equals("succeeded")));
            assertEquals(0, live.count());
        }
    }

    @Test
    void aListenOnlyCallIsRecordedAsSentAndRecognisedInItsAgentsLanguage() throws Exception {
        try (LiveCalls live = live(CallAgents.NONE)) {
            byte[] caller = CallSessionTest.speech();
            SessionProbe english = new SessionProbe();
            CallSession s = live.open(acme.owner(), english);
            s.accept(open(agent("en-US")));
            CallSessionTest.stream(s, caller, Integer.MAX_VALUE);
            s.accept(new CallInput.End(""));
            assertEquals(Optional.empty(), english.awaitClosed());
            Call call = english.accepted();
            assertEquals(1, call.format().channels());
            assertTrue(english.of(CallOutput.PlayAudio.class).isEmpty());
            assertFalse(english.of(CallOutput.Transcript.class).isEmpty());
            assertTrue(english.of(CallOutput.Transcript.class).stream().allMatch(t -> t.speaker().equals("unknown")));
            assertArrayEquals(caller, CallSessionTest.recording(store, calls, call));
            assertTrue(calls.stages(call.organizationId(), call.id()).stream()
                    .anyMatch(st -> st.name().equals(CallService.TRANSCRIBE_STAGE) && st.state().equals("succeeded")));

            // PocketSphinx has no French: the call goes on untranscribed, for the worker to try with its engine
            SessionProbe french = new SessionProbe();
            CallSession fr = live.open(acme.owner(), french);
            fr.accept(open(agent("fr-FR")));
            CallSessionTest.stream(fr, caller, Integer.MAX_VALUE);
            fr.accept(new CallInput.End(""));
            assertEquals(Optional.empty(), french.awaitClosed());
            Call frCall = french.accepted();
            assertTrue(french.of(CallOutput.Transcript.class).isEmpty(), "not recognised as English");
            assertInstanceOf(CallOutput.Ended.class, french.outputs.getLast());
            assertTrue(calls.stages(frCall.organizationId(), frCall.id()).stream()
                    .noneMatch(st -> st.name().equals(CallService.TRANSCRIBE_STAGE) && st.state().equals("succeeded")));
        }
    }
}
