package io.switchboard.devtools;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import io.switchboard.audio.G711;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.telephony.twilio.MediaMessage;
import io.switchboard.telephony.twilio.MediaStreamCodec;

/**
 * The person (or machine) at the far end of one answered call, on the call's Media Stream: it sends its voice in
 * 20 ms μ-law frames paced in real time (line noise between its lines), and hears the agent through an
 * {@link AgentPlayout} that honours {@code mark} and {@code clear} as Twilio does. Every message goes through
 * {@link MediaStreamCodec.Carrier}; this class writes no JSON.
 */
final class Callee {

    private static final Logger LOG = Logger.getLogger(Callee.class.getName());
    /** How long a person waits for an agent that says nothing before saying their next line anyway. */
    static final long PATIENCE_MILLIS = 6000;
    /** How long a machine records after its beep when nobody hangs up. */
    static final long RECORD_MILLIS = 30_000;
    /** Twilio's default {@code MachineDetectionSilenceTimeout}: silence this long is reported as {@code unknown}. */
    static final long SILENCE_TIMEOUT_MILLIS = 5000;
    private static final int ECHO_DELAY_FRAMES = 8; // 160 ms
    private static final double ECHO_GAIN = 0.1; // -20 dB

    private final MediaStreamCodec.Carrier codec;
    private final BooleanSupplier hungUp;
    private final AgentPlayout agent;
    private final ConcurrentLinkedQueue<short[]> mouth = new ConcurrentLinkedQueue<>();
    private final java.io.ByteArrayOutputStream said = new java.io.ByteArrayOutputStream();
    private final AtomicBoolean done = new AtomicBoolean();
    private final Object sending = new Object();
    private volatile WebSocket ws;
    private volatile java.util.function.Consumer<String> detected = v -> { };
    private volatile long startSentNanos;
    private volatile long firstAgentAudioNanos;
    /** Between two keys pressed in one line, as a person's finger goes. */
    private static final long KEY_GAP_MILLIS = 150;

    Callee(MediaStreamCodec.Carrier codec, BooleanSupplier hungUp) {
        this.codec = codec;
        this.hungUp = hungUp;
        this.agent = new AgentPlayout(name -> send(codec::mark, name));
    }

    /** Plays a recording and hangs up: the softphone's callee for numbers without a persona. */
    void speak(byte[] mulaw) {
        for (int off = 0; off < mulaw.length; off += AgentPlayout.FRAME) {
            short[] f = new short[Math.min(AgentPlayout.FRAME, mulaw.length - off)];
            for (int i = 0; i < f.length; i++) {
                f[i] = G711.ulawToLinear(mulaw[off + i]);
            }
            mouth.add(f);
        }
        done.set(true);
    }

    /**
     * Where the carrier's answering-machine detection reports ({@code AnsweredBy}): {@code human} once a person's
     * first line is said, {@code machine_end_beep} once a machine's beep has played, {@code unknown} after 5 s of
     * silence (Twilio's {@code MachineDetectionSilenceTimeout}).
     */
    void detection(java.util.function.Consumer<String> answeredBy) {
        this.detected = answeredBy;
    }

    /** Runs a persona's script on a thread of its own while {@link #run} streams. */
    void act(Persona persona) {
        Thread.ofVirtual().name("callee-" + codec.streamSid()).start(() -> {
            try {
                script(persona);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warning("callee " + codec.streamSid() + " broke off its script: " + e);
            } finally {
                done.set(true);
            }
        });
    }

    private void script(Persona p) throws InterruptedException {
        Voices.Resolved voice = p.kind() == Persona.Kind.SILENT ? null : Voices.installed().resolve(p.voice());
        switch (p.kind()) {
            case SILENT -> {
                waitFor(() -> false, SILENCE_TIMEOUT_MILLIS);
                detected.accept("unknown");
                waitFor(() -> false, PATIENCE_MILLIS * 2 - SILENCE_TIMEOUT_MILLIS);
            }
            case MACHINE -> {
                say(voice, p.lines().getFirst(), false);
                waitFor(mouth::isEmpty, Long.MAX_VALUE);
                if (hungUp.getAsBoolean()) {
                    return; // hung up on during its greeting: no beep
                }
                beep();
                agent.note("machine records");
                waitFor(mouth::isEmpty, Long.MAX_VALUE);
                if (!hungUp.getAsBoolean()) {
                    detected.accept("machine_end_beep");
                }
                waitFor(() -> false, RECORD_MILLIS);
            }
            case TALK -> {
                for (int i = 0; i < p.lines().size(); i++) {
                    boolean keys = p.lines().get(i).startsWith(Persona.KEYS);
                    if (i > 0 || p.bargeIn().isPresent() || keys) {
                        awaitTurn(p, !keys); // nobody keys in an answer before being asked
                    }
                    if (hungUp.getAsBoolean()) {
                        return;
                    }
                    boolean last = i == p.lines().size() - 1;
                    if (keys) {
                        press(p.lines().get(i).substring(Persona.KEYS.length()));
                        continue;
                    }
                    say(voice, p.lines().get(i), last && p.hangUpMidSentence());
                    waitFor(mouth::isEmpty, Long.MAX_VALUE);
                    if (i == 0) {
                        detected.accept("human");
                    }
                }
                if (!p.hangUpMidSentence()) {
                    awaitTurn(p, false); // hear the agent out before hanging up
                }
            }
        }
    }

    /** Waits for the agent's turn to end, or (barging in) for the agent to have spoken this long. */
    private void awaitTurn(Persona p, boolean mayBargeIn) throws InterruptedException {
        long since = agent.spokenTurns();
        long patience = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PATIENCE_MILLIS);
        long doneNanos = Persona.AGENT_DONE.toNanos();
        waitFor(() -> {
            if (mayBargeIn && p.bargeIn().isPresent() && agent.speakingForNanos() >= p.bargeIn().get().toNanos()) {
                agent.note("callee barges in");
                return true;
            }
            if (agent.spokenTurns() > since || agent.speaking()) {
                // an agent that marks its replies is done 700 ms after the mark; one that does not, after 3x that
                return !agent.speaking() && agent.quietForNanos() >= (agent.markPlayedSinceAudio() ? doneNanos
                        : 3 * doneNanos);
            }
            return System.nanoTime() > patience; // nobody spoke: go on, as a person would ("hello?")
        }, Long.MAX_VALUE);
    }

    private void say(Voices.Resolved voice, String line, boolean cutOff) {
        short[] pcm = voice.synthesize(line, MediaStreamCodec.SAMPLE_RATE).readAll();
        int end = cutOff ? pcm.length / 2 : pcm.length;
        agent.note((cutOff ? "callee hangs up saying: " : "callee says: ") + line);
        for (int off = 0; off < end; off += AgentPlayout.FRAME) {
            mouth.add(Arrays.copyOfRange(pcm, off, Math.min(end, off + AgentPlayout.FRAME)));
        }
    }

    /** Presses keys: one {@code dtmf} message each, as Twilio reports them. */
    private void press(String digits) throws InterruptedException {
        waitFor(() -> ws != null, Long.MAX_VALUE);
        agent.note("callee presses " + digits);
        for (char d : digits.toCharArray()) {
            if (hungUp.getAsBoolean()) {
                return;
            }
            send(codec::dtmf, String.valueOf(d));
            Thread.sleep(KEY_GAP_MILLIS);
        }
    }

    /** An answering machine's beep: 1 kHz for 400 ms. */
    private void beep() {
        agent.note("machine beeps");
        for (int f = 0; f < 20; f++) {
            short[] frame = new short[AgentPlayout.FRAME];
            for (int i = 0; i < frame.length; i++) {
                frame[i] = (short) (12_000 * Math.sin(2 * Math.PI * 1000 * (f * AgentPlayout.FRAME + i) / 8000.0));
            }
            mouth.add(frame);
        }
    }

    private void waitFor(BooleanSupplier condition, long maxMillis) throws InterruptedException {
        long until = maxMillis == Long.MAX_VALUE ? Long.MAX_VALUE
                : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        while (!condition.getAsBoolean() && !hungUp.getAsBoolean() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
    }

    /**
     * Connects to the stream's URL, sends {@code connected} and {@code start}, then one frame every 20 ms until the
     * callee is done (or the call is hung up), then {@code stop}.
     */
    void run(HttpClient http, String url, String authToken, Map<String, String> parameters, boolean echo)
            throws IOException, InterruptedException {
        try {
            ws = http.newWebSocketBuilder().header(TwilioSignature.HEADER, TwilioSignature.sign(authToken, url, Map.of()))
                    .buildAsync(URI.create(url), new Listener()).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("the media stream " + url + " refused the connection: " + e.getCause(), e);
        }
        send(x -> codec.connected(), null);
        send(x -> codec.start(parameters), null);
        startSentNanos = System.nanoTime(); // the call is answered: the platform hears of it now
        ArrayDeque<short[]> delayed = new ArrayDeque<>();
        java.util.Random noise = new java.util.Random(codec.streamSid().hashCode());
        long t0 = System.nanoTime();
        for (long n = 0; !hungUp.getAsBoolean() && !(done.get() && mouth.isEmpty()); n++) {
            short[] heard = linear(agent.tick());
            delayed.add(heard);
            short[] voice = mouth.poll();
            short[] out = new short[voice == null ? AgentPlayout.FRAME : voice.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = voice != null ? voice[i] : (short) (noise.nextGaussian() * 20); // line noise
            }
            if (echo && delayed.size() > ECHO_DELAY_FRAMES) {
                short[] back = delayed.poll();
                for (int i = 0; i < out.length && i < back.length; i++) {
                    out[i] = (short) Math.clamp(out[i] + back[i] * ECHO_GAIN, Short.MIN_VALUE, Short.MAX_VALUE);
                }
            } else if (!echo) {
                delayed.clear();
            }
            byte[] frame = new byte[out.length];
            for (int i = 0; i < out.length; i++) {
                frame[i] = G711.linearToUlaw(out[i]);
            }
            synchronized (said) {
                said.write(frame, 0, frame.length);
            }
            send(codec::media, frame);
            long wait = t0 + TimeUnit.MILLISECONDS.toNanos((n + 1) * 20) - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        send(x -> codec.stop(), null);
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "call ended").get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            ws.abort();
        }
    }

    private static short[] linear(byte[] mulaw) {
        short[] s = new short[mulaw.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = G711.ulawToLinear(mulaw[i]);
        }
        return s;
    }

    /** One message at a time, as a WebSocket requires, numbered in the order sent. */
    private <T> void send(java.util.function.Function<T, String> message, T arg) {
        synchronized (sending) {
            if (ws.isOutputClosed()) {
                return;
            }
            try {
                ws.sendText(message.apply(arg), true).get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                if (ws.isOutputClosed()) {
                    return; // the server closed the stream between the check and the send: the call is over
                }
                throw new IllegalStateException("the media stream broke: " + e.getCause(), e);
            }
        }
    }

    /** Milliseconds from the stream's {@code start} (the answer) to the agent's first audio, once it came. */
    java.util.Optional<Long> greetingMillis() {
        long first = firstAgentAudioNanos;
        long start = startSentNanos;
        return first == 0 || start == 0 ? java.util.Optional.empty()
                : java.util.Optional.of(Math.max(0, first - start) / 1_000_000);
    }

    AgentPlayout agent() {
        return agent;
    }

    /** What the callee sent, 8 kHz μ-law (its voice, line noise and echo). */
    byte[] said() {
        synchronized (said) {
            return said.toByteArray();
        }
    }

    /** The server's messages: agent audio, marks and clears; anything else closes the stream as Twilio would. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try {
                    switch (codec.parse(text)) {
                        case MediaMessage.Media m -> {
                            if (firstAgentAudioNanos == 0) {
                                firstAgentAudioNanos = System.nanoTime();
                            }
                            agent.media(m.audio());
                        }
                        case MediaMessage.Mark m -> agent.mark(m.name());
                        case MediaMessage.Clear c -> agent.clear();
                        default -> { }
                    }
                } catch (MediaMessage.Malformed e) {
                    agent.note("refused: " + e.getMessage());
                    LOG.warning("the server sent a message the carrier refuses: " + e.getMessage());
                    done.set(true);
                    synchronized (sending) {
                        socket.sendClose(e.closeCode(), e.getMessage().length() > 120 ? e.getMessage().substring(0, 120)
                                : e.getMessage());
                    }
                    mouth.clear();
                }
            }
            socket.request(1);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            agent.note("server closed " + statusCode + (reason.isEmpty() ? "" : ": " + reason));
            done.set(true);
            mouth.clear();
            return null;
        }
    }

    List<String> events() {
        return agent.events();
    }
}
