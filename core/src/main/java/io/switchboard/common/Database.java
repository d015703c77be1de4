package io.switchboard.common;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.helidon.config.Config;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

/** The connection pool and the jOOQ context over it; one per process. */
public final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final DSLContext dsl;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES, new Settings()
                .withRenderQuotedNames(RenderQuotedNames.EXPLICIT_DEFAULT_UNQUOTED)
                .withExecuteLogging(false));
    }

    /** How long a request waits for a connection by default before it is refused (the database is away). */
    public static final java.time.Duration CONNECTION_TIMEOUT = java.time.Duration.ofSeconds(10);

    /**
     * Reads {@code url}, {@code user}, {@code password}, {@code pool-size} and {@code connection-timeout} from
     * the {@code db} node.
     */
    public static Database fromConfig(Config db) {
        String url = db.get("url").asString()
                .orElseThrow(() -> new IllegalStateException("db.url is not configured (set DB_URL)"));
        return connect(url, db.get("user").asString().orElse("postgres"),
                db.get("password").asString().orElse(""), db.get("pool-size").asInt().orElse(16),
                db.get("connection-timeout").as(java.time.Duration.class).orElse(CONNECTION_TIMEOUT));
    }

    public static Database connect(String url, String user, String password, int poolSize) {
        return connect(url, user, password, poolSize, CONNECTION_TIMEOUT);
    }

    /**
     * @param connectionTimeout how long a request waits for a connection: a database restart shorter than this
     *                          is ridden out; a longer one refuses requests (UNAVAILABLE at the API)
     */
    public static Database connect(String url, String user, String password, int poolSize,
                                   java.time.Duration connectionTimeout) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(poolSize);
        hc.setPoolName("switchboard");
        hc.setConnectionTimeout(connectionTimeout.toMillis());
        return new Database(new HikariDataSource(hc));
    }

    /**
     * Whether {@code failure} means the database could not be reached (no connection within the timeout, a
     * connection cut by a restart or failover, a server shutting down or starting up) rather than a fault in
     * the request: callers answer those as retryable.
     */
    public static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException
                    || t instanceof java.sql.SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") // connection exception
                    || sql.getSQLState().equals("57P01") // admin_shutdown
                    || sql.getSQLState().equals("57P02") // crash_shutdown
                    || sql.getSQLState().equals("57P03"))) { // cannot_connect_now (starting up)
                return true;
            }
        }
        return false;
    }

    public DSLContext dsl() {
        return dsl;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
