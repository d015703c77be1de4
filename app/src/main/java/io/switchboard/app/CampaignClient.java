package io.switchboard.app;

import static com.google.protobuf.util.Durations.toMillis;

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
 * scripted people answer), and the command prints progress, then each call's transcript, summary and disposition,
 * the follow-up text the disposition triggered with the person's replies (in dev, one thanks, one texts STOP), and
 * the numbers that opted out of texts. The demo campaign calls at any hour (window 00:00–23:59); real campaigns default
 * to 08:00–21:00 in the callee's time.
 */
final class CampaignClient {

    static final List<String> DEMO_NUMBERS = List.of("+12125550301", "+12125550302", "+12125550303", "+12125550304");

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
            String agent = campaignAgent(channel, creds);
            String list = contacts.createContactList(CreateContactListRequest.newBuilder().setContactList(
                    ContactList.newBuilder().setName("Demo campaign " + Instant.now())).build()).getId();
            for (String n : numbers) {
                contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder().setPhoneNumber(n)
                        .addListIds(list)).setDefaultRegion("US").build());
            }
            Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                    .setName("Demo campaign").setAgentId(agent).setContactListId(list).setCallerId("+14155550100")
                    .setMaxConcurrency(concurrency).addAllDispositionCodes(List.of("interested", "not_interested"))
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
                printCall(call, out);
                for (io.switchboard.v1.CallFollowUp f : call.getFollowUpsList()) {
                    if (f.getMessageId().isEmpty()) {
                        out.println("  follow-up text not sent (" + f.getRefusal() + "): " + f.getDetail());
                    } else {
                        printThread(texts, f.getMessageId(), out);
                    }
                }
            }
            var optOuts = texts.listOptOuts(io.switchboard.v1.ListOptOutsRequest.newBuilder().setPageSize(1000).build())
                    .getOptOutsList().stream().filter(o -> numbers.contains(o.getPhoneNumber())).toList();
            if (!optOuts.isEmpty()) {
                out.println();
                optOuts.forEach(o -> out.println("opted out of texts: " + o.getPhoneNumber() + " (texted " + o.getWords()
                        + "); every further text to it is refused (OPTED_OUT) until it texts START"));
            }
            return 0;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * The demo campaign's agent: it asks whether the person wants the details by text and ends the call with the
     * disposition {@code interested} (a yes) or {@code not_interested} (anything else), which the follow-up texts
     * are keyed on.
     */
    static String campaignAgent(ManagedChannel channel, CallCredentials creds) {
        var agents = io.switchboard.v1.AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
        return agents.listAgents(io.switchboard.v1.ListAgentsRequest.newBuilder().setPageSize(1000).build())
                .getAgentsList().stream().filter(a -> a.getName().equals("Demo campaign agent"))
                .map(io.switchboard.v1.Agent::getId).findFirst()
                .orElseGet(() -> agents.createAgent(io.switchboard.v1.CreateAgentRequest.newBuilder().setAgent(
                        io.switchboard.v1.Agent.newBuilder().setName("Demo campaign agent").setLanguage("en-US")
                                .setFirstMessage("Hello, this is Switchboard calling about our new plan.")
                                .setVoicemailMessage("Hi {{first_name|there}}, this is Switchboard calling about our new "
                                        + "plan. We'll text you the details. Goodbye.")
                                .addVariables(io.switchboard.v1.CaptureVariable.newBuilder().setName("wants_details")
                                        .setType(io.switchboard.v1.CaptureVariable.Type.TYPE_BOOLEAN))
                                .setFlow(io.switchboard.v1.Flow.newBuilder().setStartNode("ask")
                                        .addNodes(io.switchboard.v1.FlowNode.newBuilder().setId("ask").setAsk(
                                                io.switchboard.v1.AskNode.newBuilder().setVariable("wants_details")
                                                        .setPrompt("Shall I text you the details?").setNext("decide")))
                                        .addNodes(io.switchboard.v1.FlowNode.newBuilder().setId("decide").setBranch(
                                                io.switchboard.v1.BranchNode.newBuilder().setDefaultNext("no")
                                                        .addRules(io.switchboard.v1.BranchRule.newBuilder().setNext("yes")
                                                                .setVariable(io.switchboard.v1.VariableCondition.newBuilder()
                                                                        .setVariable("wants_details").setValue("true")
                                                                        .setOp(io.switchboard.v1.VariableCondition.Op.OP_EQUALS)))))
                                        .addNodes(io.switchboard.v1.FlowNode.newBuilder().setId("yes").setEnd(
                                                io.switchboard.v1.EndNode.newBuilder().setDisposition("interested")
                                                        .setText("Great, the details are on their way. Goodbye.")))
                                        .addNodes(io.switchboard.v1.FlowNode.newBuilder().setId("no").setEnd(
                                                io.switchboard.v1.EndNode.newBuilder().setDisposition("not_interested")
                                                        .setText("No problem. Thank you for your time. Goodbye.")))))
                        .build()).getId());
    }

    /**
     * One call as the demo shows it: both sides' turns, the summary, the variables the agent captured and the
     * disposition, then each agent reply's latency and its parts.
     */
    static void printCall(Call call, PrintStream out) {
        call.getTranscriptList().forEach(t -> out.printf("  [%s] %s%n", t.getSpeaker(), t.getText()));
        if (call.hasSummary()) {
            var s = call.getSummary();
            out.println("  summary: " + s.getText().strip().replace("\n", "\n           "));
            out.println("  variables: " + (s.getVariablesMap().isEmpty() ? "(none captured)"
                    : new java.util.TreeMap<>(s.getVariablesMap()).entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue()).collect(java.util.stream.Collectors.joining(", "))));
            out.println("  disposition: " + (s.getDisposition().isEmpty() ? "(none chosen)" : s.getDisposition()));
        }
        for (io.switchboard.v1.TurnLatency l : call.getTurnLatenciesList()) {
            out.printf("  reply %d: %d ms (endpointing %d, recogniser %d%s, decision %d, first audio %d)%n", l.getTurn(),
                    toMillis(l.getTotal()), toMillis(l.getEndpointing()), toMillis(l.getRecognizer()),
                    toMillis(l.getMachineDetection()) > 0 ? ", machine detection " + toMillis(l.getMachineDetection())
                            : "", toMillis(l.getDecision()), toMillis(l.getFirstAudio()));
        }
    }

    /** The demo campaign's follow-up text per disposition: the details for a yes, a thank-you otherwise. */
    static final java.util.Map<String, String> FOLLOW_UP_TEXTS = java.util.Map.of(
            "interested", "Here are the details we promised: https://switchboard.example/plan. Reply STOP to opt out.",
            "not_interested", "Thanks for your time today. Call us back if you change your mind. Reply STOP to opt out.");

    /**
     * Gives the demo campaign a follow-up text per disposition code (a template each), from the caller id as an SMS
     * sender (added if the organisation has none), so the run shows the texts its calls triggered and the replies.
     */
    private static void followUps(ManagedChannel channel, CallCredentials creds,
                                  io.switchboard.v1.MessagingServiceGrpc.MessagingServiceBlockingStub texts, Campaign c,
                                  PrintStream out) {
        try {
            if (texts.listSenders(io.switchboard.v1.ListSendersRequest.newBuilder().setPageSize(1000).build())
                    .getSendersList().stream().noneMatch(x -> x.getAddress().equals(c.getCallerId()))) {
                texts.addSender(io.switchboard.v1.AddSenderRequest.newBuilder().setAddress(c.getCallerId()).build());
            }
            var existing = texts.listMessageTemplates(io.switchboard.v1.ListMessageTemplatesRequest.newBuilder()
                    .setPageSize(1000).build()).getTemplatesList();
            var rules = io.switchboard.v1.FollowUpServiceGrpc.newBlockingStub(channel).withCallCredentials(creds);
            for (String code : c.getDispositionCodesList()) {
                String name = "demo-" + code.replace('_', '-');
                String template = existing.stream().filter(t -> t.getName().equals(name))
                        .map(io.switchboard.v1.MessageTemplate::getId).findFirst().orElseGet(() -> texts
                                .createMessageTemplate(io.switchboard.v1.CreateMessageTemplateRequest.newBuilder()
                                        .setTemplate(io.switchboard.v1.MessageTemplate.newBuilder().setName(name)
                                                .setChannel(io.switchboard.v1.MessageChannel.MESSAGE_CHANNEL_SMS)
                                                .setBody(FOLLOW_UP_TEXTS.get(code))).build()).getId());
                rules.createFollowUp(io.switchboard.v1.CreateFollowUpRequest.newBuilder().setFollowUp(
                        io.switchboard.v1.FollowUp.newBuilder().setCampaignId(c.getId()).setDisposition(code)
                                .setTemplateId(template).setFrom(c.getCallerId())).build());
            }
            out.println("follow-up texts: " + String.join(", ", c.getDispositionCodesList().stream()
                    .map(code -> code + " -> template demo-" + code.replace('_', '-')).toList()) + ", from "
                    + c.getCallerId());
        } catch (io.grpc.StatusRuntimeException e) {
            out.println("  (no follow-up texts: " + e.getStatus().getCode() + " " + e.getStatus().getDescription() + ")");
        }
    }

    /**
     * A follow-up text and what came of it: its carrier status, then the person's replies and the platform's
     * automatic answers (a STOP's confirmation), waiting a few seconds for them: the text goes out when the call's
     * pipeline ends, and a person answers once it is delivered.
     */
    private static void printThread(io.switchboard.v1.MessagingServiceGrpc.MessagingServiceBlockingStub texts,
                                    String messageId, PrintStream out) throws InterruptedException {
        var get = io.switchboard.v1.GetMessageRequest.newBuilder().setId(messageId).build();
        io.switchboard.v1.Message m = texts.getMessage(get);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!settled(m.getStatus()) && System.nanoTime() < until) {
            Thread.sleep(250);
            m = texts.getMessage(get);
        }
        out.println("  follow-up text to " + m.getTo() + " (" + status(m) + "): " + m.getBody());
        if (!settled(m.getStatus())) {
            return;
        }
        List<io.switchboard.v1.Message> after = List.of();
        long replyUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        do {
            io.switchboard.v1.Message sent = m;
            after = texts.listMessages(io.switchboard.v1.ListMessagesRequest.newBuilder()
                    .setContactPhone(m.getContactPhone()).setPageSize(50).build()).getMessagesList().stream()
                    .filter(x -> com.google.protobuf.util.Timestamps.compare(x.getCreateTime(), sent.getCreateTime()) > 0)
                    .toList().reversed();
            boolean answered = after.stream().anyMatch(x -> x.getDirection()
                    == io.switchboard.v1.MessageDirection.MESSAGE_DIRECTION_INBOUND);
            boolean pending = after.stream().anyMatch(x -> !settled(x.getStatus()));
            if (answered && !pending) {
                break;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < replyUntil);
        for (io.switchboard.v1.Message x : after) {
            if (x.getDirection() == io.switchboard.v1.MessageDirection.MESSAGE_DIRECTION_INBOUND) {
                out.println("    reply from " + x.getFrom() + ": " + x.getBody());
            } else {
                out.println("    our automatic reply (" + status(x) + "): " + x.getBody());
            }
        }
    }

    private static boolean settled(io.switchboard.v1.MessageStatus s) {
        return switch (s) {
            case MESSAGE_STATUS_DELIVERED, MESSAGE_STATUS_UNDELIVERED, MESSAGE_STATUS_FAILED, MESSAGE_STATUS_READ,
                 MESSAGE_STATUS_RECEIVED -> true;
            default -> false;
        };
    }

    /** "delivered", or "failed, error 30003: ...", or the carrier's expected refusal of a STOP confirmation. */
    private static String status(io.switchboard.v1.Message m) {
        String s = m.getStatus().name().substring("MESSAGE_STATUS_".length()).toLowerCase(java.util.Locale.ROOT);
        if (m.getErrorCode().isEmpty() && m.getErrorMessage().isEmpty()) {
            return s;
        }
        if (m.getErrorCode().equals("21610") && m.getErrorMessage().startsWith("expected")) {
            return "not needed: the carrier confirmed the opt-out itself, error 21610 as expected";
        }
        return s + ", " + (m.getErrorCode().isEmpty() ? "" : "error " + m.getErrorCode() + ": ") + m.getErrorMessage();
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
