package io.switchboard.conversation.brain.llm;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.ReplySink;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.summaries.CapturedValue;

/**
 * The actions a language model may take on a live call, as tools: {@code end_call}, {@code transfer_call},
 * {@code set_variable}, {@code add_to_do_not_call}, {@code send_dtmf} and, when the agent lists
 * {@code sms_templates}, {@code send_sms}. Every argument is checked here before
 * anything reaches the call; a refused call changes nothing and its result tells the model why, so it can
 * correct itself. {@code end_call} is refused during the call's first seconds (models are known to hang up while
 * greeting), and transfers go only to the agent's own transfer number, never to one the caller talks the model
 * into. Likewise {@code send_sms} sends only one of the templates the agent lists, to the caller's own number:
 * never text the model writes. A template is text the organisation reviewed (and a carrier may have vetted), with
 * a category that decides whether marketing consent is needed, and the only thing WhatsApp accepts outside its
 * 24-hour window; free text from a model could be talked by the caller into anything, a link included.
 */
final class CallTools {

    static final String END_CALL = "end_call";
    static final String TRANSFER_CALL = "transfer_call";
    static final String SET_VARIABLE = "set_variable";
    static final String ADD_TO_DO_NOT_CALL = "add_to_do_not_call";
    static final String SEND_DTMF = "send_dtmf";
    static final String SEND_SMS = "send_sms";

    /** The disposition {@code add_to_do_not_call} asks the model to end with, as the flow brain does. */
    static final String DO_NOT_CALL = "do_not_call";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DTMF = Pattern.compile("^[0-9*#wW]{1,64}$");

    /** What a tool call did: the result the model reads, and whether the call is now over for this brain. */
    record Outcome(String result, boolean terminal) {
        static Outcome ok(String result) {
            return new Outcome(result, false);
        }

        static Outcome refused(String why) {
            return new Outcome("Error: " + why, false);
        }
    }

    private final Conversation conversation;
    private final Clock clock;
    private final Duration endCallGrace;

    CallTools(Conversation conversation, Clock clock, Duration endCallGrace) {
        this.conversation = conversation;
        this.clock = clock;
        this.endCallGrace = endCallGrace;
    }

    List<ToolSpecification> specifications() {
        var tools = new ArrayList<ToolSpecification>();
        JsonObjectSchema.Builder endArgs = JsonObjectSchema.builder();
        if (conversation.dispositionCodes().isEmpty()) {
            endArgs.addStringProperty("disposition", "A short snake_case outcome code, e.g. not_interested");
        } else {
            endArgs.addEnumProperty("disposition", conversation.dispositionCodes(), "The call's outcome");
        }
        tools.add(ToolSpecification.builder().name(END_CALL)
                .description("Hang up. Say your goodbye in the same reply before calling this. Do not call it "
                        + "while the caller's intent is unclear.")
                .parameters(endArgs.required("disposition").build()).build());
        if (conversation.transfer().isPresent()) {
            tools.add(ToolSpecification.builder().name(TRANSFER_CALL)
                    .description("Transfer the caller to a human colleague, e.g. when they ask for a real person. "
                            + "Tell the caller before calling this.")
                    .parameters(JsonObjectSchema.builder()
                            .addStringProperty("number", "Leave out to use the agent's transfer number").build())
                    .build());
        }
        List<CaptureVariable> vars = conversation.agent().spec().variables();
        if (!vars.isEmpty()) {
            var doc = new StringBuilder("Record a value the caller stated. Variables:");
            vars.forEach(v -> doc.append("\n- ").append(v.name()).append(" (").append(typeName(v)).append(')')
                    .append(v.description() == null || v.description().isBlank() ? "" : ": " + v.description()));
            tools.add(ToolSpecification.builder().name(SET_VARIABLE).description(doc.toString())
                    .parameters(JsonObjectSchema.builder()
                            .addEnumProperty("name", vars.stream().map(CaptureVariable::name).toList())
                            .addProperty("value", JsonAnyOfSchema.builder().anyOf(new JsonStringSchema(),
                                    new JsonNumberSchema(), new JsonBooleanSchema()).build())
                            .required("name", "value").build())
                    .build());
        }
        tools.add(ToolSpecification.builder().name(ADD_TO_DO_NOT_CALL)
                .description("The caller asked not to be called again, in any words (stop calling, don't call me, "
                        + "remove my number, take me off your list, put me on your do not call list, unsubscribe), "
                        + "even if the recogniser garbled some of them: puts their number on the do-not-call list "
                        + "at once. Then apologise and end the call with disposition " + DO_NOT_CALL + ".")
                .parameters(JsonObjectSchema.builder().build()).build());
        tools.add(ToolSpecification.builder().name(SEND_DTMF)
                .description("Press keys on the phone keypad, e.g. to navigate an automated menu. "
                        + "Digits 0-9, * and #; w waits half a second.")
                .parameters(JsonObjectSchema.builder().addStringProperty("digits").required("digits").build())
                .build());
        List<String> texts = conversation.agent().spec().conduct().smsTemplates();
        if (!texts.isEmpty()) {
            tools.add(ToolSpecification.builder().name(SEND_SMS)
                    .description("Text the caller one of the organisation's prepared messages, to the number of "
                            + "this call, when they ask for it or agree to it (e.g. \"can you text me the link?\"). "
                            + "You cannot write the text yourself; each message's name says what it is. Then tell "
                            + "the caller what came of it.")
                    .parameters(JsonObjectSchema.builder().addEnumProperty("template", texts, "The message to send")
                            .required("template").build())
                    .build());
        }
        return tools;
    }

    Outcome execute(ToolExecutionRequest call, ReplySink out) {
        JsonNode args;
        try {
            String raw = call.arguments() == null || call.arguments().isBlank() ? "{}" : call.arguments();
            args = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            return Outcome.refused("the arguments are not valid JSON: " + e.getOriginalMessage());
        }
        if (args == null || !args.isObject()) {
            return Outcome.refused("the arguments must be a JSON object");
        }
        return switch (call.name() == null ? "" : call.name()) {
            case END_CALL -> endCall(args, out);
            case TRANSFER_CALL -> transfer(args, out);
            case SET_VARIABLE -> setVariable(args, out);
            case ADD_TO_DO_NOT_CALL -> {
                out.addToDoNotCall();
                yield Outcome.ok("The number is on the do-not-call list. Apologise briefly, then call " + END_CALL
                        + " with disposition " + DO_NOT_CALL + ".");
            }
            case SEND_DTMF -> sendDtmf(args, out);
            case SEND_SMS -> sendSms(args, out);
            default -> Outcome.refused("there is no tool named '" + call.name() + "'");
        };
    }

    private Outcome endCall(JsonNode args, ReplySink out) {
        Duration elapsed = Duration.between(conversation.startedAt(), clock.instant());
        if (elapsed.compareTo(endCallGrace) < 0) {
            return Outcome.refused("the call started " + elapsed.toSeconds() + " s ago; " + END_CALL
                    + " is not allowed in the first " + endCallGrace.toSeconds()
                    + " s. Keep talking with the caller.");
        }
        Optional<String> disposition = text(args, "disposition");
        if (disposition.isEmpty()) {
            return Outcome.refused("disposition is required");
        }
        List<String> codes = conversation.dispositionCodes();
        if (!codes.isEmpty() && !codes.contains(disposition.get())) {
            return Outcome.refused("disposition '" + disposition.get() + "' is not one of " + codes);
        }
        out.end(disposition.get());
        return new Outcome("The call is ending.", true);
    }

    private Outcome transfer(JsonNode args, ReplySink out) {
        Optional<String> configured = conversation.transfer();
        if (configured.isEmpty()) {
            return Outcome.refused("this agent has no transfer number; offer a call back instead");
        }
        Optional<String> asked = text(args, "number");
        if (asked.isPresent()) {
            var v = new Violations();
            Optional<String> e164 = PhoneNumbers.normalize("number", asked.get(), null, v);
            if (e164.isEmpty()) {
                return Outcome.refused(v.list().getFirst().toString());
            }
            if (!e164.get().equals(configured.get())) {
                return Outcome.refused("transfers go only to the agent's transfer number; leave number out");
            }
        }
        out.transfer(configured.get());
        return new Outcome("The call is being transferred.", true);
    }

    private Outcome setVariable(JsonNode args, ReplySink out) {
        Optional<String> name = text(args, "name");
        if (name.isEmpty()) {
            return Outcome.refused("name is required");
        }
        Optional<CaptureVariable> variable = conversation.agent().spec().variables().stream()
                .filter(v -> v.name().equals(name.get())).findFirst();
        if (variable.isEmpty()) {
            return Outcome.refused("there is no variable '" + name.get() + "'; the variables are "
                    + conversation.agent().spec().variables().stream().map(CaptureVariable::name).toList());
        }
        JsonNode value = args.get("value");
        if (value == null || value.isNull()) {
            return Outcome.refused("value is required");
        }
        CapturedValue typed;
        try {
            typed = CapturedValue.of(variable.get(), value);
        } catch (IllegalArgumentException e) {
            return Outcome.refused(name.get() + ": " + e.getMessage() + "; nothing was stored");
        }
        out.setVariable(name.get(), plain(typed));
        return Outcome.ok("Stored " + name.get() + ".");
    }

    /** As {@link ReplySink#setVariable} takes values: Boolean, BigDecimal, LocalDate or String. */
    static Object plain(CapturedValue v) {
        return switch (v) {
            case CapturedValue.Text t -> t.value();
            case CapturedValue.Number n -> n.value();
            case CapturedValue.Bool b -> b.value();
            case CapturedValue.Date d -> d.value();
            case CapturedValue.Choice ch -> ch.value();
        };
    }

    private static Outcome sendDtmf(JsonNode args, ReplySink out) {
        Optional<String> digits = text(args, "digits");
        if (digits.isEmpty() || !DTMF.matcher(digits.get()).matches()) {
            return Outcome.refused("digits must be 1 to 64 of 0-9, *, # and w, got "
                    + digits.map(d -> "'" + d + "'").orElse("nothing"));
        }
        out.sendDtmf(digits.get());
        return Outcome.ok("Sent " + digits.get() + ".");
    }

    private Outcome sendSms(JsonNode args, ReplySink out) {
        List<String> allowed = conversation.agent().spec().conduct().smsTemplates();
        if (allowed.isEmpty()) {
            return Outcome.refused("this agent may not send texts; offer another way to reach the caller");
        }
        Optional<String> template = text(args, "template");
        if (template.isEmpty()) {
            return Outcome.refused("template is required: one of " + allowed);
        }
        if (!allowed.contains(template.get())) {
            return Outcome.refused("'" + template.get() + "' is not a message this agent may send; the messages are "
                    + allowed + ". Nothing was sent.");
        }
        SmsResult r = out.sendSms(template.get(), "", "");
        if (r.sent()) {
            return Outcome.ok(r.repeated() ? "The message " + template.get() + " was already sent on this call and is"
                    + " not sent twice. Tell the caller it is on its way."
                    : "The message " + template.get() + " is on its way to the caller's phone.");
        }
        return Outcome.ok("The message was not sent (" + r.refusal() + (r.detail().isBlank() ? "" : ": " + r.detail())
                + "). Tell the caller briefly that you cannot text them this time, without reading out the reason;"
                + " do not try again.");
    }

    private static Optional<String> text(JsonNode args, String field) {
        JsonNode n = args.get(field);
        return n != null && n.isTextual() && !n.asText().isBlank() ? Optional.of(n.asText().strip())
                : Optional.empty();
    }

    static String typeName(CaptureVariable v) {
        return switch (v.type()) {
            case STRING -> "text";
            case NUMBER -> "a JSON number";
            case BOOLEAN -> "true or false";
            case DATE -> "a date as yyyy-MM-dd";
            case ENUM -> "one of " + String.join(", ", v.enumValues());
        };
    }
}
