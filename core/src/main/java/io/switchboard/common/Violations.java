package io.switchboard.common;

import java.util.ArrayList;
import java.util.List;

/** Collects every field problem of a request so the caller learns all of them at once. */
public final class Violations {

    private final List<SwitchboardException.Violation> list = new ArrayList<>();

    public Violations add(String field, String reason) {
        list.add(new SwitchboardException.Violation(field, reason));
        return this;
    }

    /** Non-blank, trimmed length within bounds. */
    public Violations requireText(String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            add(field, "is required");
        } else {
            maxLength(field, value, maxLength);
        }
        return this;
    }

    public Violations maxLength(String field, String value, int maxLength) {
        if (value != null && value.length() > maxLength) {
            add(field, "must be at most " + maxLength + " characters (got " + value.length() + ")");
        }
        return this;
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    /** What was collected, for callers that report problems per item instead of refusing the request. */
    public List<SwitchboardException.Violation> list() {
        return List.copyOf(list);
    }

    public void throwIfAny() {
        if (!list.isEmpty()) {
            throw new SwitchboardException.InvalidArgument(list);
        }
    }
}
