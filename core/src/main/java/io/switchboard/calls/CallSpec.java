package io.switchboard.calls;

import io.switchboard.audio.AudioFormat;

/** A call as the telephony side opens it, ids as sent (empty when absent). */
public record CallSpec(String agentId, String campaignId, String contactId, Call.Direction direction, String fromNumber,
                       String toNumber, AudioFormat.Encoding encoding, int sampleRate, int channels,
                       AudioFormat.Container container) {
}
