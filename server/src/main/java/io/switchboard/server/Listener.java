package io.switchboard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;

/**
 * Where the API listens: a bind address, a port (0 picks a free one) and, when {@code tls} is given, TLS with the
 * server's own certificate. gRPC clients then connect with TLS (ALPN {@code h2}) and browsers with HTTPS; without it
 * the port speaks plaintext HTTP/2 (h2c) and HTTP/1.1, for a TLS-terminating load balancer in front.
 */
public record Listener(String host, int port, Optional<TlsFiles> tls) {

    public static Listener plaintext(String host, int port) {
        return new Listener(host, port, Optional.empty());
    }

    /**
     * The server's certificate chain (PEM, the server's certificate first, then intermediates) and its private key
     * (PEM, PKCS#8 or PKCS#1, unencrypted).
     */
    public record TlsFiles(Path certificateChain, Path privateKey) {

        /** The TLS configuration; refuses files that are missing or hold no key or certificate, naming them. */
        Tls load() {
            for (Path p : new Path[] {certificateChain, privateKey}) {
                if (!Files.isReadable(p)) {
                    throw new IllegalArgumentException("TLS file " + p.toAbsolutePath() + " is missing or unreadable");
                }
            }
            Keys key = Keys.builder().pem(pem -> pem.key(Resource.create(privateKey))).build();
            Keys chain = Keys.builder().pem(pem -> pem.certChain(Resource.create(certificateChain))).build();
            if (key.privateKey().isEmpty()) {
                throw new IllegalArgumentException("no private key in " + privateKey.toAbsolutePath());
            }
            if (chain.certChain().isEmpty()) {
                throw new IllegalArgumentException("no certificate in " + certificateChain.toAbsolutePath());
            }
            return Tls.builder().privateKey(key.privateKey().orElseThrow()).privateKeyCertChain(chain.certChain())
                    .build();
        }
    }
}
