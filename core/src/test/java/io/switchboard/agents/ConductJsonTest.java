package io.switchboard.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;

import org.jooq.JSONB;
import org.junit.jupiter.api.Test;

class ConductJsonTest {

    @Test
    void agentsSavedBeforeFlowsReadAsNoFlowWithDefaultTiming() {
        assertEquals(Conduct.NONE, ConductJson.read(JSONB.jsonb("{}")));
        assertEquals(Timing.DEFAULT_MAX_REPROMPTS, Conduct.NONE.timing().resolve().silence().maxReprompts());
        assertEquals(Duration.ofMillis(500), Conduct.NONE.timing().resolve().endpointing().minSilence());
    }

    @Test
    void everyKindOfNodeSurvivesTheRoundTrip() {
        Flow flow = new Flow("a", List.of(
                new Flow.Node("a", new Flow.Say("Hi.", "b"), Timing.Endpointing.INHERIT),
                new Flow.Node("b", new Flow.Ask("v", "Which?", "Pardon?", List.of(new Flow.Choice("x", List.of("ex"))),
                        "c"), new Timing.Endpointing(Duration.ofMillis(700), Duration.ZERO)),
                new Flow.Node("c", new Flow.Branch("Now?", List.of(
                        new Flow.Rule(new Flow.VariableIs("v", Flow.Op.IS_SET, ""), "d"),
                        new Flow.Rule(new Flow.Intent("later", List.of("later please")), "e")), "d"),
                        Timing.Endpointing.INHERIT),
                new Flow.Node("d", new Flow.End("Bye.", "done"), Timing.Endpointing.INHERIT),
                new Flow.Node("e", new Flow.Transfer("Hold on.", "+14155550123"), Timing.Endpointing.INHERIT),
                new Flow.Node("f", new Flow.SendSms("booking-link", "+14155550100", "d", "e"),
                        Timing.Endpointing.INHERIT)),
                List.of(new Flow.GlobalIntent("price", List.of("how much"), "Ten.", "")), "I'm Ava.");
        Conduct c = new Conduct(flow, "Call us back.", "+14155550100", new Timing(
                new Timing.Endpointing(Duration.ofMillis(400), Duration.ofSeconds(2)),
                new Timing.Interruption(Duration.ofMillis(300)),
                new Timing.Silence(Duration.ofSeconds(6), 0, "Hello?", "Bye then.")), List.of("price-list"));
        assertEquals(c, ConductJson.read(ConductJson.write(c)));
    }
}
