package io.switchboard.calls;

/** A pipeline stage's state for one call, as the API reports progress. */
public record Stage(String name, String state, String detail) {
}
