package io.switchboard.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * The shape of an API key: {@code sb_<prefix>_<secret>}. The prefix (10 lowercase base-32 characters
 * after {@code sb_}) is stored in clear for lookup and display; the whole key is stored only as SHA-256.
 * The secret carries 256 bits from a {@link SecureRandom}, so a plain hash is enough (no salt or slow
 * hash needed for random, high-entropy secrets).
 */
public final class ApiKeySecrets {

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A freshly generated key. */
    public record Generated(String prefix, String key, byte[] sha256) {
    }

    /** A presented key split into its lookup prefix and its hash. */
    public record Presented(String prefix, byte[] sha256) {
    }

    private ApiKeySecrets() {
    }

    public static Generated generate() {
        String prefix = "sb_" + random(10);
        String key = prefix + "_" + random(52);
        return new Generated(prefix, key, sha256(key));
    }

    /** Empty when the string cannot be one of our keys (so no database lookup is spent on it). */
    public static Optional<Presented> parse(String key) {
        if (key == null || key.length() != 3 + 10 + 1 + 52 || !key.startsWith("sb_") || key.charAt(13) != '_') {
            return Optional.empty();
        }
        for (int i = 3; i < key.length(); i++) {
            if (i != 13 && ALPHABET.indexOf(key.charAt(i)) < 0) {
                return Optional.empty();
            }
        }
        return Optional.of(new Presented(key.substring(0, 13), sha256(key)));
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String random(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}
