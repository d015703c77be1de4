package io.switchboard.agents;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jooq.JSONB;

/**
 * {@link Conduct} as the {@code agents.conduct} / {@code agent_versions.conduct} JSON document. Written by hand so the
 * stored shape is ours (snake_case like the API, durations in milliseconds) and not whatever the records look like;
 * an empty object reads as {@link Conduct#NONE}, so agents saved before flows existed need no rewrite.
 */
final class ConductJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConductJson() {
    }

    static JSONB write(Conduct c) {
        ObjectNode o = JSON.createObjectNode();
        Flow f = c.flow();
        ObjectNode flow = o.putObject("flow").put("start_node", f.startNode()).put("identity", f.identity());
        ArrayNode nodes = flow.putArray("nodes");
        for (Flow.Node n : f.nodes()) {
            ObjectNode x = nodes.addObject().put("id", n.id());
            step(x, n.step());
            endpointing(x.putObject("endpointing"), n.endpointing());
        }
        ArrayNode intents = flow.putArray("global_intents");
        for (Flow.GlobalIntent g : f.globalIntents()) {
            ObjectNode x = intents.addObject().put("name", g.name()).put("reply", g.reply()).put("next", g.next());
            strings(x.putArray("examples"), g.examples());
        }
        o.put("voicemail_message", c.voicemailMessage()).put("transfer_number", c.transferNumber());
        Timing t = c.timing();
        endpointing(o.putObject("endpointing"), t.endpointing());
        o.putObject("interruption").put("min_speech_ms", t.interruption().minSpeech().toMillis());
        o.putObject("silence").put("reprompt_after_ms", t.silence().repromptAfter().toMillis())
                .put("max_reprompts", t.silence().maxReprompts()).put("reprompt", t.silence().reprompt())
                .put("goodbye", t.silence().goodbye());
        strings(o.putArray("sms_templates"), c.smsTemplates());
        return JSONB.jsonb(o.toString());
    }

    private static void step(ObjectNode x, Flow.Step step) {
        switch (step) {
            case Flow.Say s -> x.putObject("say").put("text", s.text()).put("next", s.next());
            case Flow.Ask a -> {
                ObjectNode y = x.putObject("ask").put("variable", a.variable()).put("prompt", a.prompt())
                        .put("reprompt", a.reprompt()).put("next", a.next());
                ArrayNode choices = y.putArray("choices");
                a.choices().forEach(ch -> strings(choices.addObject().put("value", ch.value()).putArray("synonyms"),
                        ch.synonyms()));
            }
            case Flow.Branch b -> {
                ObjectNode y = x.putObject("branch").put("prompt", b.prompt()).put("default_next", b.defaultNext());
                ArrayNode rules = y.putArray("rules");
                for (Flow.Rule r : b.rules()) {
                    ObjectNode z = rules.addObject().put("next", r.next());
                    switch (r.condition()) {
                        case Flow.VariableIs c -> z.putObject("variable").put("variable", c.variable())
                                .put("op", c.op().name().toLowerCase(Locale.ROOT)).put("value", c.value());
                        case Flow.Intent c -> strings(z.putObject("intent").put("name", c.name()).putArray("examples"),
                                c.examples());
                    }
                }
            }
            case Flow.End e -> x.putObject("end").put("text", e.text()).put("disposition", e.disposition());
            case Flow.Transfer t -> x.putObject("transfer").put("text", t.text()).put("phone_number", t.phoneNumber());
            case Flow.SendSms s -> x.putObject("send_sms").put("template", s.template()).put("from", s.from())
                    .put("next", s.next()).put("on_refused", s.onRefused());
        }
    }

    private static void endpointing(ObjectNode x, Timing.Endpointing e) {
        x.put("min_silence_ms", e.minSilence().toMillis()).put("max_silence_ms", e.maxSilence().toMillis());
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    static Conduct read(JSONB json) {
        JsonNode o;
        try {
            o = JSON.readTree(json == null ? "{}" : json.data());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored agent conduct is not valid JSON", e);
        }
        JsonNode f = o.path("flow");
        List<Flow.Node> nodes = new ArrayList<>();
        for (JsonNode n : f.path("nodes")) {
            nodes.add(new Flow.Node(n.path("id").asText(), step(n), endpointing(n.path("endpointing"))));
        }
        List<Flow.GlobalIntent> intents = new ArrayList<>();
        for (JsonNode g : f.path("global_intents")) {
            intents.add(new Flow.GlobalIntent(g.path("name").asText(), strings(g.path("examples")),
                    g.path("reply").asText(), g.path("next").asText()));
        }
        Flow flow = new Flow(f.path("start_node").asText(), nodes, intents, f.path("identity").asText());
        JsonNode s = o.path("silence");
        Timing timing = new Timing(endpointing(o.path("endpointing")),
                new Timing.Interruption(ms(o.path("interruption").path("min_speech_ms"))),
                new Timing.Silence(ms(s.path("reprompt_after_ms")), s.path("max_reprompts").asInt(-1),
                        s.path("reprompt").asText(), s.path("goodbye").asText()));
        return new Conduct(flow, o.path("voicemail_message").asText(), o.path("transfer_number").asText(), timing,
                strings(o.path("sms_templates")));
    }

    private static Flow.Step step(JsonNode n) {
        if (n.has("say")) {
            JsonNode x = n.get("say");
            return new Flow.Say(x.path("text").asText(), x.path("next").asText());
        }
        if (n.has("ask")) {
            JsonNode x = n.get("ask");
            List<Flow.Choice> choices = new ArrayList<>();
            x.path("choices").forEach(c -> choices.add(new Flow.Choice(c.path("value").asText(),
                    strings(c.path("synonyms")))));
            return new Flow.Ask(x.path("variable").asText(), x.path("prompt").asText(), x.path("reprompt").asText(),
                    choices, x.path("next").asText());
        }
        if (n.has("branch")) {
            JsonNode x = n.get("branch");
            List<Flow.Rule> rules = new ArrayList<>();
            for (JsonNode r : x.path("rules")) {
                Flow.Condition c = r.has("variable")
                        ? new Flow.VariableIs(r.get("variable").path("variable").asText(),
                        Flow.Op.valueOf(r.get("variable").path("op").asText().toUpperCase(Locale.ROOT)),
                        r.get("variable").path("value").asText())
                        : new Flow.Intent(r.path("intent").path("name").asText(), strings(r.path("intent").path("examples")));
                rules.add(new Flow.Rule(c, r.path("next").asText()));
            }
            return new Flow.Branch(x.path("prompt").asText(), rules, x.path("default_next").asText());
        }
        if (n.has("end")) {
            JsonNode x = n.get("end");
            return new Flow.End(x.path("text").asText(), x.path("disposition").asText());
        }
        if (n.has("send_sms")) {
            JsonNode x = n.get("send_sms");
            return new Flow.SendSms(x.path("template").asText(), x.path("from").asText(), x.path("next").asText(),
                    x.path("on_refused").asText());
        }
        JsonNode x = n.path("transfer");
        return new Flow.Transfer(x.path("text").asText(), x.path("phone_number").asText());
    }

    private static Timing.Endpointing endpointing(JsonNode x) {
        return new Timing.Endpointing(ms(x.path("min_silence_ms")), ms(x.path("max_silence_ms")));
    }

    private static Duration ms(JsonNode x) {
        return Duration.ofMillis(x.asLong(0));
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }
}
