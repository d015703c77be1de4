package io.switchboard.tenancy;

import java.time.Instant;
import java.util.UUID;

/**
 * @param messagingHelpText the organisation's answer to HELP/INFO texts; empty: the platform's default
 * @param confirmOptOut     whether a STOP is confirmed with a text of the platform's own (off when the carrier
 *                          confirms opt-outs itself)
 */
public record Organization(UUID id, String name, String planId, boolean hipaaMode, Instant createdAt,
                           Instant updatedAt, String messagingHelpText, boolean confirmOptOut) {
}
