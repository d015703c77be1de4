package io.switchboard.summaries;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a summariser produced for one call. Every part that was asked for is either present or named in
 * {@link #notProduced()} with the reason: a summariser never fills a gap with a guess, so downstream code
 * (CRM sync, reporting, billing) can tell "the customer said no" from "we do not know".
 */
public final class SummaryResult {

    private final String summary;
    private final Map<String, CapturedValue> variables;
    private final String disposition;
    private final String provider;
    private final ModelUsage usage;
    private final List<NotProduced> notProduced;

    public SummaryResult(Optional<String> summary, Map<String, CapturedValue> variables, Optional<String> disposition,
                         String provider, ModelUsage usage, List<NotProduced> notProduced) {
        this.summary = summary.orElse(null);
        this.variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
        this.disposition = disposition.orElse(null);
        this.provider = Objects.requireNonNull(provider, "provider");
        this.usage = Objects.requireNonNull(usage, "usage");
        this.notProduced = List.copyOf(notProduced);
        if (this.summary == null && notProducedReason(NotProduced.SUMMARY).isEmpty()) {
            throw new IllegalArgumentException("a missing summary needs a NotProduced entry saying why");
        }
    }

    public Optional<String> summary() {
        return Optional.ofNullable(summary);
    }

    /** The variables that were extracted and validated against the agent's schema, in schema order. */
    public Map<String, CapturedValue> variables() {
        return variables;
    }

    public Optional<String> disposition() {
        return Optional.ofNullable(disposition);
    }

    /** Which summariser produced this, e.g. {@code in-process} or {@code openai:gpt-4o-mini}. */
    public String provider() {
        return provider;
    }

    public ModelUsage usage() {
        return usage;
    }

    public List<NotProduced> notProduced() {
        return notProduced;
    }

    public Optional<String> notProducedReason(String part) {
        return notProduced.stream().filter(n -> n.part().equals(part)).map(NotProduced::reason).findFirst();
    }

    @Override
    public String toString() {
        return "SummaryResult[provider=" + provider + ", summary=" + summary + ", variables=" + variables
                + ", disposition=" + disposition + ", usage=" + usage + ", notProduced=" + notProduced + "]";
    }
}
