package io.switchboard.audit;

import java.util.Optional;

/**
 * What {@link AuditLog#verify} found.
 *
 * @param brokenSeq the first entry or checkpoint whose link does not hold, with {@code reason}
 */
public record ChainVerification(long entriesChecked, long checkpointsChecked, long firstSeq, long lastSeq,
                                Optional<Long> brokenSeq, String reason) {

    public boolean intact() {
        return brokenSeq.isEmpty();
    }
}
