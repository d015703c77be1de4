package io.switchboard.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Signs audit checkpoints with Ed25519 (the JDK's own implementation). The key pair lives in a file of two
 * lines, the base64 PKCS#8 private key and the base64 X.509 public key; it is created (mode 600) when
 * missing. Its id is the first 16 hex digits of the public key's SHA-256, stored with each signature so
 * that checkpoints made with a retired key can still be checked against its public key.
 */
public final class AuditSigner {

    private static final Logger LOG = Logger.getLogger(AuditSigner.class.getName());

    private final String keyId;
    private final PrivateKey privateKey;
    private final Map<String, PublicKey> publicKeys;

    private AuditSigner(KeyPair pair, Map<String, PublicKey> retired) {
        this.keyId = idOf(pair.getPublic());
        this.privateKey = pair.getPrivate();
        java.util.HashMap<String, PublicKey> keys = new java.util.HashMap<>(retired);
        keys.put(keyId, pair.getPublic());
        this.publicKeys = Map.copyOf(keys);
    }

    /** A fresh key pair held in memory only (tests). */
    public static AuditSigner generate() {
        return new AuditSigner(newPair(), Map.of());
    }

    /** The key pair in {@code file}, created there if the file does not exist. */
    public static AuditSigner fromFile(Path file) {
        try {
            if (!Files.exists(file)) {
                KeyPair pair = newPair();
                Path dir = file.toAbsolutePath().getParent();
                if (dir != null) {
                    Files.createDirectories(dir);
                }
                Files.writeString(file, Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n"
                        + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n");
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException notPosix) {
                    // the file system has no POSIX permissions; nothing more to do
                }
                LOG.info("created the audit checkpoint signing key " + file + " (key id " + idOf(pair.getPublic())
                        + "); keep it: checkpoints signed with it are verified with its public key");
                return new AuditSigner(pair, Map.of());
            }
            List<String> lines = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.size() != 2) {
                throw new IllegalStateException("the audit signing key file " + file + " must hold two lines "
                        + "(base64 PKCS#8 private key, base64 X.509 public key); it has " + lines.size());
            }
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(lines.get(0))));
            PublicKey pub = kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(lines.get(1))));
            AuditSigner s = new AuditSigner(new KeyPair(pub, priv), Map.of());
            if (!s.verify(s.keyId, new byte[] {1}, s.sign(new byte[] {1}))) {
                throw new IllegalStateException("the keys in " + file + " are not one Ed25519 key pair");
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the audit signing key " + file, e);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("the audit signing key file " + file + " is not a valid Ed25519 key pair: "
                    + e.getMessage(), e);
        }
    }

    public String keyId() {
        return keyId;
    }

    public byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** False for a bad signature and for a key id this signer does not know. */
    public boolean verify(String keyId, byte[] message, byte[] signature) {
        Optional<PublicKey> key = Optional.ofNullable(publicKeys.get(keyId));
        if (key.isEmpty()) {
            return false;
        }
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key.get());
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static KeyPair newPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
    }

    private static String idOf(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded())).substring(0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
