package io.switchboard.conversation.brain;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.Flow;
import io.switchboard.agents.Templates;
import io.switchboard.agents.Timing;
import io.switchboard.transcription.Expectation;

/**
 * The in-process brain: walks the agent's {@link Flow} without any network. Nodes that do not listen (say, a branch
 * on variables, end, transfer) run at once; at an {@code ask} or an intent branch it waits for the caller. Every
 * caller turn is first checked for the built-in global intents (do-not-call → on the list at once, an apology and
 * disposition {@code do_not_call}; a real person → transfer or a polite refusal; who is this → the agent's identity
 * and the question again), then answers the current node, then the agent's own global intents. An unreadable answer
 * is asked once more and then passed over. Silence gets a reprompt, and past {@code silence.max_reprompts} a goodbye
 * and disposition {@code no_response}. One instance serves every call; per-call state lives in the
 * {@link Conversation}, and calls for one conversation must not overlap (the loop hands it one event at a time).
 */
public final class FlowBrain implements Brain {

    public static final String DO_NOT_CALL = "do_not_call";
    public static final String NO_RESPONSE = "no_response";
    static final String DNC_APOLOGY = "I'm sorry for the trouble. I've taken your number off our list, and you won't"
            + " be called again. Goodbye.";
    static final String TRANSFERRING = "Of course. I'm putting you through to a colleague now.";
    static final String NOBODY_AVAILABLE = "I'm sorry, there's nobody I can put you through to right now, but I'm"
            + " happy to help.";
    static final String DIDNT_CATCH = "Sorry, I didn't catch that.";
    static final String STILL_THERE = "Are you still there?";
    static final String SILENT_GOODBYE = "I'll let you go now. Goodbye.";
    /** Said when a send_sms node's text is refused and the node has no on_refused. */
    static final String COULD_NOT_TEXT = "I'm sorry, I couldn't send you a text just now.";
    /** Intent phrases (branch rules, the agent's global intents) by meaning: at least this similar and this far ahead. */
    static final double INTENT_THRESHOLD = 0.45;
    static final double INTENT_MARGIN = 0.04;
    private static final String GLOBAL = "global:";
    private static final String RULE = "rule:";

    private final Meanings meanings;

    FlowBrain(Meanings meanings) {
        this.meanings = meanings;
    }

    /** Over the process's shared all-MiniLM-L6-v2 model. */
    public static FlowBrain create() {
        return new FlowBrain(Meanings.shared());
    }

    /**
     * Loads the meaning model and embeds the built-in intents' example phrases now (they are cached for the process),
     * so that the first caller turn after a start does not wait for them (about 0.4 s here). Off the calls' paths.
     */
    public void warmUp() {
        BuiltInIntents.recognise("warming up the meaning model", meanings);
    }

    /** Where a call is in the flow. */
    static final class State {
        String node = "";
        int misses;
        boolean ended;
        /** What the agent said before its first question (the greeting, then any say nodes), as rendered. */
        List<String> opening = List.of();
    }

    @Override
    public void start(Conversation c, ReplySink out) {
        State st = state(c);
        speak(c, c.agent().spec().firstMessage(), out);
        Flow flow = flow(c);
        if (!flow.isEmpty()) {
            advance(c, st, flow.startNode(), out);
        }
        List<String> said = c.history().stream().filter(t -> t.speaker() == Conversation.Speaker.AGENT)
                .map(Conversation.Turn::text).toList();
        boolean asks = flow(c).node(st.node).map(Flow.Node::step)
                .map(step -> step instanceof Flow.Ask || step instanceof Flow.Branch b && b.listens()).orElse(false);
        st.opening = asks && !said.isEmpty() ? said.subList(0, said.size() - 1) : said;
        out.done();
    }

    @Override
    public void onCallerTurn(Conversation c, String text, ReplySink out) {
        State st = state(c);
        c.addTurn(Conversation.Speaker.CALLER, text);
        if (st.ended || text == null || text.isBlank()) {
            out.done();
            return;
        }
        Optional<BuiltInIntents.Kind> builtIn = BuiltInIntents.recognise(text, meanings);
        if (builtIn.isPresent()) {
            builtIn(c, st, builtIn.get(), out);
            out.done();
            return;
        }
        Optional<Flow.Node> node = flow(c).node(st.node);
        switch (node.map(Flow.Node::step).orElse(null)) {
            case Flow.Ask ask -> answer(c, st, ask, text, out);
            case Flow.Branch b when b.listens() -> choose(c, st, b, text, out);
            case null, default -> globalIntent(text, flow(c)).ifPresent(g -> reply(c, st, g, out));
        }
        out.done();
    }

    /**
     * Keys as the answer to the node now listening ({@link Answers#fromKeys}: digits for a number, 1 yes and 2 no,
     * key n for an enum's n-th value); at a branch on intents, key n takes its n-th intent rule, another key its
     * default. Keys where nothing listens are noted and passed over.
     */
    @Override
    public void onDtmf(Conversation c, String digits, ReplySink out) {
        State st = state(c);
        c.addTurn(Conversation.Speaker.CALLER, "(pressed " + digits + ")");
        if (!st.ended) {
            switch (flow(c).node(st.node).map(Flow.Node::step).orElse(null)) {
                case Flow.Ask ask -> {
                    CaptureVariable variable = variable(c.agent().spec(), ask.variable()).orElseThrow(() ->
                            new IllegalStateException("ask on unknown variable " + ask.variable()));
                    captured(c, st, ask, variable, Answers.fromKeys(variable, digits), out);
                }
                case Flow.Branch b when b.listens() -> {
                    List<Flow.Rule> intents = b.rules().stream().filter(r -> r.condition() instanceof Flow.Intent)
                            .toList();
                    advance(c, st, Answers.key(digits, intents.size()).map(n -> intents.get(n).next())
                            .orElse(b.defaultNext()), out);
                }
                case null, default -> {
                }
            }
        }
        out.done();
    }

    @Override
    public void onSilence(Conversation c, int reprompt, ReplySink out) {
        State st = state(c);
        if (st.ended) {
            out.done();
            return;
        }
        Timing.Silence silence = c.agent().spec().conduct().timing().resolve().silence();
        if (reprompt > silence.maxReprompts()) {
            speak(c, silence.goodbye().isBlank() ? SILENT_GOODBYE : silence.goodbye(), out);
            finish(st, () -> out.end(NO_RESPONSE));
        } else {
            speak(c, silence.reprompt().isBlank() ? STILL_THERE : silence.reprompt(), out);
            askAgain(c, st, out);
        }
        out.done();
    }

    /**
     * The words and phrases the caller's answer to the node now listening is likely made of, for biasing the
     * recogniser (a keyword list or a small grammar); empty when nothing is expected in particular.
     */
    public List<String> expectedWords(Conversation c) {
        return expectedWords(c.agent().spec(), state(c).node);
    }

    /** At an {@code ask} node, what its variable's answer is made of ({@link Answers#expectation}); else anything. */
    @Override
    public Expectation expectation(Conversation c) {
        State st = state(c);
        if (st.ended) {
            return Expectation.NONE;
        }
        return flow(c).node(st.node).map(Flow.Node::step).filter(Flow.Ask.class::isInstance).map(Flow.Ask.class::cast)
                .flatMap(ask -> variable(c.agent().spec(), ask.variable()).map(v -> Answers.expectation(v, ask)))
                .orElse(Expectation.NONE);
    }

    /** When the caller's turn ends at the node now listening: its override over the agent's endpointing. */
    public Timing.Endpointing endpointing(Conversation c) {
        Timing.Endpointing agent = c.agent().spec().conduct().timing().resolve().endpointing();
        return flow(c).node(state(c).node).map(n -> n.endpointing().over(agent)).orElse(agent);
    }

    /** {@link #expectedWords(Conversation)} for node {@code nodeId} of {@code agent}'s flow. */
    public static List<String> expectedWords(AgentSpec agent, String nodeId) {
        return agent.conduct().flow().node(nodeId).map(Flow.Node::step).map(step -> switch (step) {
            case Flow.Ask ask -> variable(agent, ask.variable()).map(v -> Answers.expectedWords(v, ask))
                    .orElse(List.of());
            case Flow.Branch b -> b.rules().stream().map(Flow.Rule::condition)
                    .filter(Flow.Intent.class::isInstance).map(Flow.Intent.class::cast)
                    .flatMap(i -> i.examples().stream()).map(Words::spoken).distinct().toList();
            default -> List.<String>of();
        }).orElse(List.of());
    }

    private void builtIn(Conversation c, State st, BuiltInIntents.Kind kind, ReplySink out) {
        switch (kind) {
            case DO_NOT_CALL -> {
                out.addToDoNotCall();
                speak(c, DNC_APOLOGY, out);
                finish(st, () -> out.end(DO_NOT_CALL));
            }
            case HUMAN -> {
                String number = c.agent().spec().conduct().transferNumber();
                if (number.isEmpty()) {
                    speak(c, NOBODY_AVAILABLE, out);
                    askAgain(c, st, out);
                } else {
                    speak(c, TRANSFERRING, out);
                    finish(st, () -> out.transfer(number));
                }
            }
            case IDENTITY -> {
                if (openingCut(c, st)) {
                    // "Sorry, who's calling?" over the greeting: the opening says who and why, so it is said again
                    // (a short identity line alone would lose what the call is about)
                    st.opening.forEach(text -> speak(c, text, out));
                } else {
                    String identity = flow(c).identity();
                    speak(c, identity.isBlank() ? "This is " + c.agent().spec().name() + ", an automated assistant."
                            : identity, out);
                }
                askAgain(c, st, out);
            }
        }
    }

    private void answer(Conversation c, State st, Flow.Ask ask, String text, ReplySink out) {
        CaptureVariable variable = variable(c.agent().spec(), ask.variable()).orElseThrow(() ->
                new IllegalStateException("ask on unknown variable " + ask.variable()));
        boolean freeText = variable.type() == CaptureVariable.Type.STRING;
        if (freeText) {
            Optional<Flow.GlobalIntent> g = globalIntent(text, flow(c));
            if (g.isPresent()) {
                reply(c, st, g.get(), out);
                return;
            }
        }
        Optional<Object> value = Answers.read(variable, ask, text, c.today(), meanings);
        Optional<Flow.GlobalIntent> g = value.isPresent() ? Optional.empty() : globalIntent(text, flow(c));
        if (g.isPresent()) {
            reply(c, st, g.get(), out);
        } else {
            captured(c, st, ask, variable, value, out);
        }
    }

    /** The ask's value, or a miss: asked once more, then passed over. */
    private void captured(Conversation c, State st, Flow.Ask ask, CaptureVariable variable, Optional<Object> value,
                          ReplySink out) {
        if (value.isPresent()) {
            c.setVariable(variable.name(), value.get());
            out.setVariable(variable.name(), value.get());
            advance(c, st, ask.next(), out);
        } else if (st.misses == 0) {
            st.misses++;
            speak(c, ask.reprompt().isBlank() ? DIDNT_CATCH + " " + ask.prompt() : ask.reprompt(), out);
        } else {
            advance(c, st, ask.next(), out);
        }
    }

    private void choose(Conversation c, State st, Flow.Branch b, String text, ReplySink out) {
        Optional<String> byVariable = byVariables(c, b);
        if (byVariable.isPresent()) {
            advance(c, st, byVariable.get(), out);
            return;
        }
        Map<String, List<String>> labels = new LinkedHashMap<>();
        for (int i = 0; i < b.rules().size(); i++) {
            if (b.rules().get(i).condition() instanceof Flow.Intent intent) {
                labels.put(RULE + i, intent.examples());
            }
        }
        flow(c).globalIntents().forEach(g -> labels.put(GLOBAL + g.name(), g.examples()));
        Optional<String> label = meanings.match(text, labels, INTENT_THRESHOLD, INTENT_MARGIN).map(Meanings.Match::label);
        if (label.isPresent() && label.get().startsWith(GLOBAL)) {
            String name = label.get().substring(GLOBAL.length());
            flow(c).globalIntents().stream().filter(g -> g.name().equals(name)).findFirst()
                    .ifPresent(g -> reply(c, st, g, out));
        } else if (label.isPresent()) {
            advance(c, st, b.rules().get(Integer.parseInt(label.get().substring(RULE.length()))).next(), out);
        } else {
            advance(c, st, b.defaultNext(), out);
        }
    }

    private Optional<Flow.GlobalIntent> globalIntent(String text, Flow flow) {
        if (flow.globalIntents().isEmpty()) {
            return Optional.empty();
        }
        Map<String, List<String>> labels = new LinkedHashMap<>();
        flow.globalIntents().forEach(g -> labels.put(g.name(), g.examples()));
        return meanings.match(text, labels, INTENT_THRESHOLD, INTENT_MARGIN)
                .flatMap(m -> flow.globalIntents().stream().filter(g -> g.name().equals(m.label())).findFirst());
    }

    private void reply(Conversation c, State st, Flow.GlobalIntent g, ReplySink out) {
        speak(c, g.reply(), out);
        if (g.next().isEmpty()) {
            askAgain(c, st, out);
        } else {
            advance(c, st, g.next(), out);
        }
    }

    /** Runs nodes from {@code id} until one listens or the call ends. */
    private void advance(Conversation c, State st, String id, ReplySink out) {
        Flow flow = flow(c);
        for (int steps = 0; steps <= flow.nodes().size(); steps++) {
            String at = id;
            Flow.Node node = flow.node(at).orElseThrow(() -> new IllegalStateException("flow has no node " + at));
            st.node = id;
            st.misses = 0;
            switch (node.step()) {
                case Flow.Say s -> {
                    speak(c, s.text(), out);
                    id = s.next();
                }
                case Flow.Ask a -> {
                    speak(c, a.prompt(), out);
                    return;
                }
                case Flow.Branch b -> {
                    if (b.listens()) {
                        speak(c, b.prompt(), out);
                        return;
                    }
                    id = byVariables(c, b).orElse(b.defaultNext());
                }
                case Flow.End e -> {
                    speak(c, e.text(), out);
                    finish(st, () -> out.end(e.disposition()));
                    return;
                }
                case Flow.Transfer t -> {
                    speak(c, t.text(), out);
                    finish(st, () -> out.transfer(t.phoneNumber()));
                    return;
                }
                case Flow.SendSms s -> id = texted(c, s, at, out);
            }
        }
        throw new IllegalStateException("flow loops without listening at node " + id);
    }

    /** Texts the caller; the next node, or on a refusal on_refused (or an apology and the next node). */
    private static String texted(Conversation c, Flow.SendSms s, String nodeId, ReplySink out) {
        SmsResult r = out.sendSms(s.template(), s.from(), nodeId);
        if (r.sent()) {
            return s.next();
        }
        if (!s.onRefused().isEmpty()) {
            return s.onRefused();
        }
        speak(c, COULD_NOT_TEXT, out);
        return s.next();
    }

    /**
     * Whether the caller talked over the agent's opening before hearing it all and has said nothing else since: the
     * turn being answered is their first, and the agent's speech before it was cut.
     */
    private static boolean openingCut(Conversation c, State st) {
        if (st.opening.isEmpty()) {
            return false;
        }
        List<Conversation.Turn> h = c.history();
        long callerTurns = h.stream().filter(t -> t.speaker() == Conversation.Speaker.CALLER).count();
        return callerTurns == 1 && h.getFirst().speaker() == Conversation.Speaker.AGENT
                && h.getFirst().interrupted();
    }

    /** Says the current node's question again (after an aside such as "who is this?"). */
    private void askAgain(Conversation c, State st, ReplySink out) {
        flow(c).node(st.node).map(Flow.Node::step).ifPresent(step -> {
            switch (step) {
                case Flow.Ask a -> speak(c, a.prompt(), out);
                case Flow.Branch b -> speak(c, b.prompt(), out);
                default -> {
                }
            }
        });
    }

    private static Optional<String> byVariables(Conversation c, Flow.Branch b) {
        for (Flow.Rule r : b.rules()) {
            if (r.condition() instanceof Flow.VariableIs v && holds(c, v)) {
                return Optional.of(r.next());
            }
        }
        return Optional.empty();
    }

    static boolean holds(Conversation c, Flow.VariableIs condition) {
        Optional<Object> value = c.variable(condition.variable());
        if (condition.op() == Flow.Op.IS_SET || condition.op() == Flow.Op.IS_NOT_SET) {
            return value.isPresent() == (condition.op() == Flow.Op.IS_SET);
        }
        if (value.isEmpty()) {
            return condition.op() == Flow.Op.NOT_EQUALS;
        }
        int cmp = compare(value.get(), condition.value());
        return switch (condition.op()) {
            case EQUALS -> cmp == 0;
            case NOT_EQUALS -> cmp != 0;
            case LESS_THAN -> cmp < 0 && cmp != Integer.MIN_VALUE;
            case GREATER_THAN -> cmp > 0;
            case IS_SET, IS_NOT_SET -> throw new AssertionError();
        };
    }

    /** {@code value} against the condition's text read as the same type; MIN_VALUE when they cannot be compared. */
    private static int compare(Object value, String text) {
        return switch (value) {
            case BigDecimal n -> n.compareTo(new BigDecimal(text));
            case LocalDate d -> d.compareTo(LocalDate.parse(text));
            case Boolean b -> b == Boolean.parseBoolean(text) ? 0 : 1;
            case String s -> s.toLowerCase(Locale.ROOT).compareTo(text.toLowerCase(Locale.ROOT)) == 0 ? 0 : 1;
            default -> Integer.MIN_VALUE;
        };
    }

    private static Optional<CaptureVariable> variable(AgentSpec agent, String name) {
        return agent.variables().stream().filter(v -> v.name().equals(name)).findFirst();
    }

    /** Renders {@code text} and says it sentence by sentence. */
    private static void speak(Conversation c, String text, ReplySink out) {
        String rendered = Templates.render(text, c.templateValues());
        if (rendered.isBlank()) {
            return;
        }
        c.addTurn(Conversation.Speaker.AGENT, rendered);
        Sentences.split(rendered).forEach(out::say);
    }

    private static void finish(State st, Runnable action) {
        st.ended = true;
        action.run();
    }

    private static Flow flow(Conversation c) {
        return c.agent().spec().conduct().flow();
    }

    private static State state(Conversation c) {
        return c.brainState(State.class, State::new);
    }
}
