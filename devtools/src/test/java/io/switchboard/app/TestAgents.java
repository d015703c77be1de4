package io.switchboard.app;

import io.switchboard.v1.Agent;
import io.switchboard.v1.AskNode;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.EndNode;
import io.switchboard.v1.Flow;
import io.switchboard.v1.FlowNode;

/** Agents the end-to-end tests talk to. */
final class TestAgents {

    private TestAgents() {
    }

    /**
     * The clinic's flow agent, speaking Flite's slt: greeting, then "can you come?" (yes/no, {@code coming}) and
     * "how many people?" (a number, {@code people}), then goodbye with disposition {@code confirmed} and hang-up.
     */
    static Agent.Builder appointments(String name) {
        return Agent.newBuilder().setName(name).setLanguage("en-US").setVoice("flite:slt")
                .setFirstMessage("Hello, this is the clinic calling about your appointment.")
                .addVariables(CaptureVariable.newBuilder().setName("coming").setType(CaptureVariable.Type.TYPE_BOOLEAN))
                .addVariables(CaptureVariable.newBuilder().setName("people").setType(CaptureVariable.Type.TYPE_NUMBER))
                .setFlow(Flow.newBuilder().setStartNode("coming")
                        .addNodes(FlowNode.newBuilder().setId("coming").setAsk(AskNode.newBuilder()
                                .setVariable("coming").setPrompt("Can you come tomorrow morning?").setNext("people")))
                        .addNodes(FlowNode.newBuilder().setId("people").setAsk(AskNode.newBuilder()
                                .setVariable("people").setPrompt("How many people will come?").setNext("bye")))
                        .addNodes(FlowNode.newBuilder().setId("bye").setEnd(EndNode.newBuilder()
                                .setText("Thank you, see you tomorrow. Goodbye.").setDisposition("confirmed"))));
    }
}
