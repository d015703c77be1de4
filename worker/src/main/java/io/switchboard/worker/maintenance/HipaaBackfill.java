package io.switchboard.worker.maintenance;

import io.switchboard.calls.TranscriptStore;
import io.switchboard.encryption.ContentSeal;

/**
 * Brings stored content up to the current encryption: seals, batch by batch, the transcripts and summaries
 * HIPAA-mode organisations wrote in the clear before the mode was switched on, then re-wraps data keys still
 * wrapped by a previous master key.
 */
public final class HipaaBackfill {

    /** What one run did. */
    public record Result(int sealed, int rewrapped) {
    }

    private final TranscriptStore transcripts;
    private final ContentSeal seal;
    private final int batch;

    public HipaaBackfill(TranscriptStore transcripts, ContentSeal seal, int batch) {
        this.transcripts = transcripts;
        this.seal = seal;
        this.batch = batch;
    }

    /** Seals until nothing is left in the clear, then re-wraps. */
    public Result run() {
        int sealed = 0;
        int n;
        do {
            n = transcripts.sealExisting(batch);
            sealed += n;
        } while (n > 0);
        return new Result(sealed, seal.rewrapAll());
    }
}
