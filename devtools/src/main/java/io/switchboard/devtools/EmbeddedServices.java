package io.switchboard.devtools;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.switchboard.app.Ports;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * The embedded defaults of {@code dev}: a real PostgreSQL (zonky) and a real S3 endpoint (s3proxy on the
 * filesystem), both keeping their data under one directory so a restart finds everything again.
 */
public final class EmbeddedServices implements AutoCloseable {

    public static final String S3_ACCESS_KEY = "switchboard-dev";
    public static final String S3_SECRET_KEY = "switchboard-dev-secret";

    private final Path pgData;
    private final int postgresPort;
    private volatile EmbeddedPostgres postgres;
    private final S3Proxy s3;
    private final BlobStoreContext blobs;

    private EmbeddedServices(Path pgData, int postgresPort, EmbeddedPostgres postgres, S3Proxy s3,
                             BlobStoreContext blobs) {
        this.pgData = pgData;
        this.postgresPort = postgresPort;
        this.postgres = postgres;
        this.s3 = s3;
        this.blobs = blobs;
    }

    public static EmbeddedServices start(Path home, int postgresPort, int s3Port) throws Exception {
        Path pgData = home.resolve("postgres");
        Path objects = home.resolve("objects");
        Files.createDirectories(pgData);
        Files.createDirectories(objects);
        Ports.requireFree("dev.postgres-port", "127.0.0.1", postgresPort);
        EmbeddedPostgres pg;
        try {
            pg = startPostgres(pgData, postgresPort);
        } catch (IllegalStateException e) {
            if (String.valueOf(e.getMessage()).contains("could not lock")) {
                throw new IllegalStateException("another Switchboard dev run is using " + home
                        + "; stop it first (Ctrl-C in its terminal), or give this one its own data with "
                        + "dev.home (env DEV_HOME) and other ports (dev.postgres-port, dev.s3-port, server.port)", e);
            }
            throw e;
        }
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", objects.toString());
        BlobStoreContext ctx = ContextBuilder.newBuilder("filesystem").overrides(props)
                .credentials(S3_ACCESS_KEY, S3_SECRET_KEY).build(BlobStoreContext.class);
        try {
            S3Proxy proxy = Ports.listen("dev.s3-port", "127.0.0.1", s3Port, () -> startS3Proxy(ctx, s3Port));
            return new EmbeddedServices(pgData, postgresPort, pg, proxy, ctx);
        } catch (Exception e) {
            ctx.close();
            pg.close();
            throw e;
        }
    }

    private static S3Proxy startS3Proxy(BlobStoreContext ctx, int port) throws Exception {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(ctx.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3_ACCESS_KEY, S3_SECRET_KEY)
                .build();
        proxy.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"STARTED".equals(proxy.getState())) {
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("the embedded S3 endpoint did not start within 30 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(20);
        }
        return proxy;
    }

    private static EmbeddedPostgres startPostgres(Path pgData, int port) throws IOException {
        return EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setPort(port)
                .start();
    }

    /**
     * Stops PostgreSQL (fault tests: the database restarts under load) the way an operator's restart does:
     * a fast shutdown, open connections cut. {@link #startPostgres()} brings it back on the same port and data.
     */
    public void stopPostgres() throws IOException {
        postgres.close();
    }

    public void startPostgres() throws IOException {
        postgres = startPostgres(pgData, postgresPort);
    }

    /** Stops the S3 endpoint (fault tests: the object store goes away); {@link #startS3} brings it back. */
    public void stopS3() throws Exception {
        s3.stop();
    }

    /** Starts the S3 endpoint again on its port, over the same objects. */
    public void startS3() throws Exception {
        s3.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"STARTED".equals(s3.getState())) {
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("the embedded S3 endpoint did not restart within 30 s (state " + s3.getState() + ")");
            }
            Thread.sleep(20);
        }
    }

    public String jdbcUrl() {
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    public String s3Endpoint() {
        return "http://127.0.0.1:" + s3.getPort();
    }

    @Override
    public void close() throws IOException {
        try {
            s3.stop();
        } catch (Exception e) {
            throw new IOException("the embedded S3 endpoint did not stop: " + e.getMessage(), e);
        } finally {
            blobs.close();
            postgres.close();
        }
    }
}
