package io.switchboard.server.agents;

import java.time.Duration;

import io.switchboard.agents.Conduct;
import io.switchboard.agents.Flow;
import io.switchboard.agents.Timing;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.BranchNode;
import io.switchboard.v1.BranchRule;
import io.switchboard.v1.Choice;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Endpointing;
import io.switchboard.v1.FlowNode;
import io.switchboard.v1.GlobalIntent;
import io.switchboard.v1.IntentCondition;
import io.switchboard.v1.Interruption;
import io.switchboard.v1.SayNode;
import io.switchboard.v1.SendSmsNode;
import io.switchboard.v1.Silence;
import io.switchboard.v1.TransferNode;
import io.switchboard.v1.VariableCondition;

/** Translates an agent's flow, voicemail, transfer, timing and sms_templates fields between the API and {@link Conduct}. */
final class ConductProtos {

    private ConductProtos() {
    }

    static Conduct conduct(Agent a) {
        return new Conduct(flow(a.getFlow()), a.getVoicemailMessage(), a.getTransferNumber(),
                new Timing(endpointing(a.getEndpointing()), new Timing.Interruption(duration(a.getInterruption()
                        .getMinSpeech())), silence(a.getSilence())), a.getSmsTemplatesList());
    }

    static void toProto(Conduct c, Agent.Builder a) {
        Timing t = c.timing();
        a.setFlow(toProto(c.flow())).setVoicemailMessage(c.voicemailMessage()).setTransferNumber(c.transferNumber())
                .setEndpointing(toProto(t.endpointing()));
        if (!t.interruption().minSpeech().isZero()) {
            a.setInterruption(Interruption.newBuilder().setMinSpeech(duration(t.interruption().minSpeech())));
        }
        Silence.Builder s = Silence.newBuilder().setReprompt(t.silence().reprompt()).setGoodbye(t.silence().goodbye());
        if (!t.silence().repromptAfter().isZero()) {
            s.setRepromptAfter(duration(t.silence().repromptAfter()));
        }
        if (t.silence().maxReprompts() >= 0) {
            s.setMaxReprompts(t.silence().maxReprompts());
        }
        a.setSilence(s).addAllSmsTemplates(c.smsTemplates());
    }

    private static Flow flow(io.switchboard.v1.Flow f) {
        return new Flow(f.getStartNode(), f.getNodesList().stream().map(ConductProtos::node).toList(),
                f.getGlobalIntentsList().stream().map(g -> new Flow.GlobalIntent(g.getName(), g.getExamplesList(),
                        g.getReply(), g.getNext())).toList(), f.getIdentity());
    }

    private static Flow.Node node(FlowNode n) {
        Flow.Step step = switch (n.getKindCase()) {
            case SAY -> new Flow.Say(n.getSay().getText(), n.getSay().getNext());
            case ASK -> {
                AskNode a = n.getAsk();
                yield new Flow.Ask(a.getVariable(), a.getPrompt(), a.getReprompt(), a.getChoicesList().stream()
                        .map(c -> new Flow.Choice(c.getValue(), c.getSynonymsList())).toList(), a.getNext());
            }
            case BRANCH -> {
                BranchNode b = n.getBranch();
                yield new Flow.Branch(b.getPrompt(), b.getRulesList().stream().map(ConductProtos::rule).toList(),
                        b.getDefaultNext());
            }
            case END -> new Flow.End(n.getEnd().getText(), n.getEnd().getDisposition());
            case TRANSFER -> new Flow.Transfer(n.getTransfer().getText(), n.getTransfer().getPhoneNumber());
            case SEND_SMS -> new Flow.SendSms(n.getSendSms().getTemplate(), n.getSendSms().getFrom(),
                    n.getSendSms().getNext(), n.getSendSms().getOnRefused());
            case KIND_NOT_SET -> null;
        };
        return new Flow.Node(n.getId(), step, endpointing(n.getEndpointing()));
    }

    private static Flow.Rule rule(BranchRule r) {
        Flow.Condition c = switch (r.getConditionCase()) {
            case VARIABLE -> {
                VariableCondition v = r.getVariable();
                Flow.Op op = switch (v.getOp()) {
                    case OP_EQUALS -> Flow.Op.EQUALS;
                    case OP_NOT_EQUALS -> Flow.Op.NOT_EQUALS;
                    case OP_LESS_THAN -> Flow.Op.LESS_THAN;
                    case OP_GREATER_THAN -> Flow.Op.GREATER_THAN;
                    case OP_IS_SET -> Flow.Op.IS_SET;
                    case OP_IS_NOT_SET -> Flow.Op.IS_NOT_SET;
                    case OP_UNSPECIFIED, UNRECOGNIZED -> null;
                };
                yield new Flow.VariableIs(v.getVariable(), op, v.getValue());
            }
            case INTENT -> new Flow.Intent(r.getIntent().getName(), r.getIntent().getExamplesList());
            case CONDITION_NOT_SET -> null;
        };
        return new Flow.Rule(c, r.getNext());
    }

    private static Timing.Endpointing endpointing(Endpointing e) {
        return new Timing.Endpointing(duration(e.getMinSilence()), duration(e.getMaxSilence()));
    }

    private static Timing.Silence silence(Silence s) {
        return new Timing.Silence(duration(s.getRepromptAfter()), s.hasMaxReprompts() ? s.getMaxReprompts() : -1,
                s.getReprompt(), s.getGoodbye());
    }

    private static io.switchboard.v1.Flow toProto(Flow f) {
        io.switchboard.v1.Flow.Builder b = io.switchboard.v1.Flow.newBuilder().setStartNode(f.startNode())
                .setIdentity(f.identity());
        for (Flow.Node n : f.nodes()) {
            FlowNode.Builder x = FlowNode.newBuilder().setId(n.id());
            if (!n.endpointing().equals(Timing.Endpointing.INHERIT)) {
                x.setEndpointing(toProto(n.endpointing()));
            }
            switch (n.step()) {
                case Flow.Say s -> x.setSay(SayNode.newBuilder().setText(s.text()).setNext(s.next()));
                case Flow.Ask a -> x.setAsk(AskNode.newBuilder().setVariable(a.variable()).setPrompt(a.prompt())
                        .setReprompt(a.reprompt()).setNext(a.next()).addAllChoices(a.choices().stream()
                                .map(c -> Choice.newBuilder().setValue(c.value()).addAllSynonyms(c.synonyms()).build())
                                .toList()));
                case Flow.Branch br -> x.setBranch(BranchNode.newBuilder().setPrompt(br.prompt())
                        .setDefaultNext(br.defaultNext()).addAllRules(br.rules().stream().map(ConductProtos::toProto)
                                .toList()));
                case Flow.End e -> x.setEnd(EndNode.newBuilder().setText(e.text()).setDisposition(e.disposition()));
                case Flow.Transfer t -> x.setTransfer(TransferNode.newBuilder().setText(t.text())
                        .setPhoneNumber(t.phoneNumber()));
                case Flow.SendSms t -> x.setSendSms(SendSmsNode.newBuilder().setTemplate(t.template())
                        .setFrom(t.from()).setNext(t.next()).setOnRefused(t.onRefused()));
            }
            b.addNodes(x);
        }
        f.globalIntents().forEach(g -> b.addGlobalIntents(GlobalIntent.newBuilder().setName(g.name())
                .addAllExamples(g.examples()).setReply(g.reply()).setNext(g.next())));
        return b.build();
    }

    private static BranchRule toProto(Flow.Rule r) {
        BranchRule.Builder b = BranchRule.newBuilder().setNext(r.next());
        switch (r.condition()) {
            case Flow.VariableIs v -> b.setVariable(VariableCondition.newBuilder().setVariable(v.variable())
                    .setOp(VariableCondition.Op.valueOf("OP_" + v.op().name())).setValue(v.value()));
            case Flow.Intent i -> b.setIntent(IntentCondition.newBuilder().setName(i.name())
                    .addAllExamples(i.examples()));
        }
        return b.build();
    }

    private static Endpointing toProto(Timing.Endpointing e) {
        Endpointing.Builder b = Endpointing.newBuilder();
        if (!e.minSilence().isZero()) {
            b.setMinSilence(duration(e.minSilence()));
        }
        if (!e.maxSilence().isZero()) {
            b.setMaxSilence(duration(e.maxSilence()));
        }
        return b.build();
    }

    private static Duration duration(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    private static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }
}
