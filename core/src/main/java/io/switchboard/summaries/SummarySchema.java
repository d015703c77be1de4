package io.switchboard.summaries;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import io.switchboard.agents.CaptureVariable;

/**
 * The contract between us and a language model for one call: the JSON schema we ask for (summary, the agent's
 * capture variables, the campaign's disposition codes) and the check of what comes back. The provider's schema
 * enforcement is a hint, not a guarantee, so every value is validated here again; a value that fails becomes a
 * {@link NotProduced} with the reason, never a coerced guess.
 *
 * <p>Every variable is nullable in the schema, the agent's "required" flag included: a strict schema that forbade
 * null would force the model to invent a value for something the caller never said. The flag goes into the
 * property description and into the reason when the value is missing.
 */
final class SummarySchema {

    static final String SCHEMA_NAME = "call_summary";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SummaryRequest request;

    SummarySchema(SummaryRequest request) {
        this.request = request;
    }

    ResponseFormat responseFormat() {
        var root = JsonObjectSchema.builder()
                .addStringProperty("summary", "An abstractive summary of the call following the instructions.");
        var required = new ArrayList<String>(List.of("summary"));
        if (!request.variables().isEmpty()) {
            var variables = JsonObjectSchema.builder().additionalProperties(false);
            for (CaptureVariable v : request.variables()) {
                variables.addProperty(v.name(), JsonAnyOfSchema.builder()
                        .description(describe(v))
                        .anyOf(valueSchema(v), new JsonNullSchema())
                        .build());
            }
            root.addProperty("variables", variables
                    .required(request.variables().stream().map(CaptureVariable::name).toList()).build());
            required.add("variables");
        }
        if (!request.dispositionCodes().isEmpty()) {
            root.addProperty("disposition", JsonEnumSchema.builder()
                    .description("The campaign disposition code that best describes the outcome of the call.")
                    .enumValues(request.dispositionCodes())
                    .build());
            required.add("disposition");
        }
        return ResponseFormat.builder()
                .type(ResponseFormatType.JSON)
                .jsonSchema(JsonSchema.builder()
                        .name(SCHEMA_NAME)
                        .rootElement(root.required(required).additionalProperties(false).build())
                        .build())
                .build();
    }

    private static JsonSchemaElement valueSchema(CaptureVariable v) {
        return switch (v.type()) {
            case STRING -> new JsonStringSchema();
            case NUMBER -> new JsonNumberSchema();
            case BOOLEAN -> new JsonBooleanSchema();
            case DATE -> JsonStringSchema.builder().description("ISO-8601 date, yyyy-MM-dd").build();
            case ENUM -> JsonEnumSchema.builder().enumValues(v.enumValues()).build();
        };
    }

    private static String describe(CaptureVariable v) {
        String base = v.description() == null || v.description().isBlank() ? v.name() : v.description();
        String type = switch (v.type()) {
            case STRING -> "text";
            case NUMBER -> "a number";
            case BOOLEAN -> "true or false";
            case DATE -> "a date as yyyy-MM-dd";
            case ENUM -> "one of " + String.join(", ", v.enumValues());
        };
        return base + " (" + type + (v.required() ? "; the agent needs this value" : "")
                + "). null if the call does not state it.";
    }

    /** The instructions every provider gets, also for models that ignore the response format. */
    String systemPrompt() {
        var sb = new StringBuilder("""
                You summarise recorded phone calls between a voice agent and a customer.
                Reply with one JSON object only, matching the given schema.
                Use only what is said in the transcript. If the call does not state a value, use null: \
                never guess, infer from typical calls, or fill in defaults.
                """);
        if (!request.instructions().isBlank()) {
            sb.append("\nSummary instructions from the agent's owner:\n").append(request.instructions().strip()).append('\n');
        }
        if (!request.variables().isEmpty()) {
            sb.append("\nPut these values under \"variables\":\n");
            request.variables().forEach(v -> sb.append("- ").append(v.name()).append(": ").append(describe(v)).append('\n'));
        }
        if (!request.dispositionCodes().isEmpty()) {
            sb.append("\nSet \"disposition\" to exactly one of: ")
                    .append(String.join(", ", request.dispositionCodes())).append('\n');
        }
        return sb.toString();
    }

    static String transcript(List<Utterance> transcript) {
        var sb = new StringBuilder("Transcript:\n");
        for (Utterance u : transcript) {
            if (!u.text().isBlank()) {
                sb.append(ExtractiveSummarizer.label(u.speaker()).toUpperCase(java.util.Locale.ROOT))
                        .append(": ").append(u.text().strip()).append('\n');
            }
        }
        return sb.toString();
    }

    /** A reply that is not a JSON object at all; the caller may ask once more. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** The validated parts of a reply; usage and provider are added by the caller. */
    record Parsed(Optional<String> summary, Map<String, CapturedValue> variables, Optional<String> disposition,
                  List<NotProduced> notProduced) {
    }

    Parsed parse(String content) throws Malformed {
        JsonNode root;
        try {
            root = JSON.readTree(stripCodeFence(content == null ? "" : content));
        } catch (JsonProcessingException e) {
            throw new Malformed("the reply is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new Malformed("the reply is not a JSON object");
        }
        var notProduced = new ArrayList<NotProduced>();

        Optional<String> summary = Optional.empty();
        JsonNode s = root.get("summary");
        if (s != null && s.isTextual() && !s.asText().isBlank()) {
            summary = Optional.of(s.asText().strip());
        } else {
            notProduced.add(new NotProduced(NotProduced.SUMMARY, s == null || s.isNull() || s.isTextual()
                    ? "the model returned no summary" : "the model returned a summary that is not text"));
        }

        var variables = new LinkedHashMap<String, CapturedValue>();
        JsonNode vars = root.get("variables");
        for (CaptureVariable v : request.variables()) {
            JsonNode value = vars != null && vars.isObject() ? vars.get(v.name()) : null;
            String part = NotProduced.variable(v.name());
            if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
                notProduced.add(new NotProduced(part, (v.required() ? "required value " : "")
                        + "not stated in the call"));
                continue;
            }
            try {
                variables.put(v.name(), CapturedValue.of(v, value));
            } catch (IllegalArgumentException e) {
                notProduced.add(new NotProduced(part, e.getMessage()));
            }
        }

        Optional<String> disposition = Optional.empty();
        if (!request.dispositionCodes().isEmpty()) {
            JsonNode d = root.get("disposition");
            if (d == null || d.isNull()) {
                notProduced.add(new NotProduced(NotProduced.DISPOSITION, "the model chose no disposition"));
            } else if (d.isTextual() && request.dispositionCodes().contains(d.asText())) {
                disposition = Optional.of(d.asText());
            } else {
                notProduced.add(new NotProduced(NotProduced.DISPOSITION, "the model chose " + d
                        + ", which is not one of the campaign's codes " + request.dispositionCodes()));
            }
        }
        return new Parsed(summary, variables, disposition, notProduced);
    }

    private static String stripCodeFence(String content) {
        String s = content.strip();
        if (s.startsWith("```") && s.endsWith("```") && s.length() >= 6) {
            s = s.substring(3, s.length() - 3);
            int newline = s.indexOf('\n');
            if (newline >= 0 && !s.substring(0, newline).contains("{")) {
                s = s.substring(newline + 1);
            }
        }
        return s.strip();
    }
}
