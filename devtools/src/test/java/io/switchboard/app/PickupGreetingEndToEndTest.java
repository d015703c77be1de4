package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.ScriptedCaller;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.TranscriptEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The callee's "Hello?" as they pick up, said over the greeting an outbound agent starts the moment the call is
 * answered, through the whole dev stack over a real gRPC {@code StreamCall} (Silero, the turn detector, PocketSphinx,
 * the flow brain, Flite, the worker), as {@link ConversationEndToEndTest} holds calls: the agent stops, then says its
 * greeting again in full; the "Hello?" stays in the transcript as the caller's, but the brain never takes it for an
 * answer, so the flow's first question follows and every variable is captured from the real answers.
 */
class PickupGreetingEndToEndTest {

    private static final int RATE = 8000;

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static CallServiceGrpc.CallServiceBlockingStub calls;
    private static CallServiceGrpc.CallServiceStub async;
    private static AgentServiceGrpc.AgentServiceBlockingStub agents;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("calls.idle-timeout", "PT20S", "transcription.pool-size", "2"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        String key = TestStacks.organization(channel, stack.operatorKey(), "Pickups", "growth");
        calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        async = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));
        agents = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    /** The callee's "Hello?" in Flite's rms voice (PocketSphinx hears it as "hello" through μ-law). */
    private static short[] hello() {
        return Voices.installed().resolve("flite:rms").synthesize("Hello?", RATE).readAll();
    }

    /** espeak-ng saying {@code text} at 8 kHz: the answers {@link ConversationEndToEndTest} is heard right with. */
    private static short[] says(String text) throws Exception {
        return SpeechAudio.espeak8k(home, text);
    }

    @Test
    void aHelloOverTheGreetingIsNoAnswerAndTheAgentSaysTheWholeGreetingAfterIt() throws Exception {
        Agent.Builder agent = TestAgents.appointments("Pickup");
        String greeting = agent.getFirstMessage();
        String agentId = agents.createAgent(CreateAgentRequest.newBuilder().setAgent(agent).build()).getId();
        var caller = ScriptedCaller.open(async, TestCalls.agentSpeaks(agentId, "+14155550166"));
        caller.converse(List.of(ScriptedCaller.Answer.over(hello(), Duration.ofMillis(400)),
                ScriptedCaller.Answer.after(says("sure")), ScriptedCaller.Answer.after(says("three people"))),
                Duration.ofSeconds(90));

        assertTrue(caller.clears() >= 1, "the hello stopped the greeting's playout");
        Call ended = caller.ended().orElseThrow(() -> new AssertionError("no ended message"));
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        String turns = turns(done);
        List<TranscriptEvent> t = done.getTranscriptList();
        int hello = indexOf(t, e -> e.getSpeaker().equals("customer") && e.getText().toLowerCase().contains("hello"));
        assertTrue(hello >= 0, "the callee's hello is kept as theirs: " + turns);
        int again = indexOf(t, e -> e.getSpeaker().equals("agent") && e.getText().equals(greeting)
                && !e.getInterrupted());
        assertTrue(again >= 0, "the greeting was said in full: " + turns);
        assertTrue(start(t.get(again)) >= start(t.get(hello)), "after the hello: " + turns);
        int question = indexOf(t, e -> e.getSpeaker().equals("agent")
                && e.getText().equals("Can you come tomorrow morning?"));
        assertTrue(question > again, "then the flow's first question: " + turns);
        assertFalse(turns.contains("didn't catch"), "the brain never took the hello for an answer: " + turns);
        assertEquals("agent hung up: confirmed", ended.getEndReason(), turns);
        assertEquals(Map.of("coming", "true", "people", "3"), done.getSummary().getVariablesMap(),
                "captured from the real answers: " + turns);
    }

    @Test
    void onlyTheFirstHelloIsForgivenASecondOneOverTheAgentIsATurnLikeAnyOther() throws Exception {
        Agent.Builder agent = TestAgents.appointments("Twice");
        String greeting = agent.getFirstMessage();
        String agentId = agents.createAgent(CreateAgentRequest.newBuilder().setAgent(agent).build()).getId();
        var caller = ScriptedCaller.open(async, TestCalls.agentSpeaks(agentId, "+14155550166"));
        caller.converse(List.of(ScriptedCaller.Answer.over(hello(), Duration.ofMillis(400)),
                ScriptedCaller.Answer.over(hello(), Duration.ofMillis(800)), ScriptedCaller.Answer.after(says("sure")),
                ScriptedCaller.Answer.after(says("three people"))), Duration.ofSeconds(90));

        assertTrue(caller.clears() >= 2, "both hellos stopped the agent");
        Call ended = caller.ended().orElseThrow(() -> new AssertionError("no ended message"));
        Call done = TestCalls.awaitPipeline(calls, ended.getId(), Duration.ofSeconds(120));
        String turns = turns(done);
        List<TranscriptEvent> t = done.getTranscriptList();
        long cut = t.stream().filter(e -> e.getSpeaker().equals("agent") && e.getInterrupted()
                && greeting.startsWith(e.getText())).count();
        assertEquals(2, cut, "the greeting was cut twice, said again once: " + turns);
        assertTrue(turns.contains("didn't catch"), "the second hello reached the brain, which could not read it as "
                + "an answer to its question and asked again: " + turns);
    }

    private static long start(TranscriptEvent e) {
        return e.getStartOffset().getSeconds() * 1000 + e.getStartOffset().getNanos() / 1_000_000;
    }

    private static int indexOf(List<TranscriptEvent> t, java.util.function.Predicate<TranscriptEvent> p) {
        for (int i = 0; i < t.size(); i++) {
            if (p.test(t.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String turns(Call c) {
        return String.join(" | ", c.getTranscriptList().stream().map(t -> t.getSpeaker() + "@" + start(t) + ": "
                + t.getText() + (t.getInterrupted() ? " [cut]" : "")).toList());
    }
}
