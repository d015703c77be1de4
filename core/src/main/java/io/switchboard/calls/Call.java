package io.switchboard.calls;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import io.switchboard.audio.AudioFormat;

/** A call as stored: who it was for, with which agent version, its audio and where its recording is. */
public record Call(UUID id, UUID organizationId, UUID agentId, int agentVersion, Optional<UUID> campaignId,
                   Optional<UUID> contactId, Direction direction, String fromNumber, String toNumber, State state,
                   String endReason, AudioFormat format, long audioBytes, Optional<Recording> recording,
                   Instant startedAt, Optional<Instant> endedAt) {

    public enum Direction { INBOUND, OUTBOUND }

    public enum State { ACTIVE, ENDED, FAILED }

    public record Recording(String key, long bytes, String sha256, String contentType) {
    }

    /** Seconds of audio stored so far. */
    public double audioSeconds() {
        return (double) audioBytes / format.bytesPerFrame() / format.sampleRate();
    }
}
