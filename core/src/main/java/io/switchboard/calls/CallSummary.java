package io.switchboard.calls;

import java.util.Map;
import java.util.Optional;

/** What the summary stage produced, and what it did not (part → reason). */
public record CallSummary(Optional<String> summary, Map<String, String> variables, Optional<String> disposition,
                          String provider, Map<String, String> notProduced) {
}
