package io.switchboard.migrations;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the schema. Migrations are append-only SQL files under {@code db/migration}; this class is
 * the one place that knows how Flyway is configured, so the launcher, the tests and the jOOQ
 * generator migrate the same way.
 */
public final class Migrations {

    public static final String LOCATION = "classpath:db/migration";

    private Migrations() {
    }

    public static MigrateResult migrate(DataSource dataSource) {
        return flyway(dataSource).migrate();
    }

    /** The number of migrations not yet applied to this database. */
    public static int pending(DataSource dataSource) {
        return flyway(dataSource).info().pending().length;
    }

    /** Drops everything and migrates from scratch; tests only. */
    public static void reset(DataSource dataSource) {
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations(LOCATION)
                .cleanDisabled(false)
                .load();
        flyway.clean();
        flyway.migrate();
    }

    static Flyway flyway(DataSource dataSource) {
        return Flyway.configure()
                .dataSource(dataSource)
                .locations(LOCATION)
                .validateMigrationNaming(true)
                .load();
    }
}
