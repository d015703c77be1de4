package io.switchboard.devtools;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.G711;
import io.switchboard.audio.StreamDecoder;
import io.switchboard.audio.Wav;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.telephony.twilio.MediaStreamCodec;

/**
 * A simulated carrier and callee for development and tests: it serves the part of Twilio's REST API the
 * platform uses (create a call; update one to hang it up, or to redirect it to TwiML that {@code <Dial>}s another
 * number, a transfer; with HTTP Basic authentication and Twilio's error bodies), and
 * then behaves like a phone network and the person at the other end: signed status callbacks (initiated,
 * ringing, in-progress, and the outcome), and for an answered call a Twilio Media Streams WebSocket to the
 * URL in the call's TwiML, signed on the handshake, written and read through {@link MediaStreamCodec.Carrier}:
 * the callee's 20 ms μ-law frames in real time, and the agent's audio honoured as Twilio honours it (played in
 * real time, {@code mark} echoed when reached, {@code clear} drops what is queued; see {@link AgentPlayout}).
 *
 * <p>What each number does is scripted with {@link #script} (the next calls' outcomes) and {@link #persona} (who
 * answers, see {@link Persona}); a number with neither answers and plays the default recording (real speech).
 * {@link #textsBack} scripts what a number's person texts back to the platform's texts (to the
 * {@link #messagingWebhook}, signed). This is the one fake in the loop, at the boundary we cannot reach from a
 * development machine (the carrier), and it speaks that carrier's wire protocol.
 */
public final class Softphone implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Softphone.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern STREAM = Pattern.compile("<Stream\\s+url=\"([^\"]+)\"");
    private static final Pattern PARAM = Pattern.compile("<Parameter\\s+name=\"([^\"]+)\"\\s+value=\"([^\"]*)\"");
    private static final Pattern CALLS = Pattern.compile("^/2010-04-01/Accounts/([^/]+)/Calls\\.json$");
    private static final Pattern CALL = Pattern.compile("^/2010-04-01/Accounts/([^/]+)/Calls/([^/]+)\\.json$");
    private static final Pattern DIAL = Pattern.compile("^<Response><Dial>(\\+[1-9][0-9]{6,14})</Dial></Response>$");
    private static final Pattern MESSAGES = Pattern.compile("^/2010-04-01/Accounts/([^/]+)/Messages\\.json$");
    private static final Pattern ADDRESS = Pattern.compile("(whatsapp:)?\\+[1-9][0-9]{6,14}");

    /** What the callee does when a call reaches them. */
    public sealed interface Behaviour {
        /**
         * Picks up after {@code ringFor}; with a persona, the persona talks (see {@link Persona}), otherwise the
         * callee speaks {@code audio} (8 kHz μ-law) and hangs up.
         */
        record Answer(byte[] audio, Duration ringFor, boolean machine, Optional<Persona> persona) implements Behaviour {
            public Answer(byte[] audio, Duration ringFor, boolean machine) {
                this(audio, ringFor, machine, Optional.empty());
            }
        }

        record Busy() implements Behaviour {
        }

        /** Rings for {@code ringFor} (or the call's timeout, if shorter) and nobody picks up. */
        record NoAnswer(Duration ringFor) implements Behaviour {
        }

        /** The network cannot place the call. */
        record Fail() implements Behaviour {
        }
    }

    /**
     * The media side of one answered call as the callee lived it: what happened in order ("agent speaks",
     * "mark m played", "agent cleared", "callee says: ...", ...), the agent channel as heard (cut where cleared) and
     * everything the callee sent, both 8 kHz μ-law.
     */
    public record Conversation(List<String> events, byte[] agentHeard, byte[] calleeSaid) {
    }

    /** One call as the softphone saw it. */
    public record PlacedCall(String sid, String to, String from, Instant placedAt, String outcome) {
    }

    /** A text the carrier carried: sent by the platform ({@code outbound-api}) or by a person ({@code inbound}). */
    public record Text(String sid, String from, String to, String body, String direction, Instant at) {
    }

    /** A call request the softphone accepted, by sid. */
    private record Live(String sid, String to, String from, String statusCallback, String twiml, int timeoutSeconds,
                        boolean machineDetection, java.util.concurrent.atomic.AtomicBoolean hungUp,
                        String amdCallback) {
    }

    private final String accountSid;
    private final String authToken;
    private final byte[] defaultAudio;
    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, Queue<Behaviour>> scripts = new ConcurrentHashMap<>();
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final Map<String, Persona> personas = new ConcurrentHashMap<>();
    /** The last {@link #KEPT_CONVERSATIONS} answered calls' media, by sid: a long dev session does not keep them all. */
    private final Map<String, Callee> callees = java.util.Collections.synchronizedMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Callee> eldest) {
            return size() > KEPT_CONVERSATIONS;
        }
    });
    private static final int KEPT_CONVERSATIONS = 100;
    private final List<PlacedCall> history = new CopyOnWriteArrayList<>();
    private final List<String> hangUpRequests = new CopyOnWriteArrayList<>();
    private final Map<String, String> transfers = new ConcurrentHashMap<>();
    private final List<Text> texts = new CopyOnWriteArrayList<>();
    /** Numbers that texted STOP to the carrier: it refuses texts to them with 21610, as Twilio does. */
    private final java.util.Set<String> carrierOptOuts = ConcurrentHashMap.newKeySet();
    /** What each number texts back to the platform's texts, in order (see {@link #textsBack}). */
    private final Map<String, Queue<String>> textReplies = new ConcurrentHashMap<>();
    /** Where the carrier posts texts people send (a Twilio number's "a message comes in" webhook). */
    private volatile Optional<URI> messagingWebhook = Optional.empty();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    private Softphone(String accountSid, String authToken, byte[] defaultAudio, int port) throws IOException {
        this.accountSid = accountSid;
        this.authToken = authToken;
        this.defaultAudio = defaultAudio;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /**
     * @param speech a WAV file (any rate, mono or stereo, PCM16 or μ-law) the callee speaks when they answer
     * @param port   0 for a free one
     */
    public static Softphone start(String accountSid, String authToken, Path speech, int port) throws IOException {
        return new Softphone(accountSid, authToken, mulaw8k(Files.readAllBytes(speech)), port);
    }

    /** The REST API base to configure as {@code telephony.twilio.api-url}. */
    public URI apiUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Scripts the next calls to {@code number}, in order; once used up, calls are answered with the default speech. */
    public Softphone script(String number, Behaviour... next) {
        scripts.computeIfAbsent(number, k -> new java.util.concurrent.ConcurrentLinkedQueue<>()).addAll(List.of(next));
        return this;
    }

    /** Who answers {@code number} from now on, when no {@link #script} says otherwise. */
    public Softphone persona(String number, Persona persona) {
        personas.put(number, persona);
        return this;
    }

    /** The default callee: picks up and reads the default recording. */
    public Behaviour.Answer answer() {
        return new Behaviour.Answer(defaultAudio, Duration.ofMillis(300), false);
    }

    /** Picks up and lets the persona talk; a machine persona is also what the carrier's machine detection reports. */
    public Behaviour.Answer answer(Persona persona) {
        return new Behaviour.Answer(defaultAudio, Duration.ofMillis(300), persona.kind() == Persona.Kind.MACHINE,
                Optional.of(persona));
    }

    /** The media side of an answered call, so far or in full; empty for a call that never streamed. */
    public Optional<Conversation> conversation(String sid) {
        return Optional.ofNullable(callees.get(sid)).map(c -> new Conversation(c.events(), c.agent().heard(), c.said()));
    }

    /**
     * Milliseconds from the answer (the media stream's {@code start}) to the agent's first audio on call {@code sid},
     * as the callee's side of the carrier sees it; empty until the agent spoke.
     */
    public Optional<Long> greetingLatency(String sid) {
        return Optional.ofNullable(callees.get(sid)).flatMap(Callee::greetingMillis);
    }

    /** Every call placed so far, in order, with its outcome once known. */
    public List<PlacedCall> history() {
        return List.copyOf(history);
    }

    /** The sids of the calls the platform hung up through the REST API, in order. */
    public List<String> hangUpRequests() {
        return List.copyOf(hangUpRequests);
    }

    /** The calls the platform transferred through the REST API: the call's sid to the number it was put through to. */
    public Map<String, String> transfers() {
        return Map.copyOf(transfers);
    }

    /** Calls ringing or connected right now. */
    public int activeCalls() {
        return active.get();
    }

    /** The most calls that were ringing or connected at once. */
    public int peakActiveCalls() {
        return peak.get();
    }

    /** The account's auth token: what the platform verifies the softphone's signatures with. */
    public String authToken() {
        return authToken;
    }

    public String accountSid() {
        return accountSid;
    }

    /** Converts a WAV to what a phone line carries: 8 kHz mono μ-law. */
    public static byte[] mulaw8k(byte[] wav) {
        Wav.Header h = Wav.parse(wav, wav.length).orElseThrow(() -> new Wav.MalformedWav("not a WAV file"));
        AudioFormat raw = new AudioFormat(h.format().encoding(), h.format().sampleRate(), h.format().channels(),
                AudioFormat.Container.RAW);
        StreamDecoder d = new StreamDecoder(raw, 8000);
        int end = (int) Math.min(wav.length, h.headerLength() + h.dataLength());
        short[] pcm = concat(d.accept(java.util.Arrays.copyOfRange(wav, h.headerLength(), end)).channels()[0], d.finish()[0]);
        byte[] out = new byte[pcm.length];
        for (int i = 0; i < pcm.length; i++) {
            out[i] = G711.linearToUlaw(pcm[i]);
        }
        return out;
    }

    private static short[] concat(short[] a, short[] b) {
        short[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    // ------------------------------------------------------------------ REST API

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            Matcher messages = MESSAGES.matcher(path);
            if (!"POST".equals(x.getRequestMethod()) && !("GET".equals(x.getRequestMethod()) && messages.matches())) {
                reply(x, 405, error(20004, "Method not allowed"));
                return;
            }
            Matcher calls = CALLS.matcher(path);
            Matcher call = CALL.matcher(path);
            String account = calls.matches() ? calls.group(1) : call.matches() ? call.group(1)
                    : messages.matches() ? messages.group(1) : null;
            if (account == null) {
                reply(x, 404, error(20404, "The requested resource " + path + " was not found"));
                return;
            }
            String expected = "Basic " + Base64.getEncoder().encodeToString((accountSid + ":" + authToken)
                    .getBytes(StandardCharsets.UTF_8));
            if (!account.equals(accountSid) || !expected.equals(x.getRequestHeaders().getFirst("Authorization"))) {
                reply(x, 401, error(20003, "Authenticate"));
                return;
            }
            if (messages.matches() && "GET".equals(x.getRequestMethod())) {
                listMessages(x, FormEncoding.parse(x.getRequestURI().getRawQuery()));
                return;
            }
            Map<String, List<String>> form = FormEncoding.parse(new String(x.getRequestBody().readAllBytes(),
                    StandardCharsets.UTF_8));
            if (messages.matches()) {
                createMessage(x, form);
            } else if (calls.matches()) {
                create(x, form);
            } else {
                update(x, call.group(2), form);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "softphone request failed", e);
        }
    }

    private void create(HttpExchange x, Map<String, List<String>> form) throws IOException {
        String to = FormEncoding.first(form, "To");
        String from = FormEncoding.first(form, "From");
        String twiml = FormEncoding.first(form, "Twiml");
        if (!to.matches("\\+[1-9][0-9]{6,14}")) {
            reply(x, 400, error(21211, "The 'To' number " + to + " is not a valid phone number."));
            return;
        }
        if (!from.matches("\\+[1-9][0-9]{6,14}")) {
            reply(x, 400, error(21212, "The 'From' number " + from + " is not a valid phone number."));
            return;
        }
        if (twiml.isEmpty() && FormEncoding.first(form, "Url").isEmpty()) {
            reply(x, 400, error(21205, "Url or Twiml parameter is required."));
            return;
        }
        String sid = "CA" + HexFormat.of().formatHex(uuidBytes());
        int timeout = parseInt(FormEncoding.first(form, "Timeout"), 60);
        Live call = new Live(sid, to, from, FormEncoding.first(form, "StatusCallback"), twiml, timeout,
                !FormEncoding.first(form, "MachineDetection").isEmpty(), new java.util.concurrent.atomic.AtomicBoolean(),
                "true".equals(FormEncoding.first(form, "AsyncAmd")) ? FormEncoding.first(form, "AsyncAmdStatusCallback") : "");
        live.put(sid, call);
        history.add(new PlacedCall(sid, to, from, Instant.now(), ""));
        peak.accumulateAndGet(active.incrementAndGet(), Math::max);
        ObjectNode body = JSON.createObjectNode().put("sid", sid).put("account_sid", accountSid).put("to", to)
                .put("from", from).put("status", "queued").put("direction", "outbound-api")
                .put("api_version", "2010-04-01");
        reply(x, 201, body.toString());
        Thread.ofVirtual().name("softphone-" + sid).start(() -> run(call));
    }

    /** Updates a call: {@code Status} hangs it up, {@code Twiml} redirects it (only a {@code <Dial>} here). */
    private void update(HttpExchange x, String sid, Map<String, List<String>> form) throws IOException {
        String twiml = FormEncoding.first(form, "Twiml");
        if (twiml.isEmpty()) {
            hangUp(x, sid, form);
            return;
        }
        Matcher dial = DIAL.matcher(twiml);
        if (!dial.matches()) {
            reply(x, 400, error(12100, "Document parse failure: the softphone follows only <Response><Dial>+E164"
                    + "</Dial></Response>, got " + twiml));
            return;
        }
        Live call = live.get(sid);
        if (call == null || call.hungUp().get()) {
            reply(x, 400, error(21220, "Call is not in-progress. Cannot redirect."));
            return;
        }
        // the call leaves <Connect><Stream> (its media stream stops) and is bridged to the number
        transfers.put(sid, dial.group(1));
        Optional.ofNullable(callees.get(sid)).ifPresent(c -> c.agent().note("carrier transfers to " + dial.group(1)));
        call.hungUp().set(true);
        reply(x, 200, JSON.createObjectNode().put("sid", sid).put("status", "in-progress").toString());
    }

    // ------------------------------------------------------------------ messaging

    /** Configures the numbers' inbound-message webhook, as on a Twilio number: where people's texts are posted. */
    public Softphone messagingWebhook(URI url) {
        messagingWebhook = Optional.of(url);
        return this;
    }

    /**
     * Scripts the person at {@code number} texting back: each text the platform sends them is answered, once
     * delivered, with the next of {@code replies} (e.g. "Thanks!", or "STOP"), posted to the
     * {@link #messagingWebhook} signed as Twilio signs it. Once the replies are used up, texts go unanswered.
     */
    public Softphone textsBack(String number, String... replies) {
        textReplies.computeIfAbsent(number, k -> new java.util.concurrent.ConcurrentLinkedQueue<>())
                .addAll(List.of(replies));
        return this;
    }

    /** Every text carried so far, in order. */
    public List<Text> texts() {
        return List.copyOf(texts);
    }

    /**
     * A person texts the platform: the carrier stores it and posts the signed inbound webhook to
     * {@code webhookUrl}; returns the HTTP status. As Twilio does by default, a STOP opts the number out at the
     * carrier too (it answers with its own confirmation, and refuses further texts to it with error 21610) and a
     * START opts it back in.
     */
    public int text(String from, String to, String body, String webhookUrl) throws IOException, InterruptedException {
        String sid = "SM" + HexFormat.of().formatHex(uuidBytes());
        texts.add(new Text(sid, from, to, body, "inbound", Instant.now()));
        String word = body.strip().toUpperCase(java.util.Locale.ROOT);
        String phone = from.replace("whatsapp:", "");
        if (java.util.Set.of("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT").contains(word)) {
            if (carrierOptOuts.add(phone)) {
                texts.add(new Text("SM" + HexFormat.of().formatHex(uuidBytes()), to, from, "You have successfully been"
                        + " unsubscribed. You will not receive any more messages from this number. Reply START to"
                        + " resubscribe.", "outbound-reply", Instant.now()));
            }
        } else if (java.util.Set.of("START", "UNSTOP", "YES").contains(word)) {
            carrierOptOuts.remove(phone);
        }
        Map<String, List<String>> form = new LinkedHashMap<>();
        form.put("MessageSid", List.of(sid));
        form.put("SmsSid", List.of(sid));
        form.put("AccountSid", List.of(accountSid));
        form.put("From", List.of(from));
        form.put("To", List.of(to));
        form.put("Body", List.of(body));
        form.put("NumMedia", List.of("0"));
        form.put("NumSegments", List.of("1"));
        form.put("ApiVersion", List.of("2010-04-01"));
        HttpRequest req = HttpRequest.newBuilder(URI.create(webhookUrl)).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(TwilioSignature.HEADER, TwilioSignature.sign(authToken, webhookUrl, form))
                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(form))).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private void createMessage(HttpExchange x, Map<String, List<String>> form) throws IOException {
        String to = FormEncoding.first(form, "To");
        String from = FormEncoding.first(form, "From");
        String body = FormEncoding.first(form, "Body");
        if (!ADDRESS.matcher(to).matches()) {
            reply(x, 400, error(21211, "The 'To' number " + to + " is not a valid phone number."));
            return;
        }
        if (!ADDRESS.matcher(from).matches()) {
            reply(x, 400, error(21212, "The 'From' number " + from + " is not a valid phone number."));
            return;
        }
        if (to.startsWith("whatsapp:") != from.startsWith("whatsapp:")) {
            reply(x, 400, error(21910, "Invalid From and To pair. From and To should be of the same channel"));
            return;
        }
        if (body.isEmpty() && FormEncoding.first(form, "ContentSid").isEmpty()) {
            reply(x, 400, error(21602, "Message body is required."));
            return;
        }
        if (carrierOptOuts.contains(to.replace("whatsapp:", ""))) {
            reply(x, 400, error(21610, "Attempt to send to unsubscribed recipient"));
            return;
        }
        String sid = "SM" + HexFormat.of().formatHex(uuidBytes());
        Instant now = Instant.now();
        texts.add(new Text(sid, from, to, body.isEmpty() ? "[template " + FormEncoding.first(form, "ContentSid") + "]"
                : body, "outbound-api", now));
        String callback = FormEncoding.first(form, "StatusCallback");
        reply(x, 201, JSON.createObjectNode().put("sid", sid).put("account_sid", accountSid).put("to", to)
                .put("from", from).put("body", body).put("status", "queued").put("direction", "outbound-api")
                .put("num_segments", "1").put("api_version", "2010-04-01")
                .put("date_created", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        now.atZone(java.time.ZoneOffset.UTC))).toString());
        Optional<String> answer = Optional.ofNullable(textReplies.get(to.replace("whatsapp:", ""))).map(Queue::poll);
        if (!callback.isEmpty() || answer.isPresent()) {
            Thread.ofVirtual().name("softphone-" + sid).start(() -> {
                for (String status : callback.isEmpty() ? List.<String>of() : List.of("sent", "delivered")) {
                    Map<String, List<String>> cb = new LinkedHashMap<>();
                    cb.put("AccountSid", List.of(accountSid));
                    cb.put("MessageSid", List.of(sid));
                    cb.put("SmsSid", List.of(sid));
                    cb.put("MessageStatus", List.of(status));
                    cb.put("SmsStatus", List.of(status));
                    cb.put("From", List.of(from));
                    cb.put("To", List.of(to));
                    cb.put("ApiVersion", List.of("2010-04-01"));
                    try {
                        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(callback))
                                .timeout(Duration.ofSeconds(15))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .header(TwilioSignature.HEADER, TwilioSignature.sign(authToken, callback, cb))
                                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(cb))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (res.statusCode() / 100 != 2) {
                            LOG.warning("message status callback " + status + " of " + sid + " answered HTTP "
                                    + res.statusCode() + ": " + res.body());
                        }
                    } catch (IOException | InterruptedException e) {
                        LOG.log(Level.WARNING, "message status callback " + status + " of " + sid + " failed", e);
                        return;
                    }
                }
                answer.ifPresent(reply -> textBack(to, from, reply));
            });
        }
    }

    /** The person at {@code person} answers a text that came from {@code sender}. */
    private void textBack(String person, String sender, String reply) {
        if (messagingWebhook.isEmpty()) {
            LOG.warning(person + " would text back '" + reply + "', but no messaging webhook is configured");
            return;
        }
        try {
            int status = text(person, sender, reply, messagingWebhook.get().toString());
            if (status / 100 != 2) {
                LOG.warning("the inbound webhook answered HTTP " + status + " to " + person + "'s reply '" + reply + "'");
            }
        } catch (IOException | InterruptedException e) {
            LOG.log(Level.WARNING, person + "'s reply '" + reply + "' did not reach the inbound webhook", e);
        }
    }

    /** Twilio's list of messages, filtered by {@code To} and {@code From}, newest first. */
    private void listMessages(HttpExchange x, Map<String, List<String>> query) throws IOException {
        ObjectNode page = JSON.createObjectNode();
        var list = page.putArray("messages");
        for (Text t : texts.reversed()) {
            if (t.direction().equals("outbound-api") && t.to().equals(FormEncoding.first(query, "To"))
                    && t.from().equals(FormEncoding.first(query, "From"))) {
                list.addObject().put("sid", t.sid()).put("to", t.to()).put("from", t.from()).put("body", t.body())
                        .put("status", "sent").put("date_created", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                                .format(t.at().atZone(java.time.ZoneOffset.UTC)));
            }
        }
        reply(x, 200, page.toString());
    }

    private void hangUp(HttpExchange x, String sid, Map<String, List<String>> form) throws IOException {
        Live call = live.get(sid);
        String status = FormEncoding.first(form, "Status");
        if (!status.equals("completed") && !status.equals("canceled")) {
            reply(x, 400, error(21218, "Invalid Status " + status));
            return;
        }
        if (call == null) {
            reply(x, 404, error(20404, "The requested resource Call " + sid + " was not found"));
            return;
        }
        call.hungUp().set(true);
        hangUpRequests.add(sid);
        reply(x, 200, JSON.createObjectNode().put("sid", sid).put("status", status).toString());
    }

    // ------------------------------------------------------------------ the call itself

    private void run(Live call) {
        String outcome = "failed";
        AtomicInteger seq = new AtomicInteger();
        try {
            Queue<Behaviour> script = scripts.get(call.to());
            Persona persona = personas.get(call.to());
            Behaviour b = script != null && !script.isEmpty() ? script.poll()
                    : persona != null ? answer(persona) : answer();
            status(call, seq, "initiated", Map.of());
            switch (b) {
                case Behaviour.Fail f -> outcome = "failed";
                case Behaviour.Busy busy -> {
                    status(call, seq, "ringing", Map.of());
                    outcome = "busy";
                }
                case Behaviour.NoAnswer n -> {
                    status(call, seq, "ringing", Map.of());
                    long ring = Math.min(n.ringFor().toMillis(), call.timeoutSeconds() * 1000L);
                    outcome = waitOrHangUp(call, ring) ? "canceled" : "no-answer";
                }
                case Behaviour.Answer a -> {
                    status(call, seq, "ringing", Map.of());
                    if (waitOrHangUp(call, a.ringFor().toMillis())) {
                        outcome = "canceled";
                        break;
                    }
                    String answeredBy = a.machine() ? "machine_end_beep" : "human";
                    // synchronous detection answers with the call; asynchronous detection reports on its own callback
                    status(call, seq, "in-progress", call.machineDetection() && call.amdCallback().isEmpty()
                            ? Map.of("AnsweredBy", answeredBy) : Map.of());
                    long started = System.nanoTime();
                    try {
                        stream(call, a);
                    } catch (RuntimeException | IOException e) {
                        // a carrier whose media stream broke still ends the call and says so on its status callback;
                        // without it the dial attempt would wait for the sweeper
                        LOG.log(Level.WARNING, "softphone call " + call.sid() + ": the media stream broke; the call "
                                + "ends as completed, as a carrier's would", e);
                    }
                    long seconds = Math.max(1, (System.nanoTime() - started + 999_999_999L) / 1_000_000_000L);
                    Map<String, String> extra = new LinkedHashMap<>();
                    extra.put("CallDuration", Long.toString(seconds));
                    if (call.machineDetection()) {
                        extra.put("AnsweredBy", answeredBy);
                    }
                    status(call, seq, "completed", extra);
                    outcome = "completed";
                    return;
                }
            }
            status(call, seq, outcome, Map.of());
        } catch (RuntimeException | IOException e) {
            LOG.log(Level.WARNING, "softphone call " + call.sid() + " to " + call.to() + " broke off", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            String o = outcome;
            history.replaceAll(p -> p.sid().equals(call.sid()) ? new PlacedCall(p.sid(), p.to(), p.from(), p.placedAt(), o) : p);
            live.remove(call.sid());
            active.decrementAndGet();
        }
    }

    /** Waits, returning early (true) if the call was hung up meanwhile. */
    private static boolean waitOrHangUp(Live call, long millis) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < until) {
            if (call.hungUp().get()) {
                return true;
            }
            Thread.sleep(20);
        }
        return call.hungUp().get();
    }

    /** The Media Streams WebSocket to the URL in the call's TwiML, with the callee on the line. */
    private void stream(Live call, Behaviour.Answer a) throws InterruptedException, IOException {
        Matcher m = STREAM.matcher(call.twiml());
        if (!m.find()) {
            throw new IOException("the call's TwiML has no <Stream url=...>: " + call.twiml());
        }
        String url = m.group(1).replace("&amp;", "&");
        Map<String, String> params = new LinkedHashMap<>();
        Matcher p = PARAM.matcher(call.twiml());
        while (p.find()) {
            params.put(p.group(1), p.group(2));
        }
        String streamSid = "MZ" + HexFormat.of().formatHex(uuidBytes());
        Callee callee = new Callee(new MediaStreamCodec.Carrier(streamSid, accountSid, call.sid()), call.hungUp()::get);
        Persona persona = a.persona().orElse(null);
        if (persona == null) {
            callee.speak(a.audio());
        } else {
            callee.act(persona);
        }
        if (!call.amdCallback().isEmpty()) {
            long answered = System.nanoTime();
            callee.detection(v -> Thread.ofVirtual().name("amd-" + call.sid()).start(() -> answeredBy(call, v,
                    (System.nanoTime() - answered) / 1_000_000)));
        }
        callees.put(call.sid(), callee);
        callee.run(http, url, authToken, params, persona != null && persona.echo());
    }

    /** A signed status callback, form-encoded as Twilio sends it. */
    private void status(Live call, AtomicInteger seq, String status, Map<String, String> extra)
            throws IOException, InterruptedException {
        if (call.statusCallback().isEmpty()) {
            return;
        }
        Map<String, List<String>> form = new LinkedHashMap<>();
        form.put("AccountSid", List.of(accountSid));
        form.put("CallSid", List.of(call.sid()));
        form.put("CallStatus", List.of(status));
        form.put("From", List.of(call.from()));
        form.put("To", List.of(call.to()));
        form.put("Direction", List.of("outbound-api"));
        form.put("ApiVersion", List.of("2010-04-01"));
        form.put("CallbackSource", List.of("call-progress-events"));
        form.put("SequenceNumber", List.of(Integer.toString(seq.getAndIncrement())));
        extra.forEach((k, v) -> form.put(k, List.of(v)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(call.statusCallback())).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(TwilioSignature.HEADER, TwilioSignature.sign(authToken, call.statusCallback(), form))
                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(form))).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() / 100 != 2) {
            LOG.warning("status callback " + status + " of " + call.sid() + " answered HTTP " + res.statusCode() + ": "
                    + res.body());
        }
    }

    /**
     * The asynchronous answering-machine detection's verdict, form-encoded and signed as Twilio posts it to the
     * call's {@code AsyncAmdStatusCallback}.
     */
    private void answeredBy(Live call, String answeredBy, long detectionMillis) {
        Map<String, List<String>> form = new LinkedHashMap<>();
        form.put("AccountSid", List.of(accountSid));
        form.put("CallSid", List.of(call.sid()));
        form.put("AnsweredBy", List.of(answeredBy));
        form.put("MachineDetectionDuration", List.of(Long.toString(detectionMillis)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(call.amdCallback())).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(TwilioSignature.HEADER, TwilioSignature.sign(authToken, call.amdCallback(), form))
                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(form))).build();
        try {
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() / 100 != 2) {
                LOG.warning("the AMD callback of " + call.sid() + " answered HTTP " + res.statusCode() + ": " + res.body());
            }
        } catch (IOException e) {
            LOG.warning("the AMD callback of " + call.sid() + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String error(int code, String message) {
        return JSON.createObjectNode().put("code", code).put("message", message).put("status", 400).toString();
    }

    private static void reply(HttpExchange x, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, body.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(body);
        }
    }

    private static int parseInt(String s, int dflt) {
        try {
            return s.isEmpty() ? dflt : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static byte[] uuidBytes() {
        UUID u = UUID.randomUUID();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (long v : new long[] {u.getMostSignificantBits(), u.getLeastSignificantBits()}) {
            for (int i = 7; i >= 0; i--) {
                b.write((int) (v >>> (8 * i)));
            }
        }
        return b.toByteArray();
    }

    @Override
    public void close() {
        live.values().forEach(c -> c.hungUp().set(true));
        server.stop(0);
    }
}
