package io.switchboard.server.agents;

import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.switchboard.server.ApiHarness;
import io.switchboard.messaging.Channel;
import io.switchboard.messaging.MessagingService;
import io.switchboard.messaging.Template;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.BranchNode;
import io.switchboard.v1.BranchRule;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.Choice;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Endpointing;
import io.switchboard.v1.Flow;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.GetAgentRequest;
import io.switchboard.v1.GlobalIntent;
import io.switchboard.v1.IntentCondition;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.ListAgentVersionsRequest;
import io.switchboard.v1.SayNode;
import io.switchboard.v1.SendSmsNode;
import io.switchboard.v1.Silence;
import io.switchboard.v1.TransferNode;
import io.switchboard.v1.UpdateAgentRequest;
import io.switchboard.v1.VariableCondition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An agent's flow and conversation settings over the real API: stored, versioned, validated and private. */
class AgentFlowGrpcTest {

    private ApiHarness api;
    private AgentServiceGrpc.AgentServiceBlockingStub acme;
    private AgentServiceGrpc.AgentServiceBlockingStub other;
    private Fixtures.Tenant acmeTenant;
    private Fixtures.Tenant otherTenant;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        Fixtures.Tenant a = api.fixtures.tenant("Acme", "growth");
        Fixtures.Tenant b = api.fixtures.tenant("Other", "growth");
        acme = AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(a.ownerKey()));
        other = AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(b.ownerKey()));
        acmeTenant = a;
        otherTenant = b;
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    static FlowNode say(String id, String text, String next) {
        return FlowNode.newBuilder().setId(id).setSay(SayNode.newBuilder().setText(text).setNext(next)).build();
    }

    static FlowNode ask(String id, String variable, String prompt, String next) {
        return FlowNode.newBuilder().setId(id).setAsk(AskNode.newBuilder().setVariable(variable).setPrompt(prompt)
                .setNext(next)).build();
    }

    static FlowNode end(String id, String text, String disposition) {
        return FlowNode.newBuilder().setId(id).setEnd(EndNode.newBuilder().setText(text).setDisposition(disposition))
                .build();
    }

    static VariableCondition.Builder when(String variable, VariableCondition.Op op, String value) {
        return VariableCondition.newBuilder().setVariable(variable).setOp(op).setValue(value);
    }

    /** A survey: greet, ask interest (yes/no), branch, ask a number of seats and a date, end. */
    static Agent.Builder surveyAgent() {
        return Agent.newBuilder().setName("Survey").setLanguage("en-US")
                .setFirstMessage("Hi {{first_name|there}}, this is Ava from {{metadata.company}}.")
                .setVoicemailMessage("Hi {{first_name}}, please call us back.")
                .setTransferNumber("+14155550123")
                .setEndpointing(Endpointing.newBuilder().setMinSilence(Duration.newBuilder().setNanos(600_000_000)))
                .setSilence(Silence.newBuilder().setMaxReprompts(0))
                .addVariables(CaptureVariable.newBuilder().setName("interested").setType(CaptureVariable.Type.TYPE_BOOLEAN))
                .addVariables(CaptureVariable.newBuilder().setName("seats").setType(CaptureVariable.Type.TYPE_NUMBER))
                .addVariables(CaptureVariable.newBuilder().setName("plan").setType(CaptureVariable.Type.TYPE_ENUM)
                        .addEnumValues("basic").addEnumValues("premium"))
                .setFlow(Flow.newBuilder().setStartNode("interest")
                        .addNodes(ask("interest", "interested", "Would you like to hear about our new plan?", "route"))
                        .addNodes(FlowNode.newBuilder().setId("route").setBranch(BranchNode.newBuilder()
                                .addRules(BranchRule.newBuilder().setVariable(
                                        when("interested", VariableCondition.Op.OP_EQUALS, "true")).setNext("seats"))
                                .setDefaultNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("seats").setAsk(AskNode.newBuilder().setVariable("seats")
                                        .setPrompt("How many seats do you need?").setNext("plan"))
                                .setEndpointing(Endpointing.newBuilder().setMaxSilence(Duration.newBuilder().setSeconds(3))))
                        .addNodes(FlowNode.newBuilder().setId("plan").setAsk(AskNode.newBuilder().setVariable("plan")
                                .setPrompt("Basic or premium?").setNext("thanks")
                                .addChoices(Choice.newBuilder().setValue("premium").addSynonyms("the better one"))))
                        .addNodes(say("thanks", "Thanks, {{variables.seats}} seats it is.", "done"))
                        .addNodes(end("done", "Goodbye!", "interested"))
                        .addNodes(end("bye", "No problem, goodbye.", "not_interested"))
                        .addGlobalIntents(GlobalIntent.newBuilder().setName("price").addExamples("how much is it")
                                .setReply("It is ten dollars a seat.")));
    }

    private Agent create(Agent.Builder a) {
        return acme.createAgent(CreateAgentRequest.newBuilder().setAgent(a).build());
    }

    /** The BadRequest field violations of a refused create, as "field: reason". */
    private List<String> refusal(Agent.Builder a) {
        var e = assertThrows(StatusRuntimeException.class, () -> create(a));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
        return StatusProto.fromThrowable(e).getDetailsList().stream().filter(d -> d.is(BadRequest.class))
                .flatMap(d -> {
                    try {
                        return d.unpack(BadRequest.class).getFieldViolationsList().stream();
                    } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                        throw new AssertionError(x);
                    }
                }).map(v -> v.getField() + ": " + v.getDescription()).toList();
    }

    private void assertRefused(UnaryOperator<Agent.Builder> change, String field, String reasonPart) {
        List<String> violations = refusal(change.apply(surveyAgent()));
        assertTrue(violations.stream().anyMatch(v -> v.startsWith(field + ": ") && v.contains(reasonPart)),
                "expected " + field + " ~ '" + reasonPart + "' in " + violations);
    }

    private static Flow.Builder flow(Agent.Builder a) {
        return a.getFlowBuilder();
    }

    @Test
    void flowAndSettingsRoundTripAndAreVersioned() {
        Agent created = create(surveyAgent());
        Agent read = acme.getAgent(GetAgentRequest.newBuilder().setId(created.getId()).build());
        assertEquals(surveyAgent().getFlow(), read.getFlow());
        assertEquals("+14155550123", read.getTransferNumber());
        assertEquals("Hi {{first_name}}, please call us back.", read.getVoicemailMessage());
        assertEquals(600, read.getEndpointing().getMinSilence().getNanos() / 1_000_000);
        assertTrue(read.getSilence().hasMaxReprompts(), "an explicit 0 reprompts is kept apart from unset");
        assertEquals(0, read.getSilence().getMaxReprompts());
        assertEquals(3, read.getFlow().getNodes(2).getEndpointing().getMaxSilence().getSeconds());

        Agent updated = acme.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()).setFlow(Flow.newBuilder().setStartNode("bye")
                        .addNodes(end("bye", "Bye.", "not_interested"))))
                .setUpdateMask(FieldMask.newBuilder().addPaths("flow")).build());
        assertEquals(1, updated.getFlow().getNodesCount());
        assertEquals("+14155550123", updated.getTransferNumber(), "fields outside the mask are kept");
        Agent v1 = acme.getAgent(GetAgentRequest.newBuilder().setId(created.getId()).setVersion(1).build());
        assertEquals(surveyAgent().getFlow(), v1.getFlow(), "the old version keeps its flow");
        assertEquals(2, acme.listAgentVersions(ListAgentVersionsRequest.newBuilder().setId(created.getId()).build())
                .getVersionsCount());
    }

    @Test
    void anAgentWithoutAFlowStaysValidAndEmpty() {
        Agent created = create(Agent.newBuilder().setName("Plain").setLanguage("en-US"));
        assertEquals(0, created.getFlow().getNodesCount());
        assertFalse(created.getSilence().hasMaxReprompts());
    }

    @Test
    void nextPointingNowhereIsRefusedNamingThePath() {
        assertRefused(a -> {
            flow(a).setNodes(4, say("thanks", "Thanks.", "x"));
            return a;
        }, "agent.flow.nodes[4].say.next", "points to unknown node 'x'");
        assertRefused(a -> {
            flow(a).getNodesBuilder(1).getBranchBuilder().getRulesBuilder(0).setNext("nowhere");
            return a;
        }, "agent.flow.nodes[1].branch.rules[0].next", "points to unknown node 'nowhere'");
    }

    @Test
    void askOnAnUnknownVariableIsRefused() {
        assertRefused(a -> {
            flow(a).getNodesBuilder(0).getAskBuilder().setVariable("foo");
            return a;
        }, "agent.flow.nodes[0].ask.variable", "unknown variable 'foo'");
        assertRefused(a -> {
            flow(a).getNodesBuilder(1).getBranchBuilder().getRulesBuilder(0).getVariableBuilder().setVariable("bar");
            return a;
        }, "agent.flow.nodes[1].branch.rules[0].variable.variable", "unknown variable 'bar'");
    }

    @Test
    void enumChoicesAndConditionValuesMustFitTheVariable() {
        assertRefused(a -> {
            flow(a).getNodesBuilder(3).getAskBuilder().getChoicesBuilder(0).setValue("gold");
            return a;
        }, "agent.flow.nodes[3].ask.choices[0].value", "'gold' is not a value of 'plan'");
        assertRefused(a -> {
            flow(a).getNodesBuilder(1).getBranchBuilder().getRulesBuilder(0).getVariableBuilder().setValue("maybe");
            return a;
        }, "agent.flow.nodes[1].branch.rules[0].variable.value", "must be true or false");
        assertRefused(a -> {
            flow(a).getNodesBuilder(1).getBranchBuilder().getRulesBuilder(0).getVariableBuilder()
                    .setOp(VariableCondition.Op.OP_LESS_THAN);
            return a;
        }, "agent.flow.nodes[1].branch.rules[0].variable.op", "compare numbers and dates");
    }

    @Test
    void unreachableNodeIsRefused() {
        assertRefused(a -> {
            flow(a).addNodes(say("orphan", "Nobody comes here.", "done"));
            return a;
        }, "agent.flow.nodes[7]", "node 'orphan' is unreachable from the start node 'interest'");
    }

    @Test
    void loopWithoutAListeningNodeIsRefused() {
        assertRefused(a -> {
            flow(a).setNodes(4, say("thanks", "Thanks.", "again")).addNodes(say("again", "And again.", "thanks"));
            return a;
        }, "agent.flow.nodes[4]", "would speak forever");
    }

    @Test
    void loopThroughAnAskIsAllowed() {
        Agent.Builder a = surveyAgent();
        flow(a).setNodes(4, say("thanks", "Thanks.", "interest"));
        flow(a).removeNodes(5);
        assertEquals(6, create(a).getFlow().getNodesCount());
    }

    @Test
    void missingOrUnknownStartNodeIsRefused() {
        assertRefused(a -> {
            flow(a).clearStartNode();
            return a;
        }, "agent.flow.start_node", "is required");
        assertRefused(a -> {
            flow(a).setStartNode("begin");
            return a;
        }, "agent.flow.start_node", "points to unknown node 'begin'");
    }

    @Test
    void branchWithoutDefaultIsRefused() {
        assertRefused(a -> {
            flow(a).getNodesBuilder(1).getBranchBuilder().clearDefaultNext();
            return a;
        }, "agent.flow.nodes[1].branch.default_next", "is required");
    }

    @Test
    void endWithoutDispositionAndTransferWithoutNumberAreRefused() {
        assertRefused(a -> {
            flow(a).getNodesBuilder(5).getEndBuilder().clearDisposition();
            return a;
        }, "agent.flow.nodes[5].end.disposition", "is required");
        assertRefused(a -> {
            flow(a).getNodesBuilder(5).getEndBuilder().setDisposition("Not Interested!");
            return a;
        }, "agent.flow.nodes[5].end.disposition", "lower_snake_case");
        assertRefused(a -> {
            flow(a).setNodes(6, FlowNode.newBuilder().setId("bye").setTransfer(TransferNode.newBuilder()
                    .setText("Transferring you.")));
            return a;
        }, "agent.flow.nodes[6].transfer.phone_number", "is required");
        assertRefused(a -> {
            flow(a).setNodes(6, FlowNode.newBuilder().setId("bye").setTransfer(TransferNode.newBuilder()
                    .setPhoneNumber("12")));
            return a;
        }, "agent.flow.nodes[6].transfer.phone_number", "'12'");
    }

    @Test
    void nodeWithoutKindAndDuplicateIdsAreRefused() {
        assertRefused(a -> {
            flow(a).setNodes(4, FlowNode.newBuilder().setId("thanks"));
            return a;
        }, "agent.flow.nodes[4]", "needs one of say, ask, branch, end, transfer or send_sms");
        assertRefused(a -> {
            flow(a).setNodes(6, end("done", "Bye", "not_interested"));
            return a;
        }, "agent.flow.nodes[6].id", "'done' is used by nodes[5] too");
    }

    @Test
    void intentBranchNeedsExamples() {
        assertRefused(a -> {
            flow(a).getNodesBuilder(1).getBranchBuilder().addRules(0, BranchRule.newBuilder()
                    .setIntent(IntentCondition.newBuilder().setName("busy")).setNext("bye"));
            return a;
        }, "agent.flow.nodes[1].branch.rules[0].intent.examples", "needs at least one phrase");
    }

    @Test
    void templatesNamingFieldsThatCannotExistAreRefused() {
        assertRefused(a -> a.setFirstMessage("Hi {{frist_name}}!"), "agent.first_message",
                "{{frist_name}} is not a field a contact can have");
        assertRefused(a -> a.setFirstMessage("You want {{variables.seats}} seats?"), "agent.first_message",
                "none is captured yet");
        assertRefused(a -> a.setFirstMessage("Hi {{first_name"), "agent.first_message", "unbalanced");
        assertRefused(a -> {
            flow(a).setNodes(4, say("thanks", "So {{variables.colour}} it is.", "done"));
            return a;
        }, "agent.flow.nodes[4].say.text", "names no captured variable");
        assertRefused(a -> a.setVoicemailMessage("Call {{agent.phone}}"), "agent.voicemail_message",
                "{{agent.phone}}");
    }

    @Test
    void timingOutOfBoundsIsRefused() {
        assertRefused(a -> a.setEndpointing(Endpointing.newBuilder().setMinSilence(Duration.newBuilder().setSeconds(9))),
                "agent.endpointing.min_silence", "between 100 ms and 5000 ms");
        assertRefused(a -> a.setEndpointing(Endpointing.newBuilder().setMaxSilence(Duration.newBuilder()
                .setNanos(300_000_000))), "agent.endpointing.max_silence", "not be shorter than min_silence (500 ms)");
        assertRefused(a -> a.setSilence(Silence.newBuilder().setMaxReprompts(9)), "agent.silence.max_reprompts",
                "between 0 and 5");
        assertRefused(a -> {
            flow(a).getNodesBuilder(2).setEndpointing(Endpointing.newBuilder().setMinSilence(Duration.newBuilder()
                    .setNanos(10_000_000)));
            return a;
        }, "agent.flow.nodes[2].endpointing.min_silence", "between 100 ms");
        assertRefused(a -> a.setTransferNumber("not a number"), "agent.transfer_number", "not a phone number");
    }

    @Test
    void updateThatBreaksTheFlowIsRefusedAndKeepsTheOldVersion() {
        Agent created = create(surveyAgent());
        var e = assertThrows(StatusRuntimeException.class, () -> acme.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()))
                .setUpdateMask(FieldMask.newBuilder().addPaths("variables")).build()));
        assertTrue(io.switchboard.server.ApiHarness.badFields(e).contains("agent.flow.nodes[0].ask.variable"),
                "dropping a variable the flow asks for is refused: " + io.switchboard.server.ApiHarness.badFields(e));
        assertEquals(1, acme.getAgent(GetAgentRequest.newBuilder().setId(created.getId()).build()).getVersion());
    }

    @Test
    void anotherOrganisationCannotReadOrChangeTheFlow() {
        Agent created = create(surveyAgent());
        var read = assertThrows(StatusRuntimeException.class, () ->
                other.getAgent(GetAgentRequest.newBuilder().setId(created.getId()).build()));
        assertEquals(Status.Code.NOT_FOUND, read.getStatus().getCode());
        var write = assertThrows(StatusRuntimeException.class, () -> other.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()).setFlow(Flow.newBuilder().setStartNode("x")
                        .addNodes(end("x", "Bye", "hijacked"))))
                .setUpdateMask(FieldMask.newBuilder().addPaths("flow")).build()));
        assertEquals(Status.Code.NOT_FOUND, write.getStatus().getCode());
        var versions = assertThrows(StatusRuntimeException.class, () -> other.listAgentVersions(
                ListAgentVersionsRequest.newBuilder().setId(created.getId()).build()));
        assertEquals(Status.Code.NOT_FOUND, versions.getStatus().getCode());
        assertEquals(0, other.listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsCount());
        assertEquals(surveyAgent().getFlow(),
                acme.getAgent(GetAgentRequest.newBuilder().setId(created.getId()).build()).getFlow());
    }

    private Template template(Fixtures.Tenant t, String name, Channel channel) {
        return api.fixtures.plane.messaging().createTemplate(t.owner(), new MessagingService.TemplateSpec(name,
                Optional.of(channel), Optional.empty(), "Book here: https://example.com/b", ""));
    }

    /** The survey with a send_sms node "text" between its thanks and its goodbye. */
    private static Agent.Builder texting(SendSmsNode.Builder node) {
        Agent.Builder a = surveyAgent();
        flow(a).setNodes(4, say("thanks", "Thanks, {{variables.seats}} seats it is.", "text"));
        flow(a).addNodes(FlowNode.newBuilder().setId("text").setSendSms(node));
        return a;
    }

    @Test
    void sendSmsNodesAndTheLlmsTemplatesRoundTripByNameOrId() {
        Template link = template(acmeTenant, "booking-link", Channel.SMS);
        template(acmeTenant, "price-list", Channel.SMS);
        api.fixtures.plane.messaging().addSender(acmeTenant.owner(), "+14155550100");
        Agent.Builder a = texting(SendSmsNode.newBuilder().setTemplate("booking-link").setFrom("+14155550100")
                .setNext("done").setOnRefused("bye")).addSmsTemplates(link.id().toString()).addSmsTemplates("price-list");

        Agent read = acme.getAgent(GetAgentRequest.newBuilder().setId(create(a).getId()).build());

        assertEquals(a.getFlow(), read.getFlow());
        assertEquals(List.of(link.id().toString(), "price-list"), read.getSmsTemplatesList());
        Agent updated = acme.updateAgent(UpdateAgentRequest.newBuilder().setAgent(Agent.newBuilder().setId(read.getId()))
                .setUpdateMask(FieldMask.newBuilder().addPaths("sms_templates")).build());
        assertEquals(List.of(), updated.getSmsTemplatesList(), "sms_templates is updatable on its own");
        assertEquals(a.getFlow(), updated.getFlow());
    }

    @Test
    void sendSmsWithoutATemplateOfTheOrganisationOrWithBadNodesIsRefusedNamingThePath() {
        Template link = template(acmeTenant, "booking-link", Channel.SMS);
        Template theirs = template(otherTenant, "their-link", Channel.SMS);
        template(acmeTenant, "wa-link", Channel.WHATSAPP);
        api.fixtures.plane.messaging().addSender(acmeTenant.owner(), "+14155550100");
        api.fixtures.plane.messaging().addSender(otherTenant.owner(), "+14155550177");
        String node = "agent.flow.nodes[7].send_sms";

        assertTrue(refusal(texting(SendSmsNode.newBuilder().setNext("done"))).contains(node
                + ".template: is required: the name or id of one of the organisation's message templates"));
        assertTrue(refusal(texting(SendSmsNode.newBuilder().setTemplate("nope").setNext("done"))).contains(node
                + ".template: unknown template 'nope': the organisation has no live message template with this name"
                + " or id"));
        assertEquals(List.of(node + ".template: unknown template 'their-link': the organisation has no live message"
                        + " template with this name or id"),
                refusal(texting(SendSmsNode.newBuilder().setTemplate("their-link").setNext("done"))),
                "another organisation's template, by name");
        assertEquals(1, refusal(texting(SendSmsNode.newBuilder().setTemplate(theirs.id().toString()).setNext("done")))
                .size(), "another organisation's template, by id");
        assertTrue(refusal(texting(SendSmsNode.newBuilder().setTemplate("booking-link").setNext("nowhere")))
                .contains(node + ".next: points to unknown node 'nowhere'"));
        assertTrue(refusal(texting(SendSmsNode.newBuilder().setTemplate("booking-link"))).contains(node
                + ".next: is required: the id of the node that comes next"));
        assertTrue(refusal(texting(SendSmsNode.newBuilder().setTemplate("booking-link").setNext("done")
                .setOnRefused("gone"))).contains(node + ".on_refused: points to unknown node 'gone'"));
        assertTrue(refusal(texting(SendSmsNode.newBuilder().setTemplate("booking-link").setNext("done")
                .setFrom("+14155550177"))).contains(node + ".from: '+14155550177' is not a sender number of the"
                + " organisation"));
        assertTrue(refusal(texting(SendSmsNode.newBuilder().setTemplate("wa-link").setNext("done")
                .setFrom("+14155550100"))).contains(node + ".from: '+14155550100' sends sms but the template is a"
                + " whatsapp template"));
        assertEquals(List.of("agent.sms_templates[0]: unknown template 'their-link': the organisation has no live"
                        + " message template with this name or id",
                "agent.sms_templates[2]: '" + link.id() + "' is listed twice"),
                refusal(Agent.newBuilder().setName("Llm").setLanguage("en-US").addSmsTemplates("their-link")
                        .addSmsTemplates(link.id().toString()).addSmsTemplates(link.id().toString())));
        assertEquals(List.of("agent.sms_templates[0]: is required: the name or id of one of the organisation's"
                        + " message templates"),
                refusal(Agent.newBuilder().setName("Llm").setLanguage("en-US").addSmsTemplates(" ")));
    }

    @Test
    void aTemplateDeletedSinceDoesNotBlockAnUnrelatedEdit() {
        Template link = template(acmeTenant, "booking-link", Channel.SMS);
        Agent created = create(texting(SendSmsNode.newBuilder().setTemplate("booking-link").setNext("done")));
        api.fixtures.plane.messaging().deleteTemplate(acmeTenant.owner(), link.id().toString());

        Agent renamed = acme.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()).setName("Survey 2"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
        assertEquals("Survey 2", renamed.getName());
        var e = assertThrows(StatusRuntimeException.class, () -> acme.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()).setFlow(created.getFlow()))
                .setUpdateMask(FieldMask.newBuilder().addPaths("flow")).build()));
        assertEquals(List.of("agent.flow.nodes[7].send_sms.template"), ApiHarness.badFields(e));
    }
}
