package io.switchboard.agents;

import java.util.List;

/** A value the pipeline should extract from each call, e.g. {@code callback_date: DATE}. */
public record CaptureVariable(String name, Type type, String description, List<String> enumValues, boolean required) {

    public enum Type { STRING, NUMBER, BOOLEAN, DATE, ENUM }

    public CaptureVariable {
        enumValues = List.copyOf(enumValues);
    }
}
