package io.switchboard.app;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CallingWindow;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignStats;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
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

/**
 * {@code ./switchboard demo-campaign [NUMBER...]}: runs a small outbound campaign against a running server and
 * follows it to the end: the dialer calls each number through the carrier (in dev, the softphone, whose
 * callee answers and speaks a recording), and the command prints progress, then each call's transcript,
 * summary and disposition. The demo campaign calls at any hour (window 00:00–23:59); real campaigns default
 * to 08:00–21:00 in the callee's time.
 */
final class CampaignClient {

    static final List<String> DEMO_NUMBERS = List.of("+12125550301", "+12125550302", "+12125550303");

    private CampaignClient() {
    }

    /** {@code demo-campaign [NUMBER...] [--concurrency N] [--target HOST:PORT]}, as {@link Main}'s table runs it. */
    static int command(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Deque<String> args = new ArrayDeque<>(argv);
        List<String> numbers = new ArrayList<>();
        String target = "127.0.0.1:50051";
        int concurrency = 2;
        while (!args.isEmpty()) {
            String a = args.pop();
            switch (a) {
                case "--target" -> target = args.isEmpty() ? target : args.pop();
                case "--concurrency" -> {
                    try {
                        concurrency = Integer.parseInt(args.isEmpty() ? "" : args.pop());
                    } catch (NumberFormatException e) {
                        throw new Command.Failed("--concurrency needs a number of calls at once, e.g. --concurrency 2");
                    }
                }
                default -> numbers.add(a);
            }
        }
        return run(numbers.isEmpty() ? DEMO_NUMBERS : numbers, target, CallClient.apiKey(), concurrency, out);
    }

    static int run(List<String> numbers, String target, String key, int concurrency, PrintStream out) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            CallCredentials creds = CallClient.bearer(key);
            var contacts = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            var campaigns = CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            var calls = CallServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            String agent = CallClient.demoAgent(channel, creds);
            String list = contacts.createContactList(CreateContactListRequest.newBuilder().setContactList(
                    ContactList.newBuilder().setName("Demo campaign " + Instant.now())).build()).getId();
            for (String n : numbers) {
                contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder().setPhoneNumber(n)
                        .addListIds(list)).setDefaultRegion("US").build());
            }
            Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                    .setName("Demo campaign").setAgentId(agent).setContactListId(list).setCallerId("+14155550100")
                    .setMaxConcurrency(concurrency).addAllDispositionCodes(List.of("interested", "not_interested", "callback"))
                    .setCallingWindow(CallingWindow.newBuilder().setStartLocalTime("00:00").setEndLocalTime("23:59"))
                    .setRetryPolicy(RetryPolicy.newBuilder().setMaxAttempts(2)
                            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5)))).build());
            var texts = io.switchboard.v1.MessagingServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            followUps(channel, creds, texts, c, out);
            campaigns.startCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
            out.printf("campaign %s started: %d contact(s), %d call(s) at once%n", c.getId(), numbers.size(), concurrency);
            String last = "";
            while (true) {
                Campaign now = campaigns.getCampaign(GetCampaignRequest.newBuilder().setId(c.getId()).build());
                CampaignStats s = campaigns.getCampaignStats(GetCampaignStatsRequest.newBuilder().setId(c.getId()).build());
                String line = "contacts " + s.getContactsMap() + "  attempts " + s.getOutcomesMap() + "  live "
                        + s.getActive() + (s.getRefusalsCount() > 0 ? "  refused " + s.getRefusalsMap() : "");
                if (!line.equals(last)) {
                    out.println("  " + line);
                    last = line;
                }
                if (now.getState() == Campaign.State.STATE_COMPLETED || now.getState() == Campaign.State.STATE_CANCELLED) {
                    out.println("campaign " + now.getState().name().substring("STATE_".length()).toLowerCase());
                    break;
                }
                Thread.sleep(1000);
            }
            campaigns.listCampaignContacts(ListCampaignContactsRequest.newBuilder().setCampaignId(c.getId()).build())
                    .getContactsList().stream().filter(x -> !x.getLastReason().isEmpty())
                    .forEach(x -> out.println("  contact " + x.getContactId() + ": " + x.getState() + " (" + x.getLastReason() + ")"));
            List<DialAttempt> answered = campaigns.listDialAttempts(ListDialAttemptsRequest.newBuilder()
                    .setCampaignId(c.getId()).setPageSize(1000).build()).getAttemptsList().stream()
                    .filter(a -> !a.getCallId().isEmpty()).toList();
            for (DialAttempt a : answered) {
                Call call = awaitPipeline(calls, a.getCallId());
                out.printf("%ncall %s to %s (attempt %d, %s):%n", call.getId(), a.getToNumber(), a.getAttempt(),
                        a.getOutcome());
                call.getTranscriptList().forEach(t -> out.printf("  [%s] %s%n", t.getSpeaker(), t.getText()));
                if (call.hasSummary()) {
                    out.println("  summary: " + call.getSummary().getText());
                    out.println("  disposition: " + (call.getSummary().getDisposition().isEmpty() ? "(none chosen)"
                            : call.getSummary().getDisposition()));
                }
                for (io.switchboard.v1.CallFollowUp f : call.getFollowUpsList()) {
                    if (f.getMessageId().isEmpty()) {
                        out.println("  follow-up refused (" + f.getRefusal() + "): " + f.getDetail());
                    } else {
                        io.switchboard.v1.Message m = texts.getMessage(io.switchboard.v1.GetMessageRequest.newBuilder()
                                .setId(f.getMessageId()).build());
                        out.println("  follow-up text to " + m.getTo() + " (" + m.getStatus() + "): " + m.getBody());
                    }
                }
            }
            return 0;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Gives the demo campaign a follow-up text per disposition code, from the caller id as an SMS sender (added
     * if the organisation has none), so the run shows what its calls triggered.
     */
    private static void followUps(ManagedChannel channel, CallCredentials creds,
                                  io.switchboard.v1.MessagingServiceGrpc.MessagingServiceBlockingStub texts, Campaign c,
                                  PrintStream out) {
        try {
            if (texts.listSenders(io.switchboard.v1.ListSendersRequest.getDefaultInstance()).getSendersList().stream()
                    .noneMatch(x -> x.getAddress().equals(c.getCallerId()))) {
                texts.addSender(io.switchboard.v1.AddSenderRequest.newBuilder().setAddress(c.getCallerId()).build());
            }
            String template = texts.listMessageTemplates(io.switchboard.v1.ListMessageTemplatesRequest.newBuilder()
                    .setPageSize(1000).build()).getTemplatesList().stream().filter(t -> t.getName().equals("demo-follow-up"))
                    .map(io.switchboard.v1.MessageTemplate::getId).findFirst().orElseGet(() -> texts.createMessageTemplate(
                            io.switchboard.v1.CreateMessageTemplateRequest.newBuilder().setTemplate(
                                    io.switchboard.v1.MessageTemplate.newBuilder().setName("demo-follow-up")
                                            .setChannel(io.switchboard.v1.MessageChannel.MESSAGE_CHANNEL_SMS)
                                            .setBody("Thanks for talking with us. We noted: {{call.disposition}}."
                                                    + " Reply STOP to opt out.")).build()).getId());
            var rules = io.switchboard.v1.FollowUpServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            for (String code : c.getDispositionCodesList()) {
                rules.createFollowUp(io.switchboard.v1.CreateFollowUpRequest.newBuilder().setFollowUp(
                        io.switchboard.v1.FollowUp.newBuilder().setCampaignId(c.getId()).setDisposition(code)
                                .setTemplateId(template).setFrom(c.getCallerId())).build());
            }
        } catch (io.grpc.StatusRuntimeException e) {
            out.println("  (no follow-up texts: " + e.getStatus().getCode() + " " + e.getStatus().getDescription() + ")");
        }
    }

    private static Call awaitPipeline(CallServiceGrpc.CallServiceBlockingStub calls, String id) throws InterruptedException {
        Set<String> done = Set.of("succeeded", "skipped", "failed");
        Call c;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        do {
            c = calls.getCall(GetCallRequest.newBuilder().setId(id).build());
            if (c.getStagesList().stream().anyMatch(s -> s.getName().equals("usage") && done.contains(s.getState()))) {
                return c;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < until);
        return c;
    }
}
