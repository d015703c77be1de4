package io.switchboard.encryption;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The deployment's AES-256 master keys: the current one wraps new data keys, earlier ones still unwrap data
 * keys until they are re-wrapped. A key file holds 32 random bytes in base64; its id is the first 8 bytes of
 * its SHA-256, in hex, so a wrapped key names the master key that can open it.
 */
public final class MasterKeys {

    private static final Logger LOG = Logger.getLogger(MasterKeys.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int NONCE = 12;
    static final int TAG_BITS = 128;

    private final String currentId;
    private final Map<String, SecretKey> keys;

    private MasterKeys(SecretKey current, List<SecretKey> previous) {
        this.currentId = idOf(current);
        Map<String, SecretKey> all = new HashMap<>();
        previous.forEach(k -> all.put(idOf(k), k));
        all.put(currentId, current);
        this.keys = Map.copyOf(all);
    }

    /** A fresh key held in memory only (tests). */
    public static MasterKeys generate() {
        return new MasterKeys(newKey(), List.of());
    }

    public static MasterKeys of(SecretKey current, List<SecretKey> previous) {
        return new MasterKeys(current, previous);
    }

    /** The current key from {@code current} (created, mode 600, if missing) and earlier ones from {@code previous}. */
    public static MasterKeys fromFiles(Path current, List<Path> previous) {
        return new MasterKeys(readOrCreate(current), previous.stream().map(MasterKeys::read).toList());
    }

    public String currentId() {
        return currentId;
    }

    /** A new random AES-256 key. */
    public static SecretKey newKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return new SecretKeySpec(k, "AES");
    }

    /** {@code key} wrapped by the current master key: nonce || ciphertext || tag (60 bytes). */
    byte[] wrap(SecretKey key, byte[] context) {
        return Gcm.seal(keys.get(currentId), key.getEncoded(), context);
    }

    SecretKey unwrap(String masterKeyId, byte[] wrapped, byte[] context) {
        SecretKey master = keys.get(masterKeyId);
        if (master == null) {
            throw new IllegalStateException("a data key is wrapped by master key " + masterKeyId + ", which this "
                    + "process does not have; add its file to encryption.previous-master-key-files");
        }
        return new SecretKeySpec(Gcm.open(master, wrapped, context), "AES");
    }

    static String idOf(SecretKey key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SecretKey readOrCreate(Path file) {
        if (Files.exists(file)) {
            return read(file);
        }
        SecretKey k = newKey();
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Files.writeString(file, Base64.getEncoder().encodeToString(k.getEncoded()) + "\n");
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // no POSIX permissions on this file system
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the master key " + file, e);
        }
        LOG.info("created the master key " + file + " (id " + idOf(k) + "); without it HIPAA-mode content cannot "
                + "be read: back it up apart from the database");
        return k;
    }

    private static SecretKey read(Path file) {
        try {
            byte[] k = Base64.getDecoder().decode(Files.readString(file).strip());
            if (k.length != 32) {
                throw new IllegalStateException("the master key file " + file + " must hold 32 bytes in base64; it holds "
                        + k.length);
            }
            return new SecretKeySpec(k, "AES");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the master key " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the master key file " + file + " is not base64: " + e.getMessage(), e);
        }
    }

    /** AES-256-GCM with a random 96-bit nonce and associated data binding a ciphertext to its place. */
    static final class Gcm {
        private Gcm() {
        }

        static byte[] seal(SecretKey key, byte[] plaintext, byte[] aad) {
            try {
                byte[] nonce = new byte[NONCE];
                RANDOM.nextBytes(nonce);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
                c.updateAAD(aad);
                byte[] ct = c.doFinal(plaintext);
                return ByteBuffer.allocate(NONCE + ct.length).put(nonce).put(ct).array();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM encryption failed", e);
            }
        }

        static byte[] open(SecretKey key, byte[] sealed, byte[] aad) {
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE));
                c.updateAAD(aad);
                return c.doFinal(sealed, NONCE, sealed.length - NONCE);
            } catch (javax.crypto.AEADBadTagException e) {
                throw new SealBroken("sealed content does not authenticate (altered, moved to another row, or "
                        + "another key)", e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM decryption failed", e);
            }
        }
    }

    /** Sealed content failed authentication. */
    public static final class SealBroken extends RuntimeException {
        SealBroken(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
