package io.switchboard.common;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * A validated page request for keyset pagination over (created_at, id). The token is opaque to
 * clients: base64url of a versioned cursor, bound to the list it came from so a token from one
 * list cannot be replayed against another.
 */
public record PageRequest(int pageSize, Optional<Cursor> after) {

    public static final int DEFAULT_PAGE_SIZE = 50;
    public static final int MAX_PAGE_SIZE = 1000;

    /** The last row of the previous page. */
    public record Cursor(Instant createdAt, UUID id) {
    }

    /**
     * @param scope names the listing (and its filters) so a token only works where it was issued
     */
    public static PageRequest of(int pageSize, String pageToken, String scope) {
        if (pageSize < 0) {
            throw new SwitchboardException.InvalidArgument("page_size", "must not be negative");
        }
        int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
        if (pageToken == null || pageToken.isEmpty()) {
            return new PageRequest(size, Optional.empty());
        }
        return new PageRequest(size, Optional.of(decode(pageToken, scope)));
    }

    public static String token(Cursor cursor, String scope) {
        String raw = "v1|" + scope + "|" + cursor.createdAt().getEpochSecond() + "|" + cursor.createdAt().getNano()
                + "|" + cursor.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static Cursor decode(String token, String scope) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            String[] parts = raw.split("\\|", -1);
            if (parts.length != 5 || !parts[0].equals("v1")) {
                throw new IllegalArgumentException("bad shape");
            }
            if (!parts[1].equals(scope)) {
                throw new SwitchboardException.InvalidArgument("page_token",
                        "was issued for a different listing or filter");
            }
            Instant at = Instant.ofEpochSecond(Long.parseLong(parts[2]), Long.parseLong(parts[3]));
            return new Cursor(at, UUID.fromString(parts[4]));
        } catch (IllegalArgumentException e) {
            throw new SwitchboardException.InvalidArgument("page_token", "is not a token this server issued");
        }
    }
}
