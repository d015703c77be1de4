package io.switchboard.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.websocket.WsRouting;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.switchboard.audio.G711;
import io.switchboard.live.CallOutput;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.twilio.MediaMessage;
import io.switchboard.telephony.twilio.MediaStreamCodec;
import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.transcription.SpeechRecognizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The softphone's carrier side through a real WebSocket, against a small media endpoint playing the server: marks
 * come back only after the audio before them has played, {@code clear} returns pending marks at once and cuts the
 * agent channel, and a scripted persona waits for the agent's turn to end before it answers, in a voice
 * PocketSphinx understands. Assertions are on order and on frame counts (the carrier sends one 20 ms frame per
 * 20 ms it plays), never on wall-clock time.
 */
class SoftphoneMediaTest {

    private static final String TO = "+12125550188";
    private static final String ANSWER = "Please call me back tomorrow morning about the insurance quote.";
    private static Softphone phone;
    private static WebServer endpoint;
    private static volatile BiConsumer<Stream, MediaMessage> agent;

    /** One stream as the test endpoint sees it. */
    static final class Stream {
        final WsSession session;
        MediaStreamCodec codec;
        String callSid;
        int framesReceived;
        final List<String> log = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> stopped = new CompletableFuture<>();

        Stream(WsSession session) {
            this.session = session;
        }

        void play(int millis, String mark) {
            short[] tone = new short[millis * 8];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (short) (6000 * Math.sin(2 * Math.PI * 440 * i / 8000.0));
            }
            codec.output(new CallOutput.PlayAudio(tone, 8000, mark)).forEach(t -> session.send(t, true));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        phone = Softphone.start("AC0123", "secret-token", Path.of(DevStack.DEFAULT_SPEECH), 0);
        endpoint = WebServer.builder().port(0).host("127.0.0.1")
                .addRouting(WsRouting.builder().endpoint("/media", () -> new WsListener() {
                    private Stream stream;

                    @Override
                    public void onOpen(WsSession session) {
                        stream = new Stream(session);
                    }

                    @Override
                    public void onMessage(WsSession session, String text, boolean last) {
                        try {
                            MediaMessage m = MediaMessage.parse(text);
                            if (m instanceof MediaMessage.Start s) {
                                stream.codec = new MediaStreamCodec(s.streamSid());
                            } else if (m instanceof MediaMessage.Media) {
                                stream.framesReceived++;
                            } else if (m instanceof MediaMessage.Mark mark) {
                                stream.log.add("mark " + mark.name() + " after " + stream.framesReceived);
                            } else if (m instanceof MediaMessage.Stop) {
                                stream.stopped.complete(null);
                            }
                            agent.accept(stream, m);
                        } catch (MediaMessage.Malformed e) {
                            throw new IllegalStateException(e);
                        }
                    }
                })).build().start();
    }

    @AfterAll
    static void stop() {
        phone.close();
        if (endpoint != null) {
            endpoint.stop();
        }
    }

    /** Places a call to {@code to} through the softphone's REST API, streaming to the test endpoint. */
    private static String call(String to) throws Exception {
        String twiml = "<Response><Connect><Stream url=\"ws://127.0.0.1:" + endpoint.port() + "/media\">"
                + "<Parameter name=\"attempt_id\" value=\"t\"/></Stream></Connect></Response>";
        String form = FormEncoding.encode(java.util.Map.of("To", List.of(to), "From", List.of("+14155550100"),
                "Twiml", List.of(twiml)));
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(phone.apiUrl() + "/2010-04-01/Accounts/AC0123/Calls.json"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("AC0123:secret-token"
                        .getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        JsonNode body = MediaMessage.JSON.readTree(r.body());
        return body.path("sid").asText();
    }

    private static void awaitEnd(String sid) throws InterruptedException {
        for (int i = 0; i < 6000 && phone.history().stream().anyMatch(p -> p.sid().equals(sid) && p.outcome().isEmpty()); i++) {
            Thread.sleep(10);
        }
    }

    @Test
    void aMarkComesBackOnlyOnceTheAudioBeforeItHasPlayed() throws Exception {
        List<Stream> streams = new CopyOnWriteArrayList<>();
        phone.script(TO, phone.answer(Persona.talking().voice(Persona.DEFAULT_VOICE)));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                streams.add(s);
                s.play(0, "empty");  // nothing queued: at once
                s.play(1000, "one-second");
            }
            if (m instanceof MediaMessage.Mark mark && mark.name().equals("one-second")) {
                s.session.close(1000, "done");
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        List<String> log = streams.getFirst().log;
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("mark empty after "), log.toString());
        int after = Integer.parseInt(log.get(1).replace("mark one-second after ", ""));
        // a second of agent audio takes 50 of the carrier's 20 ms ticks; the 50th tick echoes the mark before it
        // sends its own frame, so at least 49 of the carrier's frames come before the mark (49 when the audio
        // arrived before the first tick, as on a loaded machine)
        assertTrue(after >= 49, "a second of agent audio is 50 ticks of the carrier's own; the mark came after " + after
                + " frames");
        Softphone.Conversation c = phone.conversation(sid).orElseThrow();
        assertEquals(8000, c.agentHeard().length, "the agent channel as heard: the whole second");
        assertTrue(c.events().indexOf("agent speaks") < c.events().indexOf("mark one-second played"), c.events().toString());
    }

    @Test
    void clearDropsTheQueuedAudioAndReturnsPendingMarksAtOnce() throws Exception {
        List<Stream> streams = new CopyOnWriteArrayList<>();
        phone.script(TO, phone.answer(Persona.talking()));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                streams.add(s);
                s.play(10_000, "ten-seconds");
                s.play(1000, "after-that");
            }
            if (m instanceof MediaMessage.Media && s.framesReceived == 25) {
                s.codec.output(new CallOutput.ClearAudio()).forEach(t -> s.session.send(t, true));
            }
            if (m instanceof MediaMessage.Mark mark && mark.name().equals("after-that")) {
                s.session.close(1000, "done");
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        List<String> log = streams.getFirst().log;
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("mark ten-seconds after "), "pending marks return in order: " + log);
        int after = Integer.parseInt(log.get(0).replace("mark ten-seconds after ", ""));
        assertTrue(after < 500, "returned at the clear, not after ten seconds of audio: " + after);
        Softphone.Conversation c = phone.conversation(sid).orElseThrow();
        assertTrue(c.agentHeard().length < 80_000, "the agent channel is cut at the clear: " + c.agentHeard().length);
        assertTrue(c.events().indexOf("agent cleared") < c.events().indexOf("mark ten-seconds played"), c.events().toString());
    }

    @Test
    void thePersonaAnswersOnlyOnceTheAgentHasFinishedAndIsUnderstood() throws Exception {
        List<Stream> streams = new CopyOnWriteArrayList<>();
        phone.script(TO, phone.answer(Persona.talking("Hello?", ANSWER)));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                streams.add(s);
                s.play(2000, "question");
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        Softphone.Conversation c = phone.conversation(sid).orElseThrow();
        List<String> e = c.events();
        int answer = e.indexOf("callee says: " + ANSWER);
        assertTrue(answer > e.indexOf("mark question played") && e.indexOf("mark question played") >= 0, e.toString());
        assertTrue(answer > e.indexOf("agent stops"), e.toString());
        assertTrue(streams.getFirst().stopped.isDone(), "the callee hung up with a stop");

        short[] said = new short[c.calleeSaid().length];
        for (int i = 0; i < said.length; i++) {
            said[i] = G711.ulawToLinear(c.calleeSaid()[i]);
        }
        try (SpeechRecognizer r = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"), 1,
                Duration.ofSeconds(60))) {
            String heard = SpeechAudio.transcribe(r, SpeechAudio.resample(said, 8000, 16_000), 320, 8000)
                    .finalText();
            assertTrue(heard.contains("call me back") || heard.contains("tomorrow morning"), "PocketSphinx heard: " + heard);
        }
    }

    @Test
    void aBargingPersonaTalksOverTheAgent() throws Exception {
        phone.script(TO, phone.answer(Persona.talking("Sorry, who is this?").bargingInAfter(Duration.ofMillis(500))));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                s.play(5000, "long");
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        List<String> e = phone.conversation(sid).orElseThrow().events();
        int barge = e.indexOf("callee barges in");
        assertTrue(e.indexOf("agent speaks") < barge && barge < e.indexOf("callee says: Sorry, who is this?"), e.toString());
        assertTrue(e.indexOf("callee says: Sorry, who is this?") < e.indexOf("mark long played"),
                "the callee spoke before the agent had finished: " + e);
    }

    @Test
    void anEchoingLineReturnsTheAgentTwentyDecibelsDown() throws Exception {
        phone.script(TO, phone.answer(Persona.silent().echoing()));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                s.play(1000, "tone");
            }
            if (m instanceof MediaMessage.Mark) {
                s.session.close(1000, "done");
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        int loudest = 0;
        for (byte b : phone.conversation(sid).orElseThrow().calleeSaid()) {
            loudest = Math.max(loudest, Math.abs(G711.ulawToLinear(b)));
        }
        assertTrue(loudest > 400 && loudest < 1000, "a 6000 tone echoed at -20 dB peaks near 600, got " + loudest);
    }

    @Test
    void anAnsweringMachineGreetsBeepsAndRecords() throws Exception {
        phone.script(TO, phone.answer(Persona.machine("Please leave a message after the tone.")));
        int[] recordingFrom = {-1};
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start start) {
                s.callSid = start.callSid();
            }
            if (m instanceof MediaMessage.Media && recordingFrom[0] < 0 && s.framesReceived % 5 == 0
                    && phone.conversation(s.callSid).map(c -> c.events().contains("machine records")).orElse(false)) {
                recordingFrom[0] = s.framesReceived;
            }
            if (m instanceof MediaMessage.Media && recordingFrom[0] >= 0 && s.framesReceived == recordingFrom[0] + 50) {
                s.session.close(1000, "done"); // hang up a second after the 400 ms beep began
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        Softphone.Conversation c = phone.conversation(sid).orElseThrow();
        List<String> e = c.events();
        assertTrue(e.indexOf("callee says: Please leave a message after the tone.") < e.indexOf("machine beeps")
                && e.indexOf("machine beeps") < e.indexOf("machine records"), e.toString());
        short[] said = new short[c.calleeSaid().length];
        for (int i = 0; i < said.length; i++) {
            said[i] = G711.ulawToLinear(c.calleeSaid()[i]);
        }
        double best = 0;
        for (int off = 0; off + 3200 <= said.length; off += 160) {
            best = Math.max(best, tonePower(said, off, 3200, 1000) / tonePower(said, off, 3200, 700));
        }
        assertTrue(best > 100, "a 1 kHz beep stands far above its neighbourhood: " + best);
    }

    @Test
    void aPersonaHangsUpMidSentence() throws Exception {
        String line = "I have to go now, my other line is ringing and I really cannot talk any longer today.";
        List<Stream> streams = new CopyOnWriteArrayList<>();
        phone.script(TO, phone.answer(Persona.talking(line).hangingUpMidSentence()));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                streams.add(s);
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        Softphone.Conversation c = phone.conversation(sid).orElseThrow();
        assertTrue(c.events().contains("callee hangs up saying: " + line), c.events().toString());
        assertTrue(streams.getFirst().stopped.isDone(), "the callee's side ended the stream");
        short[] full = io.switchboard.conversation.tts.Voices.installed().resolve(Persona.DEFAULT_VOICE)
                .synthesize(line, 8000).readAll();
        assertTrue(c.calleeSaid().length < full.length, "cut: " + c.calleeSaid().length + " of " + full.length);
    }

    @Test
    void aMessageNoServerMaySendClosesTheStreamNamingTheField() throws Exception {
        List<Stream> streams = new CopyOnWriteArrayList<>();
        phone.script(TO, phone.answer(Persona.talking("Hello?")));
        agent = (s, m) -> {
            if (m instanceof MediaMessage.Start) {
                streams.add(s);
                s.session.send("{\"event\":\"clear\"}", true);
            }
        };
        String sid = call(TO);
        awaitEnd(sid);
        List<String> e = phone.conversation(sid).orElseThrow().events();
        assertTrue(e.contains("refused: streamSid: is required, the stream's id from start"), e.toString());
    }

    /** Goertzel power of {@code hz} in {@code n} samples from {@code off}, at 8 kHz. */
    private static double tonePower(short[] x, int off, int n, int hz) {
        double k = 2 * Math.cos(2 * Math.PI * hz / 8000.0);
        double s1 = 0;
        double s2 = 0;
        for (int i = 0; i < n; i++) {
            double s0 = x[off + i] + k * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        return s1 * s1 + s2 * s2 - k * s1 * s2 + 1e-9;
    }
}
