package io.switchboard.summaries;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Objects;

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
}
