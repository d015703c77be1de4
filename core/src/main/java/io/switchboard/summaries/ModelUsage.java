package io.switchboard.summaries;

/** Tokens a provider billed for one summary, summed over every attempt that reached the model. */
public record ModelUsage(long inputTokens, long outputTokens) {

    public static final ModelUsage NONE = new ModelUsage(0, 0);

    public ModelUsage {
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
    }

    public ModelUsage plus(ModelUsage other) {
        return new ModelUsage(inputTokens + other.inputTokens, outputTokens + other.outputTokens);
    }
}
