package io.switchboard.conversation.brain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.Conduct;
import io.switchboard.agents.Flow;
import io.switchboard.agents.Timing;
import org.junit.jupiter.api.Test;

/** Multi-turn walks of a sales flow through the real extractors and the real MiniLM model; no clock involved. */
class FlowBrainTest {

    private static final FlowBrain BRAIN = FlowBrain.create();
    private static final ZonedDateTime CALL_TIME = ZonedDateTime.of(2026, 3, 5, 10, 30, 0, 0,
            ZoneId.of("America/New_York"));

    /** Everything the brain did, in order, as "say: …", "set: name=value", "end: …", "transfer: …", "dnc", "done". */
    static final class Recorder implements ReplySink {
        final List<String> events = new ArrayList<>();

        @Override
        public void say(String sentence) {
            events.add("say: " + sentence);
        }

        @Override
        public void setVariable(String name, Object value) {
            events.add("set: " + name + "=" + value);
        }

        @Override
        public void end(String disposition) {
            events.add("end: " + disposition);
        }

        @Override
        public void transfer(String phoneNumber) {
            events.add("transfer: " + phoneNumber);
        }

        @Override
        public void addToDoNotCall() {
            events.add("dnc");
        }

        @Override
        public void done() {
            events.add("done");
        }

        /** What the next {@link #sendSms} answers. */
        SmsResult texts = new SmsResult(true, false, "", "");

        @Override
        public SmsResult sendSms(String template, String from, String nodeId) {
            events.add("sms: " + template + " from '" + from + "' at " + nodeId);
            return texts;
        }

        List<String> take() {
            List<String> out = List.copyOf(events);
            events.clear();
            return out;
        }
    }

    static Flow.Node node(String id, Flow.Step step) {
        return new Flow.Node(id, step, Timing.Endpointing.INHERIT);
    }

    static Flow.Ask ask(String variable, String prompt, String next, Flow.Choice... choices) {
        return new Flow.Ask(variable, prompt, "", List.of(choices), next);
    }

    static AgentSpec salesAgent(String transferNumber) {
        List<CaptureVariable> vars = List.of(
                new CaptureVariable("interested", CaptureVariable.Type.BOOLEAN, "", List.of(), true),
                new CaptureVariable("seats", CaptureVariable.Type.NUMBER, "", List.of(), false),
                new CaptureVariable("plan", CaptureVariable.Type.ENUM, "", List.of("basic", "premium"), false),
                new CaptureVariable("start_date", CaptureVariable.Type.DATE, "", List.of(), false),
                new CaptureVariable("notes", CaptureVariable.Type.STRING, "", List.of(), false));
        Flow flow = new Flow("intro", List.of(
                node("intro", new Flow.Say("I'm calling about our new booking tool.", "interest")),
                node("interest", ask("interested", "Would you like to hear more?", "route")),
                node("route", new Flow.Branch("", List.of(new Flow.Rule(
                        new Flow.VariableIs("interested", Flow.Op.EQUALS, "true"), "seats")), "bye_no")),
                node("seats", ask("seats", "How many seats would you need?", "plan")),
                node("plan", ask("plan", "Basic or premium?", "date",
                        new Flow.Choice("premium", List.of("the better one")))),
                node("date", ask("start_date", "When would you like to start?", "notes")),
                node("notes", ask("notes", "Anything else we should know?", "size")),
                node("size", new Flow.Branch("", List.of(new Flow.Rule(
                        new Flow.VariableIs("seats", Flow.Op.GREATER_THAN, "50"), "sales")), "done")),
                node("done", new Flow.End("Thanks {{first_name}}, we'll be in touch about {{variables.seats}} seats"
                        + " from {{variables.start_date}}. Goodbye.", "interested")),
                node("bye_no", new Flow.End("No problem. Goodbye.", "not_interested")),
                node("sales", new Flow.Transfer("Let me put you through to our sales team.", "+14155550199"))),
                List.of(new Flow.GlobalIntent("price", List.of("how much does it cost", "what's the price"),
                        "It's ten dollars a seat per month.", "")),
                "");
        return new AgentSpec("Ava", "en-US", "", "Hi {{first_name|there}}, this is Ava from {{metadata.company}}.",
                "", "", vars, new Conduct(flow, "", transferNumber, Timing.DEFAULTS));
    }

    static Conversation call(AgentSpec spec) {
        Agent agent = new Agent(UUID.randomUUID(), UUID.randomUUID(), spec, 1, Instant.EPOCH, Instant.EPOCH);
        return new Conversation(agent, Map.of("first_name", "Sam", "metadata.company", "Acme Tools"), "Spring",
                CALL_TIME);
    }

    private final Recorder out = new Recorder();

    private List<String> turn(Conversation c, String text) {
        BRAIN.onCallerTurn(c, text, out);
        return out.take();
    }

    private Conversation started(AgentSpec spec) {
        Conversation c = call(spec);
        BRAIN.start(c, out);
        out.take();
        return c;
    }

    @Test
    void greetsWithTheTemplatedFirstMessageAndRunsToTheFirstQuestion() {
        Conversation c = call(salesAgent(""));
        BRAIN.start(c, out);
        assertEquals(List.of("say: Hi Sam, this is Ava from Acme Tools.", "say: I'm calling about our new booking tool.",
                "say: Would you like to hear more?", "done"), out.take());
    }

    @Test
    void multiTurnWalkCapturesEveryVariableAndEndsWithTheDisposition() {
        Conversation c = started(salesAgent(""));
        assertEquals(List.of("set: interested=true", "say: How many seats would you need?", "done"),
                turn(c, "yeah sure"));
        assertEquals(List.of("set: seats=24", "say: Basic or premium?", "done"), turn(c, "twenty for"));
        assertEquals(List.of("set: plan=premium", "say: When would you like to start?", "done"),
                turn(c, "the better one"));
        assertEquals(List.of("set: start_date=2026-03-21", "say: Anything else we should know?", "done"),
                turn(c, "the twenty first of march"));
        assertEquals(List.of("set: notes=we also need invoices in euros",
                        "say: Thanks Sam, we'll be in touch about 24 seats from Saturday, March 21.", "say: Goodbye.",
                        "end: interested", "done"),
                turn(c, "we also need invoices in euros"));
        assertEquals(Map.of("interested", true, "seats", new BigDecimal(24), "plan", "premium",
                "start_date", LocalDate.of(2026, 3, 21), "notes", "we also need invoices in euros"), c.variables());
        assertEquals(List.of("done"), turn(c, "bye"), "nothing is said after the end");
        assertTrue(c.history().stream().anyMatch(t -> t.speaker() == Conversation.Speaker.CALLER
                && t.text().equals("twenty for")));
    }

    @Test
    void noBranchesToTheEndForNotInterested() {
        Conversation c = started(salesAgent(""));
        assertEquals(List.of("set: interested=false", "say: No problem.", "say: Goodbye.", "end: not_interested",
                "done"), turn(c, "nope not really"));
    }

    @Test
    void largeOrderBranchesToTheTransferNode() {
        Conversation c = started(salesAgent(""));
        turn(c, "yes");
        turn(c, "sixty");
        turn(c, "basic");
        turn(c, "next tuesday");
        assertEquals(LocalDate.of(2026, 3, 10), c.variables().get("start_date"));
        assertEquals(List.of("set: notes=no", "say: Let me put you through to our sales team.",
                "transfer: +14155550199", "done"), turn(c, "no"));
    }

    @Test
    void anUnreadableAnswerIsAskedOnceMoreThenPassedOver() {
        Conversation c = started(salesAgent(""));
        turn(c, "yes");
        assertEquals(List.of("say: Sorry, I didn't catch that.", "say: How many seats would you need?", "done"),
                turn(c, "banana"));
        assertEquals(List.of("say: Basic or premium?", "done"), turn(c, "purple"));
        assertFalse(c.variables().containsKey("seats"));
        assertEquals(List.of("set: plan=basic", "say: When would you like to start?", "done"), turn(c, "basic please"));
    }

    @Test
    void doNotCallIsHonouredOnAnyNode() {
        Conversation c = started(salesAgent("+14155550123"));
        turn(c, "yes");
        assertEquals(List.of("dnc", "say: I'm sorry for the trouble.",
                "say: I've taken your number off our list, and you won't be called again.", "say: Goodbye.",
                "end: do_not_call", "done"), turn(c, "actually please take me off your list"));
        assertEquals(List.of("done"), turn(c, "hello?"));
        assertFalse(c.variables().containsKey("seats"));
    }

    @Test
    void doNotCallFromARecogniserWithoutPunctuation() {
        Conversation c = started(salesAgent(""));
        List<String> events = turn(c, "dont ever call this number again");
        assertEquals("dnc", events.getFirst());
        assertTrue(events.contains("end: do_not_call"), events.toString());
    }

    @Test
    void notInterestedIsNotADoNotCallRequest() {
        Conversation c = started(salesAgent(""));
        List<String> events = turn(c, "no thanks i'm not interested");
        assertFalse(events.contains("dnc"), events.toString());
        assertTrue(events.contains("end: not_interested"), events.toString());
    }

    @Test
    void aRealPersonIsATransferWhenTheAgentHasANumber() {
        Conversation c = started(salesAgent("+14155550123"));
        assertEquals(List.of("say: Of course.", "say: I'm putting you through to a colleague now.",
                "transfer: +14155550123", "done"), turn(c, "can i talk to a real person"));
    }

    @Test
    void aRealPersonWithoutATransferNumberGetsAPoliteAnswerAndTheQuestionAgain() {
        Conversation c = started(salesAgent(""));
        assertEquals(List.of("say: I'm sorry, there's nobody I can put you through to right now, but I'm happy to help.",
                "say: Would you like to hear more?", "done"), turn(c, "i want to speak to a human"));
    }

    @Test
    void whoIsThisIsAnsweredWithTheIdentityThenTheQuestionAgain() {
        Conversation c = started(salesAgent(""));
        turn(c, "yes");
        assertEquals(List.of("say: This is Ava, an automated assistant.", "say: How many seats would you need?",
                "done"), turn(c, "sorry who is this"));
        assertEquals(List.of("set: seats=3", "say: Basic or premium?", "done"), turn(c, "three"));
    }

    @Test
    void whoIsThisOverTheOpeningGetsTheWholeOpeningAgainThenTheQuestion() {
        Conversation c = started(salesAgent(""));
        c.cutAgentSpeech("Hi Sam, this is"); // the caller talked over the greeting
        assertEquals(List.of("say: Hi Sam, this is Ava from Acme Tools.", "say: I'm calling about our new booking tool.",
                "say: Would you like to hear more?", "done"), turn(c, "sorry who is calling"));
        // heard in full now: asked again later, the short identity
        assertEquals(List.of("say: This is Ava, an automated assistant.", "say: Would you like to hear more?", "done"),
                turn(c, "who is this"));
    }

    @Test
    void whoIsThisAfterTheOpeningWasHeardIsTheShortIdentity() {
        Conversation c = started(salesAgent(""));
        assertEquals(List.of("say: This is Ava, an automated assistant.", "say: Would you like to hear more?", "done"),
                turn(c, "who is this"));
    }

    @Test
    void theAgentsOwnGlobalIntentRepliesAndAsksAgain() {
        Conversation c = started(salesAgent(""));
        assertEquals(List.of("say: It's ten dollars a seat per month.", "say: Would you like to hear more?", "done"),
                turn(c, "how much does it cost"));
        assertEquals(List.of("say: It's ten dollars a seat per month.", "say: Would you like to hear more?", "done"),
                turn(c, "whats the price of it"));
    }

    @Test
    void silenceRepromptsThenSaysGoodbyeAndEnds() {
        Conversation c = started(salesAgent(""));
        BRAIN.onSilence(c, 1, out);
        assertEquals(List.of("say: Are you still there?", "say: Would you like to hear more?", "done"), out.take());
        BRAIN.onSilence(c, 2, out);
        assertEquals(List.of("say: Are you still there?", "say: Would you like to hear more?", "done"), out.take());
        BRAIN.onSilence(c, 3, out);
        assertEquals(List.of("say: I'll let you go now.", "say: Goodbye.", "end: no_response", "done"), out.take());
    }

    @Test
    void silenceSettingsOfTheAgentApply() {
        AgentSpec base = salesAgent("");
        AgentSpec spec = new AgentSpec(base.name(), base.language(), "", base.firstMessage(), "", "", base.variables(),
                new Conduct(base.conduct().flow(), "", "", new Timing(Timing.Endpointing.INHERIT,
                        Timing.Interruption.INHERIT, new Timing.Silence(Duration.ofSeconds(5), 0, "Hello?",
                        "Sorry to have missed you, {{first_name}}."))));
        Conversation c = started(spec);
        BRAIN.onSilence(c, 1, out);
        assertEquals(List.of("say: Sorry to have missed you, Sam.", "end: no_response", "done"), out.take());
    }

    @Test
    void anIntentBranchFollowsParaphrasesAndFallsBackToItsDefault() {
        Flow flow = new Flow("q", List.of(
                node("q", new Flow.Branch("Is now a good time to talk?", List.of(
                        new Flow.Rule(new Flow.Intent("busy", List.of("i'm busy right now", "call me later",
                                "not a good time")), "later"),
                        new Flow.Rule(new Flow.Intent("go", List.of("yes go ahead", "sure i have a minute")), "pitch")),
                        "pitch")),
                node("later", new Flow.End("I'll call another time. Goodbye.", "callback")),
                node("pitch", new Flow.End("Great, here's the offer.", "pitched"))), List.of(), "");
        AgentSpec spec = new AgentSpec("Ava", "en-US", "", "", "", "", List.of(),
                new Conduct(flow, "", "", Timing.DEFAULTS));
        assertTrue(turn(started(spec), "this isn't a good moment").contains("end: callback"));
        assertTrue(turn(started(spec), "i'm driving at the moment").contains("end: callback"));
        assertTrue(turn(started(spec), "sure go ahead").contains("end: pitched"));
        assertTrue(turn(started(spec), "my dog is called max").contains("end: pitched"), "no match takes the default");
        assertEquals(List.of("i'm busy right now", "call me later", "not a good time", "yes go ahead",
                "sure i have a minute"), FlowBrain.expectedWords(spec, "q"));
    }

    private List<String> keys(Conversation c, String digits) {
        BRAIN.onDtmf(c, digits, out);
        return out.take();
    }

    @Test
    void keysAnswerTheQuestionNowAskedByTheVariablesType() {
        Conversation c = started(salesAgent(""));
        assertEquals(List.of("say: Sorry, I didn't catch that.", "say: Would you like to hear more?", "done"),
                keys(c, "7"), "only 1 (yes) and 2 (no) answer a yes/no question");
        assertEquals(List.of("set: interested=true", "say: How many seats would you need?", "done"), keys(c, "1"));
        assertEquals(List.of("set: seats=42", "say: Basic or premium?", "done"), keys(c, "42"));
        assertEquals(List.of("set: plan=premium", "say: When would you like to start?", "done"), keys(c, "2"),
                "key 2 is the second value");
        assertEquals(List.of("say: Sorry, I didn't catch that.", "say: When would you like to start?", "done"),
                keys(c, "0321"), "a date cannot be keyed");
        assertEquals(new BigDecimal(42), c.variables().get("seats"));
        assertTrue(c.history().stream().anyMatch(t -> t.text().equals("(pressed 42)")), "the keys are in the history");
    }

    @Test
    void keyNTakesABranchsNthIntentAndAnotherKeyItsDefault() {
        Flow flow = new Flow("q", List.of(
                node("q", new Flow.Branch("Press 1 to call back later, 2 to hear the offer.", List.of(
                        new Flow.Rule(new Flow.Intent("busy", List.of("call me later")), "later"),
                        new Flow.Rule(new Flow.Intent("go", List.of("go ahead")), "pitch")), "pitch")),
                node("later", new Flow.End("I'll call another time. Goodbye.", "callback")),
                node("pitch", new Flow.End("Great, here's the offer.", "pitched"))), List.of(), "");
        AgentSpec spec = new AgentSpec("Ava", "en-US", "", "", "", "", List.of(),
                new Conduct(flow, "", "", Timing.DEFAULTS));
        assertTrue(keys(started(spec), "1").contains("end: callback"));
        assertTrue(keys(started(spec), "2").contains("end: pitched"));
        assertTrue(keys(started(spec), "9").contains("end: pitched"), "no such rule takes the default");
    }

    @Test
    void aListeningNodesEndpointingOverridesTheAgents() {
        AgentSpec base = salesAgent("");
        List<Flow.Node> nodes = new ArrayList<>(base.conduct().flow().nodes());
        nodes.set(3, new Flow.Node("seats", nodes.get(3).step(), new Timing.Endpointing(Duration.ZERO,
                Duration.ofSeconds(3))));
        AgentSpec spec = new AgentSpec(base.name(), base.language(), "", base.firstMessage(), "", "", base.variables(),
                new Conduct(new Flow("intro", nodes, List.of(), ""), "", "", Timing.DEFAULTS));
        Conversation c = started(spec);
        assertEquals(new Timing.Endpointing(Duration.ofMillis(500), Duration.ofSeconds(2)), BRAIN.endpointing(c));
        turn(c, "yes");
        assertEquals(new Timing.Endpointing(Duration.ofMillis(500), Duration.ofSeconds(3)), BRAIN.endpointing(c),
                "a number being read out may take longer");
    }

    @Test
    void contactFieldsIncludeTopLevelCustomFields() {
        var contact = new io.switchboard.contacts.Contact(UUID.randomUUID(), UUID.randomUUID(), "ext-1", "+14155550123",
                "Sam", "", "sam@example.com", "{\"company\": \"Acme\", \"seats\": 4, \"nested\": {\"a\": 1}}",
                List.of(), "America/New_York", List.of(), Instant.EPOCH, Instant.EPOCH);
        Map<String, String> fields = Conversation.contactFields(contact);
        assertEquals("Acme", fields.get("metadata.company"));
        assertEquals("4", fields.get("metadata.seats"));
        assertFalse(fields.containsKey("metadata.nested"));
        assertEquals("Sam", fields.get("first_name"));
    }

    @Test
    void eachAskNodeExposesTheWordsItExpects() {
        AgentSpec spec = salesAgent("");
        assertTrue(FlowBrain.expectedWords(spec, "interest").containsAll(List.of("yes", "no", "yeah", "nope")));
        assertTrue(FlowBrain.expectedWords(spec, "seats").containsAll(List.of("twenty", "hundred", "five")));
        assertEquals(List.of("basic", "premium", "the better one"), FlowBrain.expectedWords(spec, "plan"));
        assertTrue(FlowBrain.expectedWords(spec, "date").containsAll(List.of("march", "tuesday", "tomorrow",
                "first", "twenty")));
        assertEquals(List.of(), FlowBrain.expectedWords(spec, "notes"), "free text expects anything");
        Conversation c = started(spec);
        assertEquals(FlowBrain.expectedWords(spec, "interest"), BRAIN.expectedWords(c), "the node now listening");
    }

    /** An agent that offers the booking link by text; {@code onRefused} is the text node's. */
    static AgentSpec textingAgent(String onRefused) {
        Flow flow = new Flow("menu", List.of(
                node("menu", new Flow.Branch("Would you like the booking link by text?", List.of(new Flow.Rule(
                        new Flow.Intent("wants_link", List.of("yes please text me the link",
                                "can you text me the link", "send it to my phone")), "text")), "bye")),
                node("text", new Flow.SendSms("booking-link", "+14155550100", "sent", onRefused)),
                node("sent", new Flow.Say("Done, it's on its way.", "menu")),
                node("cannot", new Flow.Say("I can't text this number, but you can book on our website.", "menu")),
                node("bye", new Flow.End("Goodbye.", "done"))), List.of(), "");
        return new AgentSpec("Ava", "en-US", "", "", "", "", List.of(), new Conduct(flow, "", "", Timing.DEFAULTS));
    }

    @Test
    void aSendSmsNodeTextsTheTemplateAndGoesOnWithoutAWord() {
        Conversation c = started(textingAgent(""));
        assertEquals(List.of("sms: booking-link from '+14155550100' at text", "say: Done, it's on its way.",
                "say: Would you like the booking link by text?", "done"), turn(c, "can you text me the link?"));
    }

    @Test
    void aRefusedTextTakesOnRefused() {
        Conversation c = started(textingAgent("cannot"));
        out.texts = SmsResult.refused("opted_out", "the recipient opted out of texts");
        assertEquals(List.of("sms: booking-link from '+14155550100' at text",
                "say: I can't text this number, but you can book on our website.",
                "say: Would you like the booking link by text?", "done"), turn(c, "can you text me the link?"));
    }

    @Test
    void aRefusedTextWithoutOnRefusedIsApologisedForAndTheFlowGoesOn() {
        Conversation c = started(textingAgent(""));
        out.texts = SmsResult.refused("outside_calling_window", "the calling window is closed");
        assertEquals(List.of("sms: booking-link from '+14155550100' at text", "say: " + FlowBrain.COULD_NOT_TEXT,
                "say: Done, it's on its way.", "say: Would you like the booking link by text?", "done"),
                turn(c, "can you text me the link?"));
    }

    @Test
    void aTextAlreadySentIsNotApologisedForWhenTheNodeIsReachedAgain() {
        Conversation c = started(textingAgent("cannot"));
        turn(c, "can you text me the link?");
        out.texts = new SmsResult(true, true, "", "");
        assertEquals(List.of("sms: booking-link from '+14155550100' at text", "say: Done, it's on its way.",
                "say: Would you like the booking link by text?", "done"), turn(c, "send it to my phone"),
                "the records decide it was sent once; the flow takes the sent path again");
    }

    @Test
    void theAskNodeNowListeningTellsTheRecogniserWhatItsAnswerIsMadeOf() {
        AgentSpec spec = salesAgent("");
        Conversation c = started(spec);
        io.switchboard.transcription.Expectation yesNo = BRAIN.expectation(c);
        assertEquals(1, yesNo.upTo(), "a yes/no answer is one phrase");
        assertTrue(yesNo.phrases().containsAll(List.of("yes", "nope", "i don't think so")),
                "contractions as the dictionary spells them: " + yesNo.phrases());
        turn(c, "yes");
        io.switchboard.transcription.Expectation seats = BRAIN.expectation(c);
        assertTrue(seats.upTo() > 1 && seats.phrases().containsAll(List.of("twenty", "five")), "a number: " + seats);
    }
}
