package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.ScriptedCaller;
import io.switchboard.devtools.Softphone;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CallingWindow;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.GetOrganizationRequest;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.ListMessageTemplatesRequest;
import io.switchboard.v1.ListThreadsRequest;
import io.switchboard.v1.MessageTemplate;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.Organization;
import io.switchboard.v1.OrganizationServiceGrpc;
import io.switchboard.v1.Role;
import io.switchboard.v1.SendSmsNode;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console in a real browser against the real dev stack: a Node script (console/e2e/console.e2e.mjs)
 * drives Debian's headless Chromium through playwright-core — sign in, create an agent and a campaign, import
 * contacts, follow a live call, open a processed call (transcript, summary, recording), retention, audit,
 * usage, an agent's flow and voice, the agent's texts and its send_sms node, a conversation's turns and latencies, a
 * campaign's outcomes, texts through the dev softphone (delivered, refused, templates, opt-outs), the organisation's
 * messaging settings (and a viewer refused saving them) — checks what it saved through the API, and saves
 * screenshots of every page in {@code target/console-screenshots}. The calls it opens are real: speech streamed
 * over gRPC and processed by the worker, as a telephony bridge would send it, and a flow agent's conversation
 * with a scripted caller.
 */
class ConsoleEndToEndTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path CONSOLE = REPO.resolve("console");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);
    private static final String SENDER = "+14155550100";

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        // the softphone is the carrier of the browser's texts; the dialer never ticks, so the campaign the browser
        // starts places no calls of its own
        stack = TestStacks.start(home, Map.of("dialer.tick-interval", "PT24H", "messaging.per-sender-interval", "PT0.1S",
                "transcription.pool-size", "2"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.server().port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void aPersonSignsInManagesAgentsCampaignsAndContactsAndReviewsACallInTheBrowser() throws Exception {
        Path playwright = CONSOLE.resolve("node_modules/playwright-core");
        if (!Files.isDirectory(playwright)) {
            fail("the console's npm packages are missing (" + playwright + "): run ./switchboard test, which runs npm ci"
                    + " in console/, or 'cd console && npm ci'");
        }
        if (!Files.isExecutable(CHROMIUM)) {
            fail(CHROMIUM + " is missing: run ./switchboard setup (installs Debian's chromium)");
        }
        String key = TestStacks.organization(channel, stack.operatorKey(), "Console", "growth");
        String agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key))
                .createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setName("Clinic reminders")
                        .setLanguage("en-US")).build()).getId();
        CallServiceGrpc.CallServiceStub calls = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(key));

        // a processed two-speaker call: the agent (espeak-ng) on the left channel, the customer (LibriVox) on the right
        short[] agentSays = SpeechAudio.pcm16(SpeechAudio.espeak(home, "good morning this is the clinic calling about your"
                + " appointment on friday", 16_000));
        short[] customerSays = SpeechAudio.librivox().get(3).samples();
        int gap = 16_000 / 2;
        short[] left = java.util.Arrays.copyOf(agentSays, agentSays.length + gap + customerSays.length);
        short[] right = new short[left.length];
        System.arraycopy(customerSays, 0, right, agentSays.length + gap, customerSays.length);
        Call processed = stream(calls, agentId, stereo(left, right), 2, Duration.ZERO).get(60, TimeUnit.SECONDS);
        Call done = TestCalls.awaitPipeline(CallServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(TestStacks.bearer(key)), processed.getId(), Duration.ofSeconds(60));
        assertTrue(done.getTranscriptCount() > 0 && !done.getSummary().getText().isBlank(), "processed: " + done);

        // a conversation the agent holds on a campaign's call: the caller talks over the greeting, then answers both
        // questions, so the call has turns both ways, a cut, each reply's latency and two variables filled live
        Call conversation = converse(key);
        String campaignId = conversation.getCampaignId();

        // a live call that goes on while the browser watches it, at the pace of a phone line
        short[] longer = concat(SpeechAudio.librivox().get(1).samples(), SpeechAudio.librivox().get(4).samples(),
                SpeechAudio.librivox().get(2).samples());
        CompletableFuture<String> liveId = new CompletableFuture<>();
        CompletableFuture<Call> live = stream(calls, agentId, TestCalls.pcmBytes(longer), 1, Duration.ofMillis(20), liveId);

        // texts: a sender number, a contact where it is daytime (the browser texts them), and one who texted STOP
        String textTo = "+14155550161";
        String optedOut = "+14155550162";
        textsSetUp(key, textTo, optedOut);

        Path shots = Path.of("target", "console-screenshots").toAbsolutePath();
        // the script's output goes to a file, read once it exits: a thread reading the pipe from the common
        // pool would hold its only worker on two cores, where the object store's client runs its uploads
        Path log = Files.createTempFile("console.e2e", ".log");
        ProcessBuilder node = new ProcessBuilder("node", "e2e/console.e2e.mjs").directory(CONSOLE.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        node.environment().putAll(Map.of(
                "SWITCHBOARD_URL", "http://127.0.0.1:" + stack.server().port(),
                "SWITCHBOARD_API_KEY", key,
                "SWITCHBOARD_CALL_ID", done.getId(),
                "SWITCHBOARD_TALK_CALL_ID", conversation.getId(),
                "SWITCHBOARD_CAMPAIGN_ID", campaignId,
                "SWITCHBOARD_LIVE_CALL_ID", liveId.get(10, TimeUnit.SECONDS),
                "SCREENSHOT_DIR", shots.toString(),
                "CHROMIUM", CHROMIUM.toString()));
        node.environment().put("SWITCHBOARD_TEXT_TO", textTo);
        node.environment().put("SWITCHBOARD_OPTED_OUT", optedOut);
        node.environment().put("SWITCHBOARD_SENDER", SENDER);
        node.environment().put("SWITCHBOARD_VIEWER_KEY", ApiKeyServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(TestStacks.bearer(key)).createApiKey(CreateApiKeyRequest.newBuilder().setName("viewer")
                        .setRole(Role.ROLE_VIEWER).build()).getSecret());
        Process p = node.start();
        boolean exited = p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        System.out.println(out);
        assertTrue(exited, "the browser test did not finish within " + SCRIPT_TIMEOUT + ":\n" + out);
        assertEquals(0, p.exitValue(), "the browser test failed:\n" + out);
        live.get(60, TimeUnit.SECONDS);
        savedAsTheBrowserSaidThem(key);
        for (String page : List.of("03-agent-saved", "03c-agent-flow", "03e-agent-texts", "04-contacts-import", "05-campaign",
                "05b-campaign-outcomes", "07-call", "07b-conversation", "08-retention", "09-audit", "10-usage", "11-agents",
                "12-campaigns", "13-contacts", "14-messages-thread", "14b-messages-refused", "15-message-templates",
                "16-opt-outs", "17-messaging-settings")) {
            assertTrue(Files.size(shots.resolve(page + ".png")) > 10_000, "screenshot " + page);
        }
    }

    /**
     * What the browser saved, read back through the API: the agent's texts (the template it made and then changed in
     * place, listed once after the duplicate was refused) and its send_sms node; the organisation's HELP answer and
     * STOP confirmations off (the viewer's attempt to turn them back on was refused).
     */
    private static void savedAsTheBrowserSaidThem(String key) {
        var creds = TestStacks.bearer(key);
        Agent agent = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(creds)
                .listAgents(ListAgentsRequest.newBuilder().setPageSize(50).build()).getAgentsList().stream()
                .filter(a -> a.getName().equals("Renewals (e2e)")).findFirst().orElseThrow();
        assertEquals(List.of("renewal_link"), agent.getSmsTemplatesList(), "the agent's texts");
        SendSmsNode sms = agent.getFlow().getNodesList().stream().filter(FlowNode::hasSendSms).findFirst()
                .orElseThrow(() -> new AssertionError("no send_sms node: " + agent.getFlow())).getSendSms();
        assertEquals(SendSmsNode.newBuilder().setTemplate("renewal_link").setFrom(SENDER).setNext("end_2").build(), sms);
        MessageTemplate template = MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(creds)
                .listMessageTemplates(ListMessageTemplatesRequest.getDefaultInstance()).getTemplatesList().stream()
                .filter(t -> t.getName().equals("renewal_link")).findFirst().orElseThrow();
        assertEquals("Hi {{first_name}}, renew your plan here: https://example.com/renew \uD83D\uDE42", template.getBody());
        Organization org = OrganizationServiceGrpc.newBlockingStub(channel).withCallCredentials(creds)
                .getOrganization(GetOrganizationRequest.getDefaultInstance());
        assertEquals("{organization}: for help call 415 555 0100 or visit example.com/help. Reply STOP to opt out.",
                org.getMessagingHelpText());
        assertFalse(org.getConfirmOptOut(), "STOP confirmations off, and still off after the viewer's refused save");
    }

    /**
     * The organisation's sender number and two contacts in a daytime zone (so their calling window is open):
     * {@code textTo}, whom the browser texts, and {@code optedOut}, who texts STOP from the softphone first; waits
     * until that thread is opted out.
     */
    private static void textsSetUp(String key, String textTo, String optedOut) throws Exception {
        var creds = TestStacks.bearer(key);
        var texts = MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
        texts.addSender(AddSenderRequest.newBuilder().setAddress(SENDER).build());
        var contacts = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
        String zone = MessagingEndToEndTest.zoneAt(10, 18);
        contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder().setPhoneNumber(textTo)
                .setFirstName("Ada").setTimeZone(zone)).build());
        contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder().setPhoneNumber(optedOut)
                .setFirstName("Alan").setTimeZone(zone)).build());
        Softphone phone = stack.softphone().orElseThrow(() -> new AssertionError("no softphone: is pocketsphinx-testdata"
                + " installed?"));
        assertEquals(200, phone.text(optedOut, SENDER, "STOP", "http://127.0.0.1:" + stack.server().port()
                + TwilioMessaging.INBOUND_PATH));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (texts.listThreads(ListThreadsRequest.getDefaultInstance()).getThreadsList().stream()
                .noneMatch(t -> t.getContactPhone().equals(optedOut) && t.getOptedOut())) {
            assertTrue(System.nanoTime() < deadline, "the STOP never opted " + optedOut + " out");
            Thread.sleep(100);
        }
    }

    /**
     * A flow agent's real conversation on a campaign whose window is always open (the same script as
     * ConversationEndToEndTest's barge-in test), processed by the pipeline; returns the finished call.
     */
    private static Call converse(String key) throws Exception {
        var creds = TestStacks.bearer(key);
        String agentId = AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(creds).createAgent(CreateAgentRequest
                .newBuilder().setAgent(TestAgents.appointments("Appointments")
                        .setFirstMessage("Hello, this is the clinic calling about your appointment with doctor Jones next "
                                + "Tuesday, and there are a few things I need to check with you before then."))
                .build()).getId();
        String listId = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(creds).createContactList(
                CreateContactListRequest.newBuilder().setContactList(ContactList.newBuilder().setName("Patients")).build())
                .getId();
        CallingWindow always = CallingWindow.newBuilder().setStartLocalTime("00:00").setEndLocalTime("23:59")
                .setFallbackTimeZone("UTC").addAllDaysOfWeek(List.of(1, 2, 3, 4, 5, 6, 7)).build();
        String campaignId = CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(creds).createCampaign(
                CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder().setName("Appointment checks")
                        .setAgentId(agentId).setContactListId(listId).setCallerId("+14155550100").setCallingWindow(always)
                        .addDispositionCodes("confirmed")).build()).getId();
        var caller = ScriptedCaller.open(CallServiceGrpc.newStub(channel).withCallCredentials(creds), OpenCall.newBuilder()
                .setAgentId(agentId).setCampaignId(campaignId).setDirection(OpenCall.Direction.DIRECTION_OUTBOUND)
                .setFromNumber("+14155550100").setToNumber("+14155550177").setAgentSpeaks(true)
                .setFormat(AudioFormat.newBuilder().setEncoding(AudioFormat.Encoding.ENCODING_MULAW)
                        .setSampleRate(ScriptedCaller.RATE).setChannels(1)).build());
        caller.converse(List.of(ScriptedCaller.Answer.over(says("sorry who is calling please")),
                ScriptedCaller.Answer.after(says("sure")), ScriptedCaller.Answer.after(says("two people"))),
                Duration.ofSeconds(90));
        Call ended = caller.ended().orElseThrow(() -> new AssertionError("the conversation did not end"));
        return TestCalls.awaitPipeline(CallServiceGrpc.newBlockingStub(channel).withCallCredentials(creds), ended.getId(),
                Duration.ofSeconds(120));
    }

    /** espeak-ng saying {@code text}, at the scripted caller's 8 kHz. */
    private static short[] says(String text) throws Exception {
        return SpeechAudio.espeak8k(home, text);
    }

    private static CompletableFuture<Call> stream(CallServiceGrpc.CallServiceStub calls, String agentId, byte[] pcm,
                                                  int channels, Duration pace) {
        return stream(calls, agentId, pcm, channels, pace, new CompletableFuture<>());
    }

    /** Streams PCM16 16 kHz audio as a live call in 20 ms frames, {@code pace} apart; completes with the ended call. */
    private static CompletableFuture<Call> stream(CallServiceGrpc.CallServiceStub calls, String agentId, byte[] pcm,
                                                  int channels, Duration pace, CompletableFuture<String> accepted) {
        CompletableFuture<Call> ended = new CompletableFuture<>();
        StreamObserver<StreamCallRequest> out = calls.streamCall(new StreamObserver<>() {
            @Override
            public void onNext(StreamCallResponse r) {
                if (r.hasAccepted()) {
                    accepted.complete(r.getAccepted().getId());
                } else if (r.hasEnded()) {
                    ended.complete(r.getEnded());
                }
            }

            @Override
            public void onError(Throwable t) {
                accepted.completeExceptionally(t);
                ended.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                ended.completeExceptionally(new AssertionError("the stream closed without an ended call"));
            }
        });
        Thread.ofVirtual().start(() -> {
            try {
                out.onNext(StreamCallRequest.newBuilder().setOpen(OpenCall.newBuilder().setAgentId(agentId)
                        .setDirection(OpenCall.Direction.DIRECTION_OUTBOUND).setFromNumber("+14155550100")
                        .setToNumber("+14155550123").setFormat(AudioFormat.newBuilder()
                                .setEncoding(AudioFormat.Encoding.ENCODING_PCM16).setSampleRate(16_000).setChannels(channels)))
                        .build());
                int frame = 640 * channels; // 20 ms
                for (int i = 0; i < pcm.length; i += frame) {
                    out.onNext(StreamCallRequest.newBuilder()
                            .setAudio(ByteString.copyFrom(pcm, i, Math.min(frame, pcm.length - i))).build());
                    if (!pace.isZero()) {
                        Thread.sleep(pace);
                    }
                }
                out.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
                out.onCompleted();
            } catch (RuntimeException | InterruptedException e) {
                out.onError(e);
                ended.completeExceptionally(e);
            }
        });
        return ended;
    }

    private static byte[] stereo(short[] left, short[] right) {
        byte[] b = new byte[left.length * 4];
        for (int i = 0; i < left.length; i++) {
            b[4 * i] = (byte) left[i];
            b[4 * i + 1] = (byte) (left[i] >> 8);
            b[4 * i + 2] = (byte) right[i];
            b[4 * i + 3] = (byte) (right[i] >> 8);
        }
        return b;
    }

    private static short[] concat(short[]... parts) {
        int n = 0;
        for (short[] p : parts) {
            n += p.length;
        }
        short[] all = new short[n];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
