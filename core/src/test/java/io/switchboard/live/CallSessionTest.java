package io.switchboard.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.switchboard.storage.ObjectStore;
import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.G711;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.LiveEvents;
import io.switchboard.calls.Origin;
import io.switchboard.common.SwitchboardException;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.TestObjectStore;
import io.switchboard.transcription.SpeechAudio;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live call's state machine, idle timeout and backlog bound, over the real database and object store and
 * real speech, with no server: a test is the transport.
 */
class CallSessionTest {

    private Fixtures f;
    private CallService calls;
    private ObjectStore store;
    private LiveEvents events;
    private Fixtures.Tenant acme;
    private String agent;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private LiveCalls live;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh();
        store = TestObjectStore.freshBucket();
        calls = f.calls(store);
        events = new LiveEvents(f.plane.database().dsl(), f.plane.contentSeal());
        acme = f.tenant("Acme", "growth");
        agent = f.plane.agents().create(acme.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                .toString();
        live = sessions().build();
    }

    @AfterEach
    void tearDown() {
        live.close();
    }

    private LiveCalls.Builder sessions() {
        return LiveCalls.builder(calls, events).eventEncoding(t -> t.event().text().getBytes())
                .languages(f.plane.agents()).manualTime(now::get);
    }

    private CallInput.Open open() {
        return new CallInput.Open(new CallSpec(agent, "", "", Call.Direction.INBOUND, "+14155550123", "+14155550100",
                AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW), Origin.CLIENT);
    }

    /** Real speech as a phone line carries it: 8 kHz μ-law. */
    static byte[] speech() throws Exception {
        short[] wide = SpeechAudio.librivox().getFirst().samples();
        short[] narrow = SpeechAudio.resample(wide, 16_000, 8_000);
        byte[] mulaw = new byte[narrow.length];
        for (int i = 0; i < narrow.length; i++) {
            mulaw[i] = G711.linearToUlaw(narrow[i]);
        }
        return mulaw;
    }

    /** 20 ms frames, as a carrier sends them. */
    static void stream(CallSession s, byte[] audio, int frames) {
        stream(s, audio, 0, frames);
    }

    /** {@code frames} 20 ms frames of {@code audio} from byte {@code from}. */
    static void stream(CallSession s, byte[] audio, int from, int frames) {
        for (int i = 0, at = from; i < frames && at < audio.length; i++, at += 160) {
            s.accept(new CallInput.Audio(java.util.Arrays.copyOfRange(audio, at, Math.min(audio.length, at + 160))));
        }
    }

    static byte[] recording(ObjectStore store, CallService calls, Call c) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int n = 0; n < calls.segments(c.organizationId(), c.id()); n++) {
            try (InputStream in = new RecordingStore(store).open(RecordingStore.segmentKey(c.organizationId(), c.id(), n))) {
                in.transferTo(all);
            }
        }
        return all.toByteArray();
    }

    @Test
    void openAudioEndStoresTheAudioEndsTheCallAndSaysSoLast() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        byte[] audio = speech();
        s.accept(open());
        stream(s, audio, Integer.MAX_VALUE);
        s.accept(new CallInput.End(""));

        assertEquals(Optional.empty(), probe.awaitClosed());
        Call accepted = probe.accepted();
        assertInstanceOf(CallOutput.Accepted.class, probe.outputs.getFirst());
        CallOutput.Ended ended = assertInstanceOf(CallOutput.Ended.class, probe.outputs.getLast());
        assertEquals(Call.State.ENDED, ended.call().state());
        assertEquals("hangup", ended.call().endReason());
        assertEquals(accepted.id(), ended.call().id());
        assertArrayEquals(audio, recording(store, calls, accepted), "every byte, in order, in segments");
        assertTrue(calls.segments(accepted.organizationId(), accepted.id()) > 1, "stored as it came, not at the end");
        assertEquals(0, live.count());
        assertFalse(live.hangUp(accepted.id(), "gone"), "an ended call is no longer held");
    }

    @Test
    void audioBeforeOpenIsRefusedNamingTheOpenAndOpensNothing() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(new CallInput.Audio(new byte[160]));
        s.accept(open()); // too late: the stream was refused

        var refused = assertInstanceOf(SwitchboardException.InvalidArgument.class, probe.awaitFailure());
        assertEquals("open", refused.violations().getFirst().field());
        assertTrue(probe.outputs.isEmpty(), String.valueOf(probe.outputs));
        assertEquals(0, live.count());
    }

    @Test
    void aSecondOpenIsRefusedAndTheCallFailsWithTheAudioBeforeItKept() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        byte[] audio = speech();
        s.accept(open());
        stream(s, audio, 50);
        s.accept(open());
        stream(s, audio, 50); // after the refusal: not handled

        var refused = assertInstanceOf(SwitchboardException.InvalidArgument.class, probe.awaitFailure());
        assertTrue(refused.getMessage().contains("already open"), refused.getMessage());
        Call ended = SessionProbe.awaitEnded(calls, probe.accepted());
        assertEquals(Call.State.FAILED, ended.state());
        assertTrue(ended.endReason().startsWith("stream error: ") && ended.endReason().contains("already open"),
                ended.endReason());
        assertArrayEquals(java.util.Arrays.copyOf(audio, 50 * 160), recording(store, calls, ended));
    }

    @Test
    void aSecondEndAndInputAfterTheEndAreIgnored() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        stream(s, speech(), 10);
        s.accept(new CallInput.End("transfer"));
        s.accept(new CallInput.End("again"));
        s.accept(new CallInput.Audio(new byte[160]));
        s.accept(new CallInput.Dtmf("1"));
        s.inputEnded();

        assertEquals(Optional.empty(), probe.awaitClosed());
        Call ended = SessionProbe.awaitEnded(calls, probe.accepted());
        assertEquals("transfer", ended.endReason());
        assertEquals(Call.State.ENDED, ended.state());
        assertEquals(10 * 160, ended.audioBytes());
        assertEquals(1, probe.of(CallOutput.Ended.class).size());
        assertEquals(1, probe.closes.get());
    }

    @Test
    void aStreamThatClosesWithoutEndEndsTheCallAndOneThatNeverOpenedIsRefused() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        stream(s, speech(), 10);
        s.inputEnded();
        assertEquals(Optional.empty(), probe.awaitClosed());
        assertEquals("stream closed", SessionProbe.awaitEnded(calls, probe.accepted()).endReason());

        SessionProbe empty = new SessionProbe();
        live.open(acme.owner(), empty).inputEnded();
        var refused = assertInstanceOf(SwitchboardException.InvalidArgument.class, empty.awaitFailure());
        assertTrue(refused.getMessage().contains("closed before opening"), refused.getMessage());
    }

    @Test
    void aTransportThatGoesAwayFailsTheCallWithItsReasonAndHearsNothingMore() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        Call call = probe.accepted();
        stream(s, speech(), 10);
        s.transportFailed("media stream refused: start: sent twice");

        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.FAILED, ended.state());
        assertEquals("media stream refused: start: sent twice", ended.endReason());
        assertEquals(10 * 160, ended.audioBytes(), "the audio before is kept");
        assertFalse(probe.closed.isDone(), "the transport that went away is not written to");
    }

    @Test
    void anIdleCallIsEndedWithItsAudioKeptButNotWhileMessagesCome() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        Call call = probe.accepted();
        stream(s, speech(), 10);
        SessionProbe.caughtUp(s);
        now.addAndGet(LiveCalls.DEFAULT_IDLE_TIMEOUT.toNanos() - 1);
        s.checkIdle(); // not yet
        SessionProbe.caughtUp(s);
        stream(s, speech(), 5); // a message restarts the wait
        SessionProbe.caughtUp(s);
        now.addAndGet(LiveCalls.DEFAULT_IDLE_TIMEOUT.toNanos() - 1);
        s.checkIdle();
        s.accept(new CallInput.Dtmf("5"));
        SessionProbe.caughtUp(s);
        assertFalse(probe.closed.isDone(), "not idle while messages come");
        now.addAndGet(LiveCalls.DEFAULT_IDLE_TIMEOUT.toNanos());
        s.checkIdle();

        var idle = assertInstanceOf(CallSession.IdleTimeout.class, probe.awaitFailure());
        assertTrue(idle.getMessage().contains("no message for 30 s"), idle.getMessage());
        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.FAILED, ended.state());
        assertTrue(ended.endReason().startsWith("idle timeout: "), ended.endReason());
        assertEquals(15 * 160, ended.audioBytes());
        assertTrue(probe.of(CallOutput.Ended.class).isEmpty());
    }

    @Test
    void audioBeyondTheBacklogIsRefusedAtOnceAndTheAudioQueuedBeforeIsKept() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(1);
        // an agent that holds the call's thread on the first audio, as a slow decoder would
        CallAgent slow = new CallAgent() {
            @Override
            public void onCallerAudio(short[] pcm16, int sampleRate) {
                busy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onInput(CallInput input) {
            }
        };
        live.close();
        live = sessions().maxBacklog(10 * 160).agents((actor, spec, voice) -> Optional.of(slow)).build();
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        Call call = probe.accepted();
        byte[] audio = speech();
        stream(s, audio, 1);
        assertTrue(busy.await(60, TimeUnit.SECONDS));
        stream(s, audio, 160, 11); // ten fit, the eleventh does not

        var refused = assertInstanceOf(SwitchboardException.ResourceExhausted.class, probe.awaitFailure());
        assertEquals("calls:backlog", refused.subject());
        assertEquals(10 * 160, s.backlog(), "refused while the ten before it still wait");
        release.countDown();
        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.FAILED, ended.state());
        assertTrue(ended.endReason().startsWith("refused: the stream ran ahead"), ended.endReason());
        assertEquals(11 * 160, ended.audioBytes() / 2, "the eleven frames handled, in stereo beside the agent");
        assertEquals(11 * 160, live.audioBytesReceived(), "received counts what is kept, not the refused frame");
    }

    @Test
    void anErrorOnTheCallsThreadEndsTheCallFailedAndTheNextCallStillOpens() throws Exception {
        // the first call's agent breaks in its native part, as a recogniser's UnsatisfiedLinkError would
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        CallAgent broken = new CallAgent() {
            @Override
            public void onCallerAudio(short[] pcm16, int sampleRate) {
                if (first.getAndSet(false)) {
                    throw new UnsatisfiedLinkError("libpocketsphinx.so.3: cannot open shared object file");
                }
            }

            @Override
            public void onInput(CallInput input) {
            }
        };
        live.close();
        live = sessions().agents((actor, spec, voice) -> Optional.of(broken)).build();
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        Call call = probe.accepted();
        stream(s, speech(), 3);

        RuntimeException told = probe.awaitFailure();
        assertFalse(told.getMessage().contains("libpocketsphinx"), "the other party is not told the server's insides");
        Call ended = SessionProbe.awaitEnded(calls, call);
        assertEquals(Call.State.FAILED, ended.state());
        assertTrue(ended.endReason().contains("failed inside the server"), ended.endReason());
        assertEquals(0, live.count(), "the call's hold is let go of, not kept until the sweeper");

        SessionProbe next = new SessionProbe();
        CallSession again = live.open(acme.owner(), next);
        again.accept(open());
        Call second = next.accepted();
        stream(again, speech(), 3);
        again.accept(new CallInput.End(""));
        assertEquals(Call.State.ENDED, SessionProbe.awaitEnded(calls, second).state(), "the same registry goes on");
    }

    @Test
    void aHangUpByIdEndsTheCallAndADrainingServerOpensNoMore() throws Exception {
        SessionProbe probe = new SessionProbe();
        CallSession s = live.open(acme.owner(), probe);
        s.accept(open());
        Call call = probe.accepted();
        stream(s, speech(), 10);
        assertEquals(1, live.count());

        assertEquals(0, live.endLiveCalls(SessionProbe.WAIT));
        assertEquals("hung up: the server is shutting down", calls.find(call.organizationId(), call.id())
                .orElseThrow().endReason(), "its row is ended by the time endLiveCalls returns, not just after");
        assertEquals(Optional.empty(), probe.awaitClosed());

        SessionProbe late = new SessionProbe();
        live.open(acme.owner(), late).accept(open());
        var refused = assertInstanceOf(SwitchboardException.Unavailable.class, late.awaitFailure());
        assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
        assertFalse(live.hangUp(java.util.UUID.randomUUID(), "no such call"));
    }

    @Test
    void anOpenTheCallServiceRefusesReachesTheTransportNamingTheField() throws Exception {
        SessionProbe probe = new SessionProbe();
        live.open(acme.owner(), probe).accept(new CallInput.Open(new CallSpec("not-a-uuid", "", "",
                Call.Direction.INBOUND, "", "", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW),
                Origin.CLIENT));
        var refused = assertInstanceOf(SwitchboardException.InvalidArgument.class, probe.awaitFailure());
        assertEquals("agent_id", refused.violations().getFirst().field(),
                "core names the call's own field; the gRPC adapter says open.agent_id");
    }
}
