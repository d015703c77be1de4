package io.switchboard.migrations.codegen;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import io.switchboard.migrations.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.ForcedType;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Jdbc;
import org.jooq.meta.jaxb.Target;

/**
 * Build-time tool: migrates a throwaway embedded PostgreSQL with our Flyway scripts and generates the
 * jOOQ classes from the real schema, so the generated code can never drift from the migrations.
 * Skips the work when the migrations have not changed since the last generation.
 *
 * <p>Usage: {@code GenerateJooq <output-dir> <package>}.
 */
public final class GenerateJooq {

    private static final String STAMP = ".migrations.sha256";

    private GenerateJooq() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GenerateJooq <output-dir> <package>");
        }
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
        Path out = Path.of(args[0]);
        String pkg = args[1];
        String digest = migrationsDigest();
        Path stamp = out.resolve(STAMP);
        if (Files.exists(stamp) && Files.readString(stamp).equals(digest)) {
            System.out.println("[jooq] migrations unchanged, keeping generated code in " + out);
            return;
        }
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            Migrations.migrate(pg.getPostgresDatabase());
            String url = pg.getJdbcUrl("postgres", "postgres");
            GenerationTool.generate(new Configuration()
                    .withLogging(org.jooq.meta.jaxb.Logging.WARN)
                    .withJdbc(new Jdbc().withDriver("org.postgresql.Driver").withUrl(url)
                            .withUser("postgres").withPassword("postgres"))
                    .withGenerator(new Generator()
                            .withDatabase(new Database()
                                    .withName("org.jooq.meta.postgres.PostgresDatabase")
                                    .withInputSchema("public")
                                    .withExcludes("flyway_schema_history")
                                    .withForcedTypes(new ForcedType()
                                            .withName("INSTANT")
                                            .withIncludeTypes("(?i:timestamp\\ with\\ time\\ zone)")))
                            .withGenerate(new Generate()
                                    .withJavaTimeTypes(true)
                                    .withRecords(true)
                                    .withPojos(false)
                                    .withDaos(false)
                                    .withFluentSetters(true)
                                    .withGeneratedAnnotation(false)
                                    .withComments(true))
                            .withTarget(new Target().withPackageName(pkg).withDirectory(out.toString()))));
        }
        Files.writeString(stamp, digest);
    }

    private static String migrationsDigest() throws IOException, URISyntaxException, NoSuchAlgorithmException {
        URL dir = GenerateJooq.class.getClassLoader().getResource("db/migration");
        if (dir == null) {
            throw new IllegalStateException("no db/migration on the classpath");
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        if (!"file".equals(dir.getProtocol())) {
            // Packaged migrations: always regenerate rather than guess.
            sha.update(Long.toString(System.nanoTime()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
            files = s.filter(p -> p.toString().endsWith(".sql")).sorted().toList();
        }
        for (Path f : files) {
            sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(f)) {
                sha.update(in.readAllBytes());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
