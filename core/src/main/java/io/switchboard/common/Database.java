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

    /** Reads {@code url}, {@code user}, {@code password} and {@code pool-size} from the {@code db} node. */
    public static Database fromConfig(Config db) {
        String url = db.get("url").asString()
                .orElseThrow(() -> new IllegalStateException("db.url is not configured (set DB_URL)"));
        return connect(url, db.get("user").asString().orElse("postgres"),
                db.get("password").asString().orElse(""), db.get("pool-size").asInt().orElse(16));
    }

    public static Database connect(String url, String user, String password, int poolSize) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(poolSize);
        hc.setPoolName("switchboard");
        hc.setConnectionTimeout(10_000);
        return new Database(new HikariDataSource(hc));
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
