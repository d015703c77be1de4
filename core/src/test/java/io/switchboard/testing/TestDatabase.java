package io.switchboard.testing;

import java.util.List;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.switchboard.common.Database;
import io.switchboard.migrations.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * One real PostgreSQL per test JVM, migrated once; {@link #reset()} empties every table between tests
 * (much faster than re-migrating). Testcontainers is used when a Docker engine answers; otherwise the
 * embedded (zonky) PostgreSQL. This class is the only place that decides.
 */
public final class TestDatabase {

    private static final Logger LOG = Logger.getLogger(TestDatabase.class.getName());
    private static volatile TestDatabase instance;

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final Database database;

    private TestDatabase(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.database = Database.connect(jdbcUrl, user, password, 8);
        Migrations.migrate(database.dataSource());
    }

    public static TestDatabase get() {
        if (instance == null) {
            synchronized (TestDatabase.class) {
                if (instance == null) {
                    instance = start();
                }
            }
        }
        return instance;
    }

    private static TestDatabase start() {
        if (!"embedded".equals(System.getProperty("switchboard.test.db")) && dockerAvailable()) {
            LOG.info("test database: Testcontainers PostgreSQL");
            PostgreSQLContainer<?> pg = new PostgreSQLContainer<>("postgres:18");
            pg.start();
            return new TestDatabase(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
        }
        LOG.info("test database: embedded PostgreSQL (no Docker engine)");
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (java.io.IOException ignored) {
                    // the JVM is exiting
                }
            }));
            return new TestDatabase(pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not start the embedded PostgreSQL", e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    public Database database() {
        return database;
    }

    public DataSource dataSource() {
        return database.dataSource();
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /**
     * Empties every application table (the schema and Flyway's history stay). The audit tables refuse
     * TRUNCATE through a trigger; replica mode (superuser only) is the test database's way past it.
     */
    public void reset() {
        List<String> tables = database.dsl().fetch(
                "select tablename from pg_tables where schemaname = 'public' and tablename <> 'flyway_schema_history'")
                .getValues(0, String.class);
        if (!tables.isEmpty()) {
            database.dsl().transaction(cfg -> {
                org.jooq.impl.DSL.using(cfg).execute("set local session_replication_role = replica");
                org.jooq.impl.DSL.using(cfg).execute("truncate table " + String.join(", ", tables) + " restart identity cascade");
            });
        }
    }
}
