package io.switchboard.summaries;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.agents.CaptureVariable;

/** A variable value taken from a call, typed as the agent's {@link io.switchboard.agents.CaptureVariable} declares. */
public sealed interface CapturedValue {

    record Text(String value) implements CapturedValue {
        public Text {
            Objects.requireNonNull(value);
        }
    }

    record Number(BigDecimal value) implements CapturedValue {
        public Number {
            Objects.requireNonNull(value);
        }
    }

    record Bool(boolean value) implements CapturedValue {
    }

    record Date(LocalDate value) implements CapturedValue {
        public Date {
            Objects.requireNonNull(value);
        }
    }

    /** One of the variable's declared enum values. */
    record Choice(String value) implements CapturedValue {
        public Choice {
            Objects.requireNonNull(value);
        }
    }

    /**
     * A model's JSON value for {@code v}, typed as {@code v} declares (shared by the summariser and the LLM brain's
     * {@code set_variable} tool).
     *
     * @throws IllegalArgumentException naming what was expected and what came
     */
    static CapturedValue of(CaptureVariable v, JsonNode value) {
        return switch (v.type()) {
            case STRING -> {
                require(value.isTextual(), "text", value);
                yield new Text(value.asText().strip());
            }
            case NUMBER -> {
                require(value.isNumber(), "a number", value);
                yield new Number(value.decimalValue());
            }
            case BOOLEAN -> {
                require(value.isBoolean(), "true or false", value);
                yield new Bool(value.booleanValue());
            }
            case DATE -> {
                require(value.isTextual(), "an ISO date yyyy-MM-dd", value);
                try {
                    yield new Date(LocalDate.parse(value.asText().strip()));
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("expected an ISO date yyyy-MM-dd, got " + value);
                }
            }
            case ENUM -> {
                require(value.isTextual() && v.enumValues().contains(value.asText()),
                        "one of " + v.enumValues(), value);
                yield new Choice(value.asText());
            }
        };
    }

    private static void require(boolean ok, String expected, JsonNode got) {
        if (!ok) {
            throw new IllegalArgumentException("expected " + expected + ", got " + got);
        }
    }
}
