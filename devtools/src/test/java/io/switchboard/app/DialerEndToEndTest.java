package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.devtools.Softphone;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.v1.AddDoNotCallNumbersRequest;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignStats;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.ComplianceServiceGrpc;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.DialAttempt;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.GetCampaignStatsRequest;
import io.switchboard.v1.ListCampaignContactsRequest;
import io.switchboard.v1.ListDialAttemptsRequest;
import io.switchboard.v1.RetryPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Campaigns dialled for real, in real time: the worker's dialer asks the carrier (the dev softphone, over
 * Twilio's REST API) to place calls; the softphone answers, is busy or rings out as scripted, reports each
 * step through signed status callbacks, and streams the callee's recorded speech over a Media Streams
 * WebSocket into the server, where it becomes a live call with a transcript, a recording and a summary.
 */
class DialerEndToEndTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static Softphone phone;
    private static ManagedChannel channel;
    private static String key;
    private static String agentId;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dialer.tick-interval", "PT0.2S", "dialer.sync-interval", "PT0.5S",
                "transcription.pool-size", "2"));
        phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata installed?"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
        key = TestStacks.organization(channel, stack.operatorKey(), "Dialco", "growth");
        agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Caller")
                        .setLanguage("en-US")).build()).getId();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    /** A fixed-offset zone where it is now between {@code from} and {@code to} o'clock. */
    private static String zoneAt(int from, int to) {
        for (int h = -12; h <= 14; h++) {
            ZoneId z = ZoneId.of(h == 0 ? "Etc/GMT" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h));
            int hour = Instant.now().atZone(z).getHour();
            if (hour >= from && hour < to) {
                return z.getId();
            }
        }
        throw new AssertionError("no zone at " + from + "-" + to);
    }

    private static String list(String name, Map<String, String> phonesToZones) {
        var contacts = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        String list = contacts.createContactList(CreateContactListRequest.newBuilder().setContactList(
                io.switchboard.v1.ContactList.newBuilder().setName(name)).build()).getId();
        phonesToZones.forEach((p, z) -> contacts.createContact(CreateContactRequest.newBuilder().setContact(
                Contact.newBuilder().setPhoneNumber(p).setTimeZone(z).addListIds(list)).build()));
        return list;
    }

    private static Campaign startCampaign(String list, int concurrency, RetryPolicy retry) {
        var campaigns = campaigns();
        Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                .setName("Spring outreach " + UUID.randomUUID()).setAgentId(agentId).setContactListId(list)
                .setCallerId("+14155550100").setMaxConcurrency(concurrency).setRetryPolicy(retry)).build());
        return campaigns.startCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
    }

    private static CampaignServiceGrpc.CampaignServiceBlockingStub campaigns() {
        return CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    private static void await(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static List<DialAttempt> attempts(String campaign) {
        return campaigns().listDialAttempts(ListDialAttemptsRequest.newBuilder().setCampaignId(campaign).setPageSize(100)
                .build()).getAttemptsList();
    }

    @Test
    void aCampaignDialsTheSoftphoneRetriesAndCompletesWithTranscriptsAndStatistics() throws Exception {
        String zone = zoneAt(10, 18);
        String answers = "+12125550201";
        String busyThenAnswers = "+12125550202";
        String doNotCall = "+12125550203";
        String ringsOut = "+12125550204";
        phone.script(busyThenAnswers, new Softphone.Behaviour.Busy());
        phone.script(ringsOut, new Softphone.Behaviour.NoAnswer(Duration.ofMillis(500)),
                new Softphone.Behaviour.NoAnswer(Duration.ofMillis(500)));
        ComplianceServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key)).addDoNotCallNumbers(
                AddDoNotCallNumbersRequest.newBuilder().addPhoneNumbers(doNotCall).setReason("asked not to be called").build());
        String list = list("Run", Map.of(answers, zone, busyThenAnswers, zone, doNotCall, zone, ringsOut, zone));
        Campaign c = startCampaign(list, 2, RetryPolicy.newBuilder().setMaxAttempts(2)
                .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build());

        await("the campaign to complete", Duration.ofSeconds(90), () -> campaigns().getCampaign(
                GetCampaignRequest.newBuilder().setId(c.getId()).build()).getState() == Campaign.State.STATE_COMPLETED);

        assertFalse(phone.history().stream().anyMatch(p -> p.to().equals(doNotCall)), "the do-not-call number rang");
        assertTrue(phone.peakActiveCalls() <= 2, "more calls at once than the campaign allows: " + phone.peakActiveCalls());
        List<DialAttempt> all = attempts(c.getId());
        assertEquals(5, all.size(), all.toString());
        Map<String, List<String>> outcomes = new java.util.TreeMap<>();
        all.forEach(a -> outcomes.computeIfAbsent(a.getToNumber(), k -> new java.util.ArrayList<>()).add(a.getOutcome()));
        assertEquals(Map.of(answers, List.of("completed"), busyThenAnswers, List.of("busy", "completed"),
                ringsOut, List.of("no_answer", "no_answer")), outcomes);

        CampaignStats stats = campaigns().getCampaignStats(GetCampaignStatsRequest.newBuilder().setId(c.getId()).build());
        assertEquals(Map.of("done", 2L, "exhausted", 1L, "skipped", 1L), stats.getContactsMap());
        assertEquals(Map.of("completed", 2L, "busy", 1L, "no_answer", 2L), stats.getOutcomesMap());
        assertEquals(Map.of("do_not_call", 1L), stats.getRefusalsMap());
        assertEquals(2, stats.getConnected());
        assertEquals(2, stats.getContactsReached());

        // the answered call is a live call like any other: transcribed, recorded, summarised
        DialAttempt reached = all.stream().filter(a -> a.getToNumber().equals(answers)).findFirst().orElseThrow();
        assertFalse(reached.getCallId().isEmpty(), "the attempt names its call");
        var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        Call[] call = new Call[1];
        await("the pipeline to finish", Duration.ofSeconds(60), () -> {
            call[0] = calls.getCall(GetCallRequest.newBuilder().setId(reached.getCallId()).build());
            return call[0].hasSummary() && call[0].hasRecording();
        });
        assertEquals(Call.State.STATE_ENDED, call[0].getState());
        assertEquals(c.getId(), call[0].getCampaignId());
        assertEquals(answers, call[0].getToNumber());
        assertTrue(call[0].getAudioDuration().getSeconds() >= 2, call[0].getAudioDuration().toString());
        String heard = String.join(" ", call[0].getTranscriptList().stream().map(t -> t.getText()).toList()).toLowerCase();
        assertFalse(heard.isBlank(), "the callee's speech was transcribed");
        assertFalse(call[0].getSummary().getText().isBlank());
    }

    @Test
    void aScriptedPersonaAnswersInItsOwnVoiceAndIsHeardOnTheCustomersChannel() throws Exception {
        String number = "+12125550221";
        String answer = "Please call me back tomorrow morning about the insurance quote.";
        phone.persona(number, io.switchboard.devtools.Persona.talking("Hello?", answer));
        Campaign c = startCampaign(list("Persona", Map.of(number, zoneAt(10, 18))), 1, RetryPolicy.newBuilder()
                .setMaxAttempts(1).build());
        await("the campaign to complete", Duration.ofSeconds(90), () -> campaigns().getCampaign(
                GetCampaignRequest.newBuilder().setId(c.getId()).build()).getState() == Campaign.State.STATE_COMPLETED);
        DialAttempt reached = attempts(c.getId()).getFirst();
        assertEquals("completed", reached.getOutcome());
        var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        Call[] call = new Call[1];
        await("the pipeline to finish", Duration.ofSeconds(60), () -> {
            call[0] = calls.getCall(GetCallRequest.newBuilder().setId(reached.getCallId()).build());
            return call[0].hasSummary() && call[0].hasRecording();
        });
        // no agent speaks yet, so the call is the callee's channel alone (mono, "unknown"); with one, "customer"
        String callee = String.join(" ", call[0].getTranscriptList().stream().filter(t -> !t.getSpeaker()
                .equals("agent")).map(t -> t.getText()).toList()).toLowerCase(java.util.Locale.ROOT);
        assertTrue(callee.contains("call me back") || callee.contains("tomorrow morning"),
                "the callee's channel, as PocketSphinx heard it: '" + callee + "' of " + call[0].getTranscriptList());
        List<String> events = phone.conversation(phone.history().stream().filter(p -> p.to().equals(number))
                .findFirst().orElseThrow().sid()).orElseThrow().events();
        assertTrue(events.indexOf("callee says: Hello?") < events.indexOf("callee says: " + answer), events.toString());
    }

    @Test
    void pauseStopsDialingAndCancelHangsUpWithinSecondsWhileTheWindowDefersTheNightOwl() throws Exception {
        String zone = zoneAt(10, 18);
        String night = zoneAt(1, 5);
        List<String> ringing = List.of("+12125550211", "+12125550212", "+12125550213");
        for (String n : ringing) {
            phone.script(n, new Softphone.Behaviour.NoAnswer(Duration.ofSeconds(40)));
        }
        String owl = "+12125550214";
        Campaign nightly = startCampaign(list("Night", Map.of(owl, night)), 1, RetryPolicy.getDefaultInstance());
        String list = list("Stop", Map.of(ringing.get(0), zone, ringing.get(1), zone, ringing.get(2), zone));
        Campaign c = startCampaign(list, 2, RetryPolicy.getDefaultInstance());
        await("two calls ringing", Duration.ofSeconds(20), () -> attempts(c.getId()).size() == 2
                && attempts(c.getId()).stream().allMatch(a -> a.getState().equals("ringing")));

        campaigns().pauseCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
        Thread.sleep(2000);
        assertEquals(2, attempts(c.getId()).size(), "nothing new is dialled while paused");

        Instant cancelled = Instant.now();
        campaigns().cancelCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
        await("the carrier to hang up both calls", Duration.ofSeconds(5), () -> attempts(c.getId()).stream()
                .allMatch(a -> a.getOutcome().equals("canceled")));
        assertTrue(Duration.between(cancelled, Instant.now()).toSeconds() < 5);
        assertFalse(phone.history().stream().anyMatch(p -> p.to().equals(owl)), "called at night");
        var owlState = campaigns().listCampaignContacts(ListCampaignContactsRequest.newBuilder()
                .setCampaignId(nightly.getId()).build()).getContactsList().stream().filter(x -> x.getLastReason().startsWith("outside_calling_window"))
                .toList();
        assertEquals(1, owlState.size(), "the night-time contact is deferred with its reason");
        assertTrue(owlState.getFirst().getNextAttemptTime().getSeconds() > Instant.now().getEpochSecond() + 3600);
        Thread.sleep(1000);
        assertEquals(2, attempts(c.getId()).size(), "nothing is dialled after a cancel");
    }

    @Test
    void anInboundCallFromTheCarrierIsAnsweredByTheAgentItsNumberNames() throws Exception {
        String voice = "http://127.0.0.1:" + stack.server().port() + "/telephony/twilio/voice?agent_id=" + agentId;
        Map<String, List<String>> form = new java.util.LinkedHashMap<>();
        form.put("CallSid", List.of("CA0123456789abcdef0123456789abcdef"));
        form.put("From", List.of("+12125550299"));
        form.put("To", List.of("+14155550100"));
        form.put("Direction", List.of("inbound"));
        String body = FormEncoding.encode(form);
        assertEquals(403, post(voice, body, Optional.empty()).statusCode());
        HttpResponse<String> twiml = post(voice, body, Optional.of(TwilioSignature.sign(phone.authToken(), voice, form)));
        assertEquals(200, twiml.statusCode(), twiml.body());
        String unknown = voice.replace(agentId, UUID.randomUUID().toString());
        assertEquals(404, post(unknown, body, Optional.of(TwilioSignature.sign(phone.authToken(), unknown, form))).statusCode());

        // the carrier connects the stream the TwiML names, with its parameters, as Twilio does
        java.util.regex.Matcher url = java.util.regex.Pattern.compile("<Stream url=\"([^\"]+)\"").matcher(twiml.body());
        assertTrue(url.find(), twiml.body());
        var params = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        java.util.regex.Matcher p = java.util.regex.Pattern.compile("<Parameter name=\"([^\"]+)\" value=\"([^\"]*)\"/>")
                .matcher(twiml.body());
        while (p.find()) {
            params.put(p.group(1), p.group(2));
        }
        assertEquals("+12125550299", params.path("from").asText());
        String media = url.group(1);
        // the stream's claims are bound to the webhook's answer: another caller number breaks the token
        CompletableFuture<Integer> forged = new CompletableFuture<>();
        WebSocket liar = HTTP.newWebSocketBuilder().header(TwilioSignature.HEADER, TwilioSignature.sign(phone.authToken(),
                media, Map.of())).buildAsync(URI.create(media), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
                        forged.complete(code);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
        var lie = params.deepCopy().put("from", "+12125550298");
        liar.sendText("{\"event\":\"start\",\"start\":{\"callSid\":\"CA0123456789abcdef0123456789abcdef\","
                + "\"customParameters\":" + lie + ",\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,"
                + "\"channels\":1}}}", true).get(5, TimeUnit.SECONDS);
        assertEquals(1008, forged.get(5, TimeUnit.SECONDS), "a forged start is a policy violation");
        WebSocket ws = HTTP.newWebSocketBuilder().header(TwilioSignature.HEADER, TwilioSignature.sign(phone.authToken(),
                media, Map.of())).buildAsync(URI.create(media), new WebSocket.Listener() { }).get(5, TimeUnit.SECONDS);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        ws.sendText("{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}", true).get(5, TimeUnit.SECONDS);
        var start = json.createObjectNode().put("event", "start").put("streamSid", "MZ1");
        start.putObject("start").put("callSid", "CA0123456789abcdef0123456789abcdef").put("streamSid", "MZ1")
                .setAll(java.util.Map.of("customParameters", params));
        ((com.fasterxml.jackson.databind.node.ObjectNode) start.get("start")).putObject("mediaFormat")
                .put("encoding", "audio/x-mulaw").put("sampleRate", 8000).put("channels", 1);
        ws.sendText(start.toString(), true).get(5, TimeUnit.SECONDS);
        byte[] speech = Softphone.mulaw8k(java.nio.file.Files.readAllBytes(Path.of(DevStack.DEFAULT_SPEECH)));
        for (int off = 0; off < speech.length; off += 160) {
            var m = json.createObjectNode().put("event", "media").put("streamSid", "MZ1");
            m.putObject("media").put("track", "inbound").put("payload", java.util.Base64.getEncoder().encodeToString(
                    java.util.Arrays.copyOfRange(speech, off, Math.min(speech.length, off + 160))));
            ws.sendText(m.toString(), true).get(5, TimeUnit.SECONDS);
        }
        ws.sendText("{\"event\":\"stop\",\"streamSid\":\"MZ1\",\"stop\":{\"callSid\":\"CA0123456789abcdef0123456789abcdef\"}}",
                true).get(5, TimeUnit.SECONDS);

        var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        Call[] inbound = new Call[1];
        await("the inbound call to be transcribed", Duration.ofSeconds(60), () -> {
            inbound[0] = calls.listCalls(io.switchboard.v1.ListCallsRequest.newBuilder().setPageSize(100).build())
                    .getCallsList().stream().filter(c -> c.getFromNumber().equals("+12125550299")).findFirst()
                    .map(c -> calls.getCall(GetCallRequest.newBuilder().setId(c.getId()).build())).orElse(null);
            return inbound[0] != null && inbound[0].hasSummary();
        });
        assertEquals(io.switchboard.v1.OpenCall.Direction.DIRECTION_INBOUND, inbound[0].getDirection());
        assertEquals(agentId, inbound[0].getAgentId());
        assertEquals("+14155550100", inbound[0].getToNumber());
        assertFalse(inbound[0].getTranscriptList().isEmpty(), "transcribed");
    }

    @Test
    void healthAndPrometheusMetricsAreServedBesideTheApi() throws Exception {
        campaigns().listCampaigns(io.switchboard.v1.ListCampaignsRequest.getDefaultInstance());
        String base = "http://127.0.0.1:" + stack.server().port() + "/observe";
        HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
        for (String check : List.of("database", "object-store", "speech-recognizer")) {
            assertTrue(ready.body().contains("\"" + check + "\""), ready.body());
        }
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health/live")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Accept", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        String m = metrics.body();
        assertTrue(m.contains("switchboard_rpc_requests_total{") && m.contains("ListCampaigns"), m);
        for (String name : List.of("switchboard_rpc_duration_seconds", "switchboard_live_calls",
                "switchboard_live_audio_received_bytes_total",
                "switchboard_queue_depth{", "switchboard_queue_oldest_age_seconds{", "switchboard_retention_lag_seconds{")) {
            assertTrue(m.contains(name), name + " missing from\n" + m);
        }
    }

    @Test
    void carrierRequestsWithoutTheAccountsSignatureAreRefused() throws Exception {
        String base = "http://127.0.0.1:" + stack.server().port();
        String url = base + "/telephony/twilio/status?attempt_id=" + UUID.randomUUID();
        String body = "CallSid=CA1&CallStatus=completed";
        assertEquals(403, post(url, body, Optional.empty()).statusCode());
        assertEquals(403, post(url, body, Optional.of("bm90IGEgc2lnbmF0dXJl")).statusCode());
        Map<String, List<String>> form = Map.of("CallSid", List.of("CA1"), "CallStatus", List.of("completed"));
        String signed = TwilioSignature.sign(phone.authToken(), url, form);
        assertEquals(404, post(url, body, Optional.of(signed)).statusCode(), "signed, but no such attempt");
        String tampered = "CallSid=CA1&CallStatus=busy";
        assertEquals(403, post(url, tampered, Optional.of(signed)).statusCode(), "a body other than the one signed");

        String media = "ws://127.0.0.1:" + stack.server().port() + "/telephony/twilio/media";
        var unsigned = HTTP.newWebSocketBuilder().buildAsync(URI.create(media), new WebSocket.Listener() { });
        assertTrue(assertFails(unsigned), "an unsigned media stream is not upgraded");
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket ws = HTTP.newWebSocketBuilder().header(TwilioSignature.HEADER, TwilioSignature.sign(phone.authToken(),
                media, Map.of())).buildAsync(URI.create(media), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
                        closed.complete(code);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
        ws.sendText("{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"customParameters\":{\"attempt_id\":\""
                + UUID.randomUUID() + "\"},\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,"
                + "\"channels\":1}}}", true).get(5, TimeUnit.SECONDS);
        assertEquals(1008, closed.get(5, TimeUnit.SECONDS), "an unknown attempt is a policy violation");
    }

    private static boolean assertFails(CompletableFuture<WebSocket> f) {
        try {
            f.get(5, TimeUnit.SECONDS).abort();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    private static HttpResponse<String> post(String url, String body, Optional<String> signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type",
                "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
        signature.ifPresent(s -> b.header(TwilioSignature.HEADER, s));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
