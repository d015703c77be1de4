package io.switchboard.common;

import java.util.Optional;
import java.util.UUID;

/** Resource identifiers: UUIDs on the wire as strings, parsed with the name of the field they came from. */
public final class Ids {

    private Ids() {
    }

    public static UUID parse(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new SwitchboardException.InvalidArgument(field, "is required");
        }
        return parseOrThrow(field, value);
    }

    /** Empty for an empty string; an error for a malformed one. */
    public static Optional<UUID> parseOptional(String field, String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parseOrThrow(field, value));
    }

    private static UUID parseOrThrow(String field, String value) {
        if (value.length() != 36) {
            throw new SwitchboardException.InvalidArgument(field, "must be a UUID, got '" + abbreviate(value) + "'");
        }
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new SwitchboardException.InvalidArgument(field, "must be a UUID, got '" + abbreviate(value) + "'");
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /** Time-ordered (UUIDv7-style) ids keep B-tree inserts local and make id order follow creation order. */
    public static UUID newId() {
        long millis = System.currentTimeMillis();
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long msb = (millis << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }
}
