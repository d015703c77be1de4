package io.switchboard.agents;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;

/**
 * The rules of an agent's {@link Conduct}: every node reachable and pointing at nodes that exist, each {@code ask}
 * on a captured variable of the agent, no loop that would speak forever, a disposition on every end, a number on
 * every transfer, every send_sms on a template (and sender) of the organisation, and timing within sane bounds. Field paths are those of the API
 * ({@code agent.flow.nodes[2].say.next}).
 */
final class FlowValidation {

    static final int MAX_NODES = 200;
    static final Set<String> BUILT_IN_INTENTS = Set.of("do_not_call", "human", "identity");
    private static final Pattern NODE_ID = Pattern.compile("^[A-Za-z0-9_-]{1,64}$");
    private static final Pattern CODE = Pattern.compile("^[a-z][a-z0-9_]{0,63}$");
    private static final int MAX_TEXT = 2000;

    static final int MAX_SMS_TEMPLATES = 20;

    private final Map<String, CaptureVariable> variables = new LinkedHashMap<>();
    private final Map<String, Integer> index = new HashMap<>();
    private final Violations v;
    private final TextingCatalog texting;

    private FlowValidation(List<CaptureVariable> vars, Violations v, TextingCatalog texting) {
        vars.forEach(c -> variables.put(c.name(), c));
        this.v = v;
        this.texting = texting;
    }

    /** @param texting the organisation's templates and senders, which send_sms nodes and sms_templates name */
    static void validate(AgentSpec s, Violations v, TextingCatalog texting) {
        Conduct c = s.conduct();
        Templates.validate("agent.first_message", s.firstMessage(), Set.of(), v);
        v.maxLength("agent.voicemail_message", c.voicemailMessage(), 5000);
        Templates.validate("agent.voicemail_message", c.voicemailMessage(), Set.of(), v);
        if (!c.transferNumber().isEmpty()) {
            PhoneNumbers.normalize("agent.transfer_number", c.transferNumber(), "", v);
        }
        timing("agent", c.timing(), v);
        FlowValidation f = new FlowValidation(s.variables(), v, texting);
        f.flow(c.flow());
        f.smsTemplates(c.smsTemplates());
    }

    /** The templates the LLM brain's send_sms tool may text: each known to the organisation, each once. */
    private void smsTemplates(List<String> names) {
        if (names.size() > MAX_SMS_TEMPLATES) {
            v.add("agent.sms_templates", "at most " + MAX_SMS_TEMPLATES + " templates (got " + names.size() + ")");
            return;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String field = "agent.sms_templates[" + i + "]";
            if (template(field, names.get(i)).isPresent() && !seen.add(names.get(i).strip())) {
                v.add(field, "'" + names.get(i) + "' is listed twice");
            }
        }
    }

    /** A template reference: required, and a live template of the organisation; its channel when known. */
    private Optional<String> template(String field, String ref) {
        if (ref == null || ref.isBlank()) {
            v.add(field, "is required: the name or id of one of the organisation's message templates");
            return Optional.empty();
        }
        if (!texting.checks()) {
            return Optional.of("");
        }
        Optional<String> channel = texting.templateChannel(ref.strip());
        if (channel.isEmpty()) {
            v.add(field, "unknown template '" + ref + "': the organisation has no live message template with this"
                    + " name or id");
        }
        return channel;
    }

    private void sendSms(String p, Flow.SendSms s) {
        Optional<String> channel = template(p + ".template", s.template());
        if (!s.from().isBlank() && texting.checks()) {
            Optional<String> sender = texting.senderChannel(s.from().strip());
            if (sender.isEmpty()) {
                v.add(p + ".from", "'" + s.from() + "' is not a sender number of the organisation");
            } else if (channel.isPresent() && !channel.get().equals(sender.get())) {
                v.add(p + ".from", "'" + s.from() + "' sends " + sender.get() + " but the template is a "
                        + channel.get() + " template");
            }
        }
        next(p + ".next", s.next());
        if (!s.onRefused().isEmpty()) {
            target(p + ".on_refused", s.onRefused());
        }
    }

    private void flow(Flow f) {
        String p = "agent.flow";
        int problemsBefore = v.list().size();
        if (f.nodes().size() > MAX_NODES) {
            v.add(p + ".nodes", "at most " + MAX_NODES + " nodes (got " + f.nodes().size() + ")");
            return;
        }
        for (int i = 0; i < f.nodes().size(); i++) {
            String id = f.nodes().get(i).id();
            if (id == null || !NODE_ID.matcher(id).matches()) {
                v.add(p + ".nodes[" + i + "].id", "must be 1 to 64 letters, digits, _ or -");
            } else if (index.putIfAbsent(id, i) != null) {
                v.add(p + ".nodes[" + i + "].id", "'" + id + "' is used by nodes[" + index.get(id) + "] too");
            }
        }
        if (f.nodes().isEmpty()) {
            if (!f.startNode().isEmpty()) {
                v.add(p + ".start_node", "names '" + f.startNode() + "' but the flow has no nodes");
            }
        } else if (f.startNode().isEmpty()) {
            v.add(p + ".start_node", "is required: the id of the node the call starts at");
        } else {
            target(p + ".start_node", f.startNode());
        }
        Set<String> vars = variables.keySet();
        v.maxLength(p + ".identity", f.identity(), MAX_TEXT);
        Templates.validate(p + ".identity", f.identity(), vars, v);
        for (int i = 0; i < f.nodes().size(); i++) {
            node(p + ".nodes[" + i + "]", f.nodes().get(i));
        }
        Set<String> intentNames = new HashSet<>();
        for (int i = 0; i < f.globalIntents().size(); i++) {
            Flow.GlobalIntent g = f.globalIntents().get(i);
            String q = p + ".global_intents[" + i + "]";
            if (g.name() == null || !CODE.matcher(g.name()).matches()) {
                v.add(q + ".name", "must be snake_case: a lowercase letter, then letters, digits or _ (at most 64)");
            } else if (BUILT_IN_INTENTS.contains(g.name())) {
                v.add(q + ".name", "'" + g.name() + "' is built in");
            } else if (!intentNames.add(g.name())) {
                v.add(q + ".name", "'" + g.name() + "' is used twice");
            }
            examples(q + ".examples", g.examples());
            if (g.reply() == null || g.reply().isBlank()) {
                if (g.next().isEmpty()) {
                    v.add(q + ".reply", "is required when there is no next node");
                }
            } else {
                v.maxLength(q + ".reply", g.reply(), MAX_TEXT);
                Templates.validate(q + ".reply", g.reply(), vars, v);
            }
            if (!g.next().isEmpty()) {
                target(q + ".next", g.next());
            }
        }
        if (v.list().size() == problemsBefore && !f.nodes().isEmpty()) {
            graph(p, f);
        }
    }

    private void node(String p, Flow.Node n) {
        switch (n.step()) {
            case null -> v.add(p, "needs one of say, ask, branch, end, transfer or send_sms");
            case Flow.SendSms s -> sendSms(p + ".send_sms", s);
            case Flow.Say s -> {
                text(p + ".say.text", s.text(), true);
                next(p + ".say.next", s.next());
            }
            case Flow.Ask a -> ask(p + ".ask", a);
            case Flow.Branch b -> branch(p + ".branch", b);
            case Flow.End e -> {
                text(p + ".end.text", e.text(), false);
                if (e.disposition() == null || e.disposition().isEmpty()) {
                    v.add(p + ".end.disposition", "is required: the code the call ends with, e.g. not_interested");
                } else if (!CODE.matcher(e.disposition()).matches()) {
                    v.add(p + ".end.disposition", "must be lower_snake_case, start with a letter and be at most 64"
                            + " characters, got '" + e.disposition() + "'");
                }
            }
            case Flow.Transfer t -> {
                text(p + ".transfer.text", t.text(), false);
                if (t.phoneNumber() == null || t.phoneNumber().isBlank()) {
                    v.add(p + ".transfer.phone_number", "is required: the E.164 number to transfer to");
                } else {
                    PhoneNumbers.normalize(p + ".transfer.phone_number", t.phoneNumber(), "", v);
                }
            }
        }
        endpointing(p + ".endpointing", n.endpointing(), false, v);
    }

    private void ask(String p, Flow.Ask a) {
        CaptureVariable c = variable(p + ".variable", a.variable());
        text(p + ".prompt", a.prompt(), true);
        text(p + ".reprompt", a.reprompt(), false);
        next(p + ".next", a.next());
        if (!a.choices().isEmpty() && c != null && c.type() != CaptureVariable.Type.ENUM) {
            v.add(p + ".choices", "only an enum variable takes choices; '" + c.name() + "' is " + typeName(c));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < a.choices().size(); i++) {
            Flow.Choice ch = a.choices().get(i);
            String q = p + ".choices[" + i + "]";
            if (c != null && c.type() == CaptureVariable.Type.ENUM && !c.enumValues().contains(ch.value())) {
                v.add(q + ".value", "'" + ch.value() + "' is not a value of '" + c.name() + "' ("
                        + String.join(", ", c.enumValues()) + ")");
            } else if (!seen.add(ch.value())) {
                v.add(q + ".value", "'" + ch.value() + "' is listed twice");
            }
            examples(q + ".synonyms", ch.synonyms());
        }
    }

    private void branch(String p, Flow.Branch b) {
        text(p + ".prompt", b.prompt(), false);
        if (b.rules().isEmpty()) {
            v.add(p + ".rules", "a branch needs at least one rule");
        }
        if (b.defaultNext() == null || b.defaultNext().isEmpty()) {
            v.add(p + ".default_next", "is required: where the call goes when no rule matches");
        } else {
            target(p + ".default_next", b.defaultNext());
        }
        if (!b.prompt().isEmpty() && !b.listens()) {
            v.add(p + ".prompt", "only a branch with intent rules listens; put what to say in a say node");
        }
        for (int i = 0; i < b.rules().size(); i++) {
            Flow.Rule r = b.rules().get(i);
            String q = p + ".rules[" + i + "]";
            switch (r.condition()) {
                case null -> v.add(q, "needs a variable or an intent condition");
                case Flow.VariableIs x -> condition(q + ".variable", x);
                case Flow.Intent x -> {
                    if (x.name() != null && !x.name().isEmpty() && !CODE.matcher(x.name()).matches()) {
                        v.add(q + ".intent.name", "must be snake_case");
                    }
                    examples(q + ".intent.examples", x.examples());
                }
            }
            next(q + ".next", r.next());
        }
    }

    private void condition(String p, Flow.VariableIs x) {
        CaptureVariable c = variable(p + ".variable", x.variable());
        if (x.op() == null) {
            v.add(p + ".op", "is required (equals, not_equals, less_than, greater_than, is_set or is_not_set)");
            return;
        }
        boolean unary = x.op() == Flow.Op.IS_SET || x.op() == Flow.Op.IS_NOT_SET;
        String value = x.value() == null ? "" : x.value();
        if (unary) {
            if (!value.isEmpty()) {
                v.add(p + ".value", "takes no value with " + x.op().name().toLowerCase(java.util.Locale.ROOT));
            }
            return;
        }
        if (c == null) {
            return;
        }
        boolean ordered = x.op() == Flow.Op.LESS_THAN || x.op() == Flow.Op.GREATER_THAN;
        if (ordered && c.type() != CaptureVariable.Type.NUMBER && c.type() != CaptureVariable.Type.DATE) {
            v.add(p + ".op", "less_than and greater_than compare numbers and dates; '" + c.name() + "' is "
                    + typeName(c));
            return;
        }
        String problem = switch (c.type()) {
            case NUMBER -> parses(() -> new BigDecimal(value)) ? null : "must be a number, got '" + value + "'";
            case DATE -> parses(() -> LocalDate.parse(value)) ? null : "must be a date YYYY-MM-DD, got '" + value + "'";
            case BOOLEAN -> value.equals("true") || value.equals("false") ? null
                    : "must be true or false, got '" + value + "'";
            case ENUM -> c.enumValues().contains(value) ? null
                    : "'" + value + "' is not a value of '" + c.name() + "' (" + String.join(", ", c.enumValues()) + ")";
            case STRING -> value.isEmpty() ? "is required" : null;
        };
        if (problem != null) {
            v.add(p + ".value", problem);
        }
    }

    private static boolean parses(Runnable r) {
        try {
            r.run();
            return true;
        } catch (NumberFormatException | DateTimeParseException e) {
            return false;
        }
    }

    private CaptureVariable variable(String field, String name) {
        if (name == null || name.isEmpty()) {
            v.add(field, "is required: the name of one of the agent's variables");
            return null;
        }
        CaptureVariable c = variables.get(name);
        if (c == null) {
            v.add(field, "unknown variable '" + name + "'" + (variables.isEmpty() ? "; the agent captures none"
                    : "; the agent captures " + String.join(", ", variables.keySet())));
        }
        return c;
    }

    private static String typeName(CaptureVariable c) {
        return c.type() == null ? "untyped" : c.type().name().toLowerCase(java.util.Locale.ROOT);
    }

    private void text(String field, String text, boolean required) {
        if (required && (text == null || text.isBlank())) {
            v.add(field, "is required");
            return;
        }
        v.maxLength(field, text, MAX_TEXT);
        Templates.validate(field, text, variables.keySet(), v);
    }

    private void examples(String field, List<String> examples) {
        if (examples.isEmpty()) {
            v.add(field, "needs at least one phrase");
        } else if (examples.size() > 100) {
            v.add(field, "at most 100 phrases");
        } else if (examples.stream().anyMatch(e -> e == null || e.isBlank() || e.length() > 200)) {
            v.add(field, "phrases must be non-empty and at most 200 characters");
        }
    }

    private void next(String field, String id) {
        if (id == null || id.isEmpty()) {
            v.add(field, "is required: the id of the node that comes next");
        } else {
            target(field, id);
        }
    }

    private void target(String field, String id) {
        if (!index.containsKey(id)) {
            v.add(field, "points to unknown node '" + id + "'");
        }
    }

    /** Unreachable nodes, and loops of nodes that never listen (the agent would speak forever). */
    private void graph(String p, Flow f) {
        Map<String, List<String>> edges = new LinkedHashMap<>();
        for (Flow.Node n : f.nodes()) {
            edges.put(n.id(), successors(n.step()));
        }
        Set<String> reached = new HashSet<>();
        List<String> todo = new ArrayList<>();
        todo.add(f.startNode());
        f.globalIntents().stream().map(Flow.GlobalIntent::next).filter(x -> !x.isEmpty()).forEach(todo::add);
        while (!todo.isEmpty()) {
            String id = todo.removeLast();
            if (reached.add(id)) {
                todo.addAll(edges.get(id));
            }
        }
        for (Flow.Node n : f.nodes()) {
            if (!reached.contains(n.id())) {
                v.add(p + ".nodes[" + index.get(n.id()) + "]", "node '" + n.id()
                        + "' is unreachable from the start node '" + f.startNode() + "'");
            }
        }
        Map<String, Integer> state = new HashMap<>();
        for (Flow.Node n : f.nodes()) {
            List<String> path = new ArrayList<>();
            if (silentLoop(n.id(), f, edges, state, path)) {
                v.add(p + ".nodes[" + index.get(path.getFirst()) + "]", "is on a loop " + String.join(" -> ", path)
                        + " with no ask or listening branch: the agent would speak forever");
                return;
            }
        }
    }

    /** Depth-first search over nodes that do not listen; fills {@code path} with a loop when it finds one. */
    private static boolean silentLoop(String id, Flow f, Map<String, List<String>> edges, Map<String, Integer> state,
                                      List<String> path) {
        Flow.Node n = f.node(id).orElseThrow();
        if (listens(n.step())) {
            return false;
        }
        Integer s = state.get(id);
        if (s != null && s == 2) {
            return false;
        }
        if (s != null && s == 1) {
            path.subList(0, path.indexOf(id)).clear();
            path.add(id);
            return true;
        }
        state.put(id, 1);
        path.add(id);
        for (String next : edges.get(id)) {
            if (silentLoop(next, f, edges, state, path)) {
                return true;
            }
        }
        path.removeLast();
        state.put(id, 2);
        return false;
    }

    static boolean listens(Flow.Step step) {
        return step instanceof Flow.Ask || step instanceof Flow.Branch b && b.listens();
    }

    static List<String> successors(Flow.Step step) {
        return switch (step) {
            case Flow.Say s -> List.of(s.next());
            case Flow.Ask a -> List.of(a.next());
            case Flow.Branch b -> {
                List<String> out = new ArrayList<>(b.rules().stream().map(Flow.Rule::next).toList());
                out.add(b.defaultNext());
                yield out;
            }
            case Flow.End e -> List.of();
            case Flow.Transfer t -> List.of();
            case Flow.SendSms s -> s.onRefused().isEmpty() ? List.of(s.next()) : List.of(s.next(), s.onRefused());
        };
    }

    static void timing(String p, Timing t, Violations v) {
        endpointing(p + ".endpointing", t.endpointing(), true, v);
        range(p + ".interruption.min_speech", t.interruption().minSpeech(), Duration.ofMillis(50),
                Duration.ofSeconds(2), v);
        range(p + ".silence.reprompt_after", t.silence().repromptAfter(), Duration.ofSeconds(1),
                Duration.ofSeconds(60), v);
        int max = t.silence().maxReprompts();
        if (max < -1 || max > 5) {
            v.add(p + ".silence.max_reprompts", "must be between 0 and 5 (got " + max + ")");
        }
        v.maxLength(p + ".silence.reprompt", t.silence().reprompt(), MAX_TEXT);
        v.maxLength(p + ".silence.goodbye", t.silence().goodbye(), MAX_TEXT);
        Templates.validate(p + ".silence.reprompt", t.silence().reprompt(), Set.of(), v);
        Templates.validate(p + ".silence.goodbye", t.silence().goodbye(), Set.of(), v);
    }

    private static void endpointing(String p, Timing.Endpointing e, boolean agentLevel, Violations v) {
        range(p + ".min_silence", e.minSilence(), Duration.ofMillis(100), Duration.ofSeconds(5), v);
        range(p + ".max_silence", e.maxSilence(), Duration.ofMillis(100), Duration.ofSeconds(10), v);
        Duration min = e.minSilence().isZero() && agentLevel ? Timing.DEFAULT_MIN_SILENCE : e.minSilence();
        if (!e.maxSilence().isZero() && !min.isZero() && e.maxSilence().compareTo(min) < 0) {
            v.add(p + ".max_silence", "must not be shorter than min_silence (" + min.toMillis() + " ms)");
        }
    }

    /** Zero means "not set"; anything else must lie within [lo, hi]. */
    private static void range(String field, Duration d, Duration lo, Duration hi, Violations v) {
        if (!d.isZero() && (d.compareTo(lo) < 0 || d.compareTo(hi) > 0)) {
            v.add(field, "must be between " + lo.toMillis() + " ms and " + hi.toMillis() + " ms (got "
                    + d.toMillis() + " ms)");
        }
    }
}
