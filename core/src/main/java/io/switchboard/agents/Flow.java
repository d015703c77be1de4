package io.switchboard.agents;

import java.util.List;
import java.util.Optional;

/**
 * What an agent says and listens for on a call when no LLM decides: a graph of nodes walked from {@code startNode},
 * in the manner of Pipecat Flows, Retell's Conversation Flow and Bland's Pathways, but deterministic. Nodes that
 * <em>listen</em> ({@link Ask}, and a {@link Branch} with intent rules) wait for the caller; the others run at once.
 * Global intents are heard on every listening node. An empty flow (no nodes) leaves the conversation to another brain.
 *
 * @param identity what the agent answers to "who is this?"; empty for the default built from the agent's name
 */
public record Flow(String startNode, List<Node> nodes, List<GlobalIntent> globalIntents, String identity) {

    public static final Flow NONE = new Flow("", List.of(), List.of(), "");

    public Flow {
        startNode = startNode == null ? "" : startNode;
        nodes = List.copyOf(nodes);
        globalIntents = List.copyOf(globalIntents);
        identity = identity == null ? "" : identity;
    }

    public boolean isEmpty() {
        return nodes.isEmpty();
    }

    public Optional<Node> node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
    }

    /**
     * One step of the flow.
     *
     * @param endpointing this node's turn-taking override; zero fields take the agent's values
     */
    public record Node(String id, Step step, Timing.Endpointing endpointing) {
        public Node {
            endpointing = endpointing == null ? Timing.Endpointing.INHERIT : endpointing;
        }
    }

    /** What a node does; {@code null} in a {@link Node} the client sent without a kind (refused at save). */
    public sealed interface Step permits Say, Ask, Branch, End, Transfer, SendSms {
    }

    /** Says {@code text} (templated) and goes on to {@code next}. */
    public record Say(String text, String next) implements Step {
    }

    /**
     * Says {@code prompt}, listens, and fills the agent's captured variable {@code variable} from the answer; an
     * answer that fits nothing gets {@code reprompt} (or "Sorry, I didn't catch that." and the prompt) once, and the
     * second miss goes on to {@code next} with the variable unset.
     *
     * @param choices for an enum variable: extra phrases that mean each value, beside the value itself
     */
    public record Ask(String variable, String prompt, String reprompt, List<Choice> choices, String next)
            implements Step {
        public Ask {
            choices = List.copyOf(choices);
        }
    }

    /** Phrases the caller may use for one enum value, e.g. {@code email: ["mail", "inbox"]}. */
    public record Choice(String value, List<String> synonyms) {
        public Choice {
            synonyms = List.copyOf(synonyms);
        }
    }

    /**
     * Chooses the next node. Variable rules are checked in order at once; if any rule is an intent rule the node
     * first says {@code prompt} (if any) and listens, then takes the first matching variable rule, else the intent
     * whose example phrases are closest to what the caller said (above a similarity threshold), else
     * {@code defaultNext}.
     */
    public record Branch(String prompt, List<Rule> rules, String defaultNext) implements Step {
        public Branch {
            rules = List.copyOf(rules);
        }

        public boolean listens() {
            return rules.stream().anyMatch(r -> r.condition() instanceof Intent);
        }
    }

    public record Rule(Condition condition, String next) {
    }

    /** {@code null} in a {@link Rule} the client sent without a condition (refused at save). */
    public sealed interface Condition permits VariableIs, Intent {
    }

    /** Compares a captured variable; {@code value} is text, read as the variable's type. */
    public record VariableIs(String variable, Op op, String value) implements Condition {
    }

    public enum Op { EQUALS, NOT_EQUALS, LESS_THAN, GREATER_THAN, IS_SET, IS_NOT_SET }

    /** The caller said something like one of {@code examples}; {@code name} is for logs and the call's record. */
    public record Intent(String name, List<String> examples) implements Condition {
        public Intent {
            examples = List.copyOf(examples);
        }
    }

    /** Says {@code text} (the goodbye) and ends the call with {@code disposition}. */
    public record End(String text, String disposition) implements Step {
    }

    /** Says {@code text} and transfers the call to {@code phoneNumber} (E.164). */
    public record Transfer(String text, String phoneNumber) implements Step {
    }

    /**
     * Texts the caller the organisation's message template {@code template} (its name or id) from {@code from} (a
     * sender number of the organisation; empty for its oldest on the template's channel) and goes on to
     * {@code next} without a word; the flow says what it likes around it. The text goes through the messaging
     * checks like any other (opt-out, do-not-call, consent, calling window, WhatsApp window) and is recorded on the
     * call as a follow-up; a template is texted at most once per call, however often the node is reached. A
     * refused text goes to {@code onRefused}, or when that is empty the agent says it could not send the text and
     * goes on to {@code next}.
     */
    public record SendSms(String template, String from, String next, String onRefused) implements Step {
        public SendSms {
            from = from == null ? "" : from;
            onRefused = onRefused == null ? "" : onRefused;
        }
    }

    /**
     * An agent-defined intent heard on every listening node, beside the built-in ones (do-not-call, a real person,
     * who is this): says {@code reply}, then goes to {@code next}, or when that is empty asks the current node again.
     */
    public record GlobalIntent(String name, List<String> examples, String reply, String next) {
        public GlobalIntent {
            examples = List.copyOf(examples);
            next = next == null ? "" : next;
        }
    }
}
