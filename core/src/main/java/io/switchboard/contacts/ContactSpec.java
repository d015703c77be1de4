package io.switchboard.contacts;

import java.util.List;

/**
 * A contact as a client sent it, before validation. Empty strings mean unset; {@code metadataJson} is a
 * JSON object ("{}" when none); {@code listIds} are ids as sent.
 */
public record ContactSpec(String externalId, String phoneNumber, String firstName, String lastName, String email,
                          String metadataJson, List<String> tags, String timeZone, List<String> listIds) {
}
