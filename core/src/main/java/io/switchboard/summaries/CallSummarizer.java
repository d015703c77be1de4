package io.switchboard.summaries;

/**
 * The summary stage of the call pipeline: transcript in, summary, variables and disposition out. Implementations
 * are swapped in configuration ({@code summaries.provider}) and must be safe to call from several worker threads.
 */
public interface CallSummarizer {

    /**
     * @throws SummarizationException when the provider could not be reached or kept failing; parts the provider
     *                                simply did not produce are reported in {@link SummaryResult#notProduced()}
     */
    SummaryResult summarize(SummaryRequest request);

    /** The provider name recorded with each result, e.g. {@code in-process} or {@code openai:gpt-4o-mini}. */
    String provider();

    /**
     * Whether transcripts may be sent here under a HIPAA business associate agreement. The in-process summariser
     * sends nothing anywhere; a remote provider is covered only when the deployment says so.
     */
    boolean baaCovered();
}
