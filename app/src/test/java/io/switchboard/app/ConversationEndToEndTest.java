package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.audio.G711;
import io.switchboard.audio.Wav;
import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Flow;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.Mark;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.Silence;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.v1.TranscriptEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents that talk, through the whole dev stack over a real gRPC {@code StreamCall}: Silero VAD and the turn
 * detector on the caller's audio, PocketSphinx recognising it live, the flow brain deciding, Flite speaking, and
 * the worker's pipeline afterwards. The caller is a script playing the agent's audio as a phone would (in real
 * time, echoing marks, dropping what a clear drops) and answering in espeak-ng's voice at 8 kHz once the agent has
 * been quiet for a moment, or over it.
 */
class ConversationEndToEndTest {

    private static final int RATE = 8000;
    private static final int FRAME = RATE / 50; // 20 ms

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static CallServiceGrpc.CallServiceBlockingStub calls;
    private static CallServiceGrpc.CallServiceStub async;
    private static AgentServiceGrpc.AgentServiceBlockingStub agents;
    private static PocketSphinxRecognizer recognizer;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("calls.idle-timeout", "PT20S", "transcription.pool-size", "4"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server.port()).usePlaintext().build();
        String key = TestStacks.organization(channel, stack.operatorKey, "Clinic", "growth");
        calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        async = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        recognizer = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"), 1,
                Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (recognizer != null) {
            recognizer.close();
        }
        TestStacks.stop(channel, stack);
    }

    /** Greeting, then "can you come?" (yes/no) and "how many people?" (a number), then goodbye and hang-up. */
    private static Agent.Builder appointmentAgent(String name) {
        return Agent.newBuilder().setName(name).setLanguage("en-US").setVoice("flite:slt")
                .setFirstMessage("Hello, this is the clinic calling about your appointment.")
                .addVariables(CaptureVariable.newBuilder().setName("coming").setType(CaptureVariable.Type.TYPE_BOOLEAN))
                .addVariables(CaptureVariable.newBuilder().setName("people").setType(CaptureVariable.Type.TYPE_NUMBER))
                .setFlow(Flow.newBuilder().setStartNode("coming")
                        .addNodes(FlowNode.newBuilder().setId("coming").setAsk(AskNode.newBuilder()
                                .setVariable("coming").setPrompt("Can you come tomorrow morning?").setNext("people")))
                        .addNodes(FlowNode.newBuilder().setId("people").setAsk(AskNode.newBuilder()
                                .setVariable("people").setPrompt("How many people will come?").setNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("bye").setEnd(EndNode.newBuilder()
                                .setText("Thank you, see you tomorrow. Goodbye.").setDisposition("confirmed"))));
    }

    private static String create(Agent.Builder agent) {
        return agents.createAgent(CreateAgentRequest.newBuilder().setAgent(agent).build()).getId();
    }

    private static OpenCall talking(String agentId) {
        return OpenCall.newBuilder().setAgentId(agentId).setDirection(OpenCall.Direction.DIRECTION_OUTBOUND)
                .setFromNumber("+14155550100").setToNumber("+14155550177").setAgentSpeaks(true)
                .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_MULAW).setSampleRate(RATE)
                        .setChannels(1)).build();
    }

    /** espeak-ng saying {@code text}, at 8 kHz. */
    private static short[] says(String text) throws Exception {
        return SpeechAudio.resample(SpeechAudio.pcm16(SpeechAudio.espeak(home, text, 16_000)), 16_000, RATE);
    }

    @Test
    void theAgentGreetsAsksCapturesBothAnswersAndHangsUpAfterItsGoodbye() throws Exception {
        String agentId = create(appointmentAgent("Appointments"));
        var caller = ScriptedCaller.open(talking(agentId));
        // words PocketSphinx makes out in espeak-ng's voice through a phone line ("yes" comes out as "yeah")
        caller.converse(List.of(Answer.after(says("sure")), Answer.after(says("three people"))), Duration.ofSeconds(90));

        Call ended = caller.ended();
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        assertEquals("agent hung up: confirmed", ended.getEndReason(), "the agent ended the call: " + turns(done));
        assertEquals(0, caller.clears(), "nobody interrupted");
        String heard = recognise(caller.heard());
        assertTrue(anyOf(heard, "hello", "clinic", "calling", "appointment"), "the greeting was heard: " + heard);
        assertTrue(anyOf(heard, "many", "people", "come"), "the second question was heard: " + heard);
        assertTrue(caller.marksEchoed() > 0);

        assertEquals(Map.of("coming", "true", "people", "3"), done.getSummary().getVariablesMap(),
                "captured by the flow during the call: " + done.getSummary());
        assertEquals("confirmed", done.getSummary().getDisposition());
        List<TranscriptEvent> agentTurns = done.getTranscriptList().stream()
                .filter(t -> t.getSpeaker().equals("agent")).toList();
        List<TranscriptEvent> callerTurns = done.getTranscriptList().stream()
                .filter(t -> t.getSpeaker().equals("customer")).toList();
        assertEquals("Hello, this is the clinic calling about your appointment.", agentTurns.getFirst().getText());
        assertTrue(agentTurns.stream().anyMatch(t -> t.getText().equals("Goodbye.")), "the goodbye is kept: " + agentTurns);
        assertTrue(callerTurns.size() >= 2, "the caller's answers are kept: " + callerTurns);

        // the recording's agent channel is the agent's audio as played, sample for sample (mu-law)
        byte[] wav = TestCalls.download(calls, ended.getId());
        Wav.Header h = Wav.parse(wav, wav.length).orElseThrow();
        assertEquals(2, h.format().channels());
        byte[] agentChannel = channel(wav, h.headerLength(), 0);
        short[] played = caller.heard();
        int first = firstSound(played);
        byte[] expected = new byte[RATE / 2];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = G711.linearToUlaw(played[first + i]);
        }
        int at = indexOf(agentChannel, expected);
        assertTrue(at >= 0, "the agent's first half second of speech is on channel 0 of the recording");
    }

    @Test
    void aCallerTalkingOverTheAgentClearsItsPlayoutAndTheTranscriptShowsTheCut() throws Exception {
        String agentId = create(appointmentAgent("Interrupted").setFirstMessage("Hello, this is the clinic calling "
                + "about your appointment with doctor Jones next Tuesday, and there are a few things I need to check "
                + "with you before then."));
        var caller = ScriptedCaller.open(talking(agentId));
        caller.converse(List.of(Answer.over(says("sorry who is calling please")), Answer.after(says("sure")),
                Answer.after(says("two people"))), Duration.ofSeconds(90));

        assertTrue(caller.clears() >= 1, "the agent's playout was cleared");
        Call ended = caller.ended();
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        TranscriptEvent greeting = done.getTranscriptList().stream().filter(t -> t.getSpeaker().equals("agent"))
                .findFirst().orElseThrow();
        assertTrue(greeting.getText().endsWith("—") && greeting.getText().length() < 60,
                "the greeting is kept as far as it was played, marked cut: " + greeting.getText());
    }

    @Test
    void aSilentCallerIsRepromptedThenTheAgentSaysGoodbyeAndHangsUp() throws Exception {
        String agentId = create(appointmentAgent("Silence").setSilence(Silence.newBuilder()
                .setRepromptAfter(com.google.protobuf.Duration.newBuilder().setSeconds(2)).setMaxReprompts(1)));
        var caller = ScriptedCaller.open(talking(agentId));
        caller.converse(List.of(), Duration.ofSeconds(60));

        Call ended = caller.ended();
        assertEquals("agent hung up: no_response", ended.getEndReason());
        String heard = recognise(caller.heard());
        assertTrue(anyOf(heard, "still", "there"), "the reprompt was heard: " + heard);
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        assertEquals("no_response", done.getSummary().getDisposition());
    }

    @Test
    void anAgentSpeaksOnlyOnAMonoCall() {
        var stereo = talking(create(appointmentAgent("Stereo"))).toBuilder()
                .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_MULAW).setSampleRate(RATE)
                        .setChannels(2)).build();
        var caller = ScriptedCaller.start();
        caller.send(StreamCallRequest.newBuilder().setOpen(stereo).build());
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                caller::awaitAccepted);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("open.format.channels"), e.getStatus().getDescription());
    }

    /** What PocketSphinx hears in 8 kHz agent audio (narrowband decoding, fed at its own rate). */
    private static String recognise(short[] audio) {
        short[] wide = SpeechAudio.resample(audio, RATE, 16_000);
        return SpeechAudio.transcribe(recognizer, wide, 320, RATE).finalText().toLowerCase(Locale.ROOT);
    }

    private static boolean anyOf(String heard, String... words) {
        List<String> said = List.of(heard.split("\\s+"));
        return java.util.Arrays.stream(words).anyMatch(said::contains);
    }

    private static String turns(Call c) {
        return String.join(" | ", c.getTranscriptList().stream().map(t -> t.getSpeaker() + ": " + t.getText()).toList());
    }

    private static byte[] channel(byte[] wav, int from, int channel) {
        byte[] out = new byte[(wav.length - from) / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = wav[from + 2 * i + channel];
        }
        return out;
    }

    private static int firstSound(short[] s) {
        for (int i = 0; i < s.length; i++) {
            if (Math.abs(s[i]) > 500) {
                return i;
            }
        }
        throw new AssertionError("the agent played only silence");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** One line of the caller's script: said once the agent has been quiet for a moment, or over it. */
    record Answer(short[] audio, boolean overAgent) {
        static Answer after(short[] audio) {
            return new Answer(audio, false);
        }

        static Answer over(short[] audio) {
            return new Answer(audio, true);
        }
    }

    /**
     * A person on a {@code StreamCall}: plays the agent's audio in real time (its clock is the 20 ms frames it
     * sends), echoes each chunk's mark once that chunk has played, drops what it has not played on a clear, and
     * speaks its script.
     */
    static final class ScriptedCaller {
        private static final int QUIET_BEFORE_ANSWER = 700 / 20; // frames of agent silence before answering
        private static final int OVER_AFTER = 1000 / 20; // frames of agent speech before talking over it

        private final List<StreamCallResponse> responses = new CopyOnWriteArrayList<>();
        private final ConcurrentLinkedQueue<StreamCallResponse> inbox = new ConcurrentLinkedQueue<>();
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final CompletableFuture<Call> accepted = new CompletableFuture<>();
        private StreamObserver<StreamCallRequest> requests;
        private final Deque<short[]> playing = new ArrayDeque<>();
        private final Deque<String> marks = new ArrayDeque<>();
        private int headOffset;
        private short[] heard = new short[0];
        private int heardLength;
        private int clears;
        private int marksEchoed;

        static ScriptedCaller start() {
            ScriptedCaller c = new ScriptedCaller();
            c.requests = async.streamCall(new StreamObserver<>() {
                @Override
                public void onNext(StreamCallResponse r) {
                    c.responses.add(r);
                    c.inbox.add(r);
                    if (r.hasAccepted()) {
                        c.accepted.complete(r.getAccepted());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    c.accepted.completeExceptionally(t);
                    c.closed.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    c.closed.complete(null);
                }
            });
            return c;
        }

        static ScriptedCaller open(OpenCall open) throws Exception {
            ScriptedCaller c = start();
            c.send(StreamCallRequest.newBuilder().setOpen(open).build());
            c.awaitAccepted();
            return c;
        }

        Call awaitAccepted() throws Exception {
            try {
                return accepted.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof StatusRuntimeException s ? s : e;
            }
        }

        synchronized void send(StreamCallRequest r) {
            requests.onNext(r);
        }

        /** Talks in real time until the agent hangs up (or {@code max} passes, then hangs up itself). */
        void converse(List<Answer> script, Duration max) throws Exception {
            long start = System.nanoTime();
            int next = 0;
            short[] speaking = null;
            int at = 0;
            int quiet = 0;
            int agentFrames = 0;
            boolean heardSinceAnswer = false;
            for (long tick = 0; !closed.isDone() && tick * 20 < max.toMillis(); tick++) {
                for (StreamCallResponse r; (r = inbox.poll()) != null; ) {
                    if (r.hasPlayAudio()) {
                        short[] pcm = samples(r.getPlayAudio().getPcm16());
                        assertEquals(RATE, r.getPlayAudio().getSampleRate(), "an 8 kHz call gets 8 kHz agent audio");
                        playing.addLast(pcm);
                        marks.addLast(r.getPlayAudio().getMark());
                    } else if (r.hasClear()) {
                        clears++;
                        playing.clear();
                        marks.clear();
                        headOffset = 0;
                    }
                }
                if (play(FRAME)) {
                    heardSinceAnswer = true;
                    quiet = 0;
                    agentFrames++;
                } else {
                    quiet++;
                    agentFrames = 0;
                }
                if (speaking == null && next < script.size()) {
                    Answer a = script.get(next);
                    if (a.overAgent() ? agentFrames >= OVER_AFTER : heardSinceAnswer && quiet >= QUIET_BEFORE_ANSWER) {
                        speaking = a.audio();
                        at = 0;
                        next++;
                        heardSinceAnswer = false;
                    }
                }
                short[] frame = new short[FRAME];
                if (speaking != null) {
                    int n = Math.min(FRAME, speaking.length - at);
                    System.arraycopy(speaking, at, frame, 0, n);
                    at += n;
                    if (at >= speaking.length) {
                        speaking = null;
                    }
                }
                byte[] mulaw = new byte[FRAME];
                for (int i = 0; i < FRAME; i++) {
                    mulaw[i] = G711.linearToUlaw(frame[i]);
                }
                send(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(mulaw)).build());
                long due = start + (tick + 1) * 20_000_000L;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            if (!closed.isDone()) {
                send(StreamCallRequest.newBuilder().setEnd(io.switchboard.v1.EndCall.getDefaultInstance()).build());
            }
            requests.onCompleted();
            closed.get(60, TimeUnit.SECONDS);
        }

        /** Plays {@code n} samples of agent audio, if any is queued; echoes the marks of chunks played out. */
        private boolean play(int n) {
            boolean any = false;
            int left = n;
            while (left > 0 && !playing.isEmpty()) {
                short[] head = playing.peekFirst();
                int k = Math.min(left, head.length - headOffset);
                append(head, headOffset, k);
                headOffset += k;
                left -= k;
                any = true;
                if (headOffset == head.length) {
                    playing.removeFirst();
                    headOffset = 0;
                    String mark = marks.removeFirst();
                    if (!mark.isEmpty()) {
                        marksEchoed++;
                        send(StreamCallRequest.newBuilder().setMark(Mark.newBuilder().setName(mark)).build());
                    }
                }
            }
            return any;
        }

        private void append(short[] s, int from, int n) {
            if (heardLength + n > heard.length) {
                heard = Arrays.copyOf(heard, Math.max(heardLength + n, heard.length * 2));
            }
            System.arraycopy(s, from, heard, heardLength, n);
            heardLength += n;
        }

        short[] heard() {
            return Arrays.copyOf(heard, heardLength);
        }

        int clears() {
            return clears;
        }

        int marksEchoed() {
            return marksEchoed;
        }

        Call ended() {
            List<Call> ends = new ArrayList<>();
            responses.stream().filter(StreamCallResponse::hasEnded).forEach(r -> ends.add(r.getEnded()));
            assertEquals(1, ends.size(), "one ended message: " + responses.size() + " responses");
            return ends.getFirst();
        }

        private static short[] samples(ByteString pcm) {
            byte[] b = pcm.toByteArray();
            short[] s = new short[b.length / 2];
            for (int i = 0; i < s.length; i++) {
                s[i] = (short) ((b[2 * i] & 0xff) | (b[2 * i + 1] << 8));
            }
            return s;
        }
    }
}
