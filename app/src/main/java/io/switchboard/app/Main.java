package io.switchboard.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.switchboard.ControlPlane;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.server.observe.Observability;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.audit.AuditSigner;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Configs;
import io.switchboard.common.Database;
import io.switchboard.encryption.MasterKeys;
import io.switchboard.migrations.Migrations;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.retention.PolicyChanges;
import io.switchboard.server.Listener;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.common.Notifications;
import io.switchboard.server.web.GrpcWebCors;
import io.switchboard.storage.ObjectStore;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The one entry point. Reads configuration, builds every object by hand and starts what the subcommand
 * asks for:
 * <ul>
 *   <li>{@code dev}: embedded PostgreSQL and S3 under {@code ./.switchboard/}, migrations, API server and
 *   worker in one process; prints the endpoints and the bootstrap operator key.</li>
 *   <li>{@code server}, {@code worker}: production roles against the configured PostgreSQL and S3.</li>
 *   <li>{@code migrate}: applies pending migrations and exits.</li>
 * </ul>
 */
public final class Main {

    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    private static final String USAGE = """
            usage: switchboard <command> [--config FILE]

              dev       everything on one machine: embedded PostgreSQL + S3 under ./.switchboard, API server, worker
              server    the gRPC API server (needs db.url and s3.endpoint)
              worker    a worker of the pool (needs db.url and s3.endpoint)
              migrate   apply database migrations and exit
              call FILE.wav [--agent ID] [--fast] [--target HOST:PORT]
                        play a WAV file into a running server as a live call; prints live and final transcript,
                        summary and recording URL (key: SWITCHBOARD_API_KEY, else ./.switchboard/bootstrap-key)
              campaign [NUMBER...] [--concurrency N] [--target HOST:PORT]
                        run a small outbound campaign through the server's dialer and carrier (in dev, the
                        softphone answers and speaks) and print its progress, transcripts, summaries, dispositions

              keys | agents | lists | contacts | campaigns | calls <verb> ...
                        the scripting client: tables, or --json; `switchboard agents --help` lists every verb

            Configuration: --config FILE (default ./application.yaml if present), then environment variables
            (DB_URL, DB_USER, DB_PASSWORD, S3_ENDPOINT, S3_ACCESS__KEY, S3_SECRET__KEY, S3_BUCKET, SERVER_PORT, ...).
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
        if (args.length > 0 && io.switchboard.app.cli.Cli.RESOURCES.contains(args[0])) {
            // the scripting client: its output is the API's answers; library chatter stays out of stderr
            java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
            System.exit(io.switchboard.app.cli.Cli.run(List.of(args), System.getenv(), Path.of(""), System.out, System.err));
        }
        LogConfig.configureRuntime();
        if ("json".equalsIgnoreCase(System.getenv("SWITCHBOARD_LOG_FORMAT"))
                || "json".equalsIgnoreCase(System.getProperty("switchboard.log-format"))) {
            for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
                h.setFormatter(new io.switchboard.common.JsonLogFormatter());
            }
        }
        Deque<String> rest = new ArrayDeque<>(List.of(args));
        String command = rest.isEmpty() ? "help" : rest.pop();
        if (command.equals("call")) {
            System.exit(call(rest));
        }
        if (command.equals("campaign")) {
            System.exit(campaign(rest));
        }
        Path configFile = null;
        while (!rest.isEmpty()) {
            String a = rest.pop();
            if (a.equals("--config") && !rest.isEmpty()) {
                configFile = Path.of(rest.pop());
            } else {
                fail("unknown argument '" + a + "'\n\n" + USAGE);
            }
        }
        if (configFile == null && Files.isRegularFile(Path.of("application.yaml"))) {
            configFile = Path.of("application.yaml");
        }
        try {
            switch (command) {
                case "dev" -> dev(Configs.load(configFile));
                case "server" -> server(Configs.load(configFile));
                case "worker" -> worker(Configs.load(configFile));
                case "migrate" -> migrate(Configs.load(configFile));
                case "help", "-h", "--help" -> System.out.print(USAGE);
                default -> fail("unknown command '" + command + "'\n\n" + USAGE);
            }
        } catch (Ports.InUse e) {
            fail(e.getMessage());
        }
    }

    private static int call(Deque<String> args) throws Exception {
        Path file = null;
        String agent = "";
        String target = "127.0.0.1:50051";
        boolean fast = false;
        while (!args.isEmpty()) {
            String a = args.pop();
            switch (a) {
                case "--agent" -> agent = args.isEmpty() ? "" : args.pop();
                case "--target" -> target = args.isEmpty() ? target : args.pop();
                case "--fast" -> fast = true;
                default -> file = Path.of(a);
            }
        }
        if (file == null || !Files.isRegularFile(file)) {
            fail("call needs a WAV file: ./switchboard call FILE.wav (got " + file + ")");
        }
        return CallClient.run(file, target, apiKey(), agent, fast, System.out, System.err);
    }

    private static int campaign(Deque<String> args) throws Exception {
        List<String> numbers = new java.util.ArrayList<>();
        String target = "127.0.0.1:50051";
        int concurrency = 2;
        while (!args.isEmpty()) {
            String a = args.pop();
            switch (a) {
                case "--target" -> target = args.isEmpty() ? target : args.pop();
                case "--concurrency" -> {
                    try {
                        concurrency = Integer.parseInt(args.isEmpty() ? "" : args.pop());
                    } catch (NumberFormatException e) {
                        fail("--concurrency needs a number of calls at once, e.g. --concurrency 2");
                    }
                }
                default -> numbers.add(a);
            }
        }
        return CampaignClient.run(numbers.isEmpty() ? CampaignClient.DEMO_NUMBERS : numbers, target, apiKey(),
                concurrency, System.out);
    }

    /** SWITCHBOARD_API_KEY, else the dev stack's bootstrap key in this directory (as the scripting client). */
    private static String apiKey() {
        Optional<String> key = io.switchboard.app.cli.Cli.apiKey(Optional.empty(), System.getenv(), Path.of(""));
        if (key.isEmpty()) {
            fail("no API key: set SWITCHBOARD_API_KEY, or start `./switchboard dev` in this directory first");
        }
        return key.orElseThrow();
    }

    private static void dev(Config config) throws Exception {
        DevStack stack = DevStack.start(config);
        stack.printBanner();
        awaitShutdown(stack::close);
    }

    private static void server(Config config) throws Exception {
        io.switchboard.common.Tracing.configure(config.get("tracing"), "switchboard-server");
        Database db = Database.fromConfig(config.get("db"));
        requireMigrated(db);
        ObjectStore store = ObjectStore.fromConfig(config.get("s3"));
        store.ensureBucket();
        ControlPlane plane = controlPlane(config, db);
        plane.organizations().bootstrap("Default organisation", "operator@localhost").ifPresent(c ->
                System.out.println("Bootstrap operator key (shown once, store it now): " + c.ownerKey().secret()));
        var calls = CallsWiring.callService(plane, CallsWiring.queue(plane), store);
        var recognizer = CallsWiring.recognizer(config);
        Notifications notifications = Notifications.start(db.dataSource());
        var grpc = CallsWiring.grpc(config, plane, calls, recognizer, notifications);
        String host = config.get("server.host").asString().orElse("0.0.0.0");
        int port = config.get("server.port").asInt().orElse(50051);
        SwitchboardServer server = Ports.listen("server.port", host, port, () -> SwitchboardServer.start(plane,
                notifications, Optional.of(grpc), CallsWiring.contentServices(plane, calls, grpc, CallsWiring.twilio(config)),
                CallsWiring.twilio(config).map(t -> CallsWiring.bridge(t, plane, grpc)),
                List.of(Observability.objectStore(store), Observability.recognizer(recognizer)),
                grpcWebCors(config, List.of()), new Listener(host, port, serverTls(config))), SwitchboardServer::port);
        awaitShutdown(() -> {
            server.close();
            notifications.close();
            recognizer.ifPresent(io.switchboard.transcription.SpeechRecognizer::close);
            db.close();
            io.switchboard.common.Tracing.shutdown();
        });
    }

    private static void worker(Config config) throws Exception {
        io.switchboard.common.Tracing.configure(config.get("tracing"), "switchboard-worker");
        Database db = Database.fromConfig(config.get("db"));
        requireMigrated(db);
        ObjectStore store = ObjectStore.fromConfig(config.get("s3"));
        store.ensureBucket();
        ControlPlane plane = controlPlane(config, db);
        var queue = CallsWiring.queue(plane);
        var recognizer = CallsWiring.recognizer(config);
        // bound before the worker claims any job, so a taken port stops it with nothing half done
        String observeHost = config.get("worker.observe-host").asString().orElse("0.0.0.0");
        int observePort = config.get("worker.observe-port").asInt().orElse(8081);
        WebServer observe = Ports.listen("worker.observe-port", observeHost, observePort, () -> WebServer.builder()
                .shutdownHook(false).host(observeHost).port(observePort)
                .addFeature(Observability.feature(List.of(Observability.database(db.dataSource()),
                        Observability.objectStore(store), Observability.recognizer(recognizer)))).build().start(),
                WebServer::port);
        var worker = io.switchboard.worker.WorkerRuntime.start(config, plane, CallsWiring.callService(plane, queue, store),
                queue, recognizer, CallsWiring.twilio(config).map(TwilioTelephony::new),
                CallsWiring.nationalDoNotCall(config));
        LOG.info(() -> "worker started; waiting for jobs; health and metrics on port " + observe.port() + " (/observe)");
        awaitShutdown(() -> {
            observe.stop();
            worker.close();
            recognizer.ifPresent(io.switchboard.transcription.SpeechRecognizer::close);
            db.close();
            io.switchboard.common.Tracing.shutdown();
        });
    }

    private static void migrate(Config config) {
        try (Database db = Database.fromConfig(config.get("db"))) {
            MigrateResult r = Migrations.migrate(db.dataSource());
            System.out.println("applied " + r.migrationsExecuted + " migration(s); schema at version "
                    + Optional.ofNullable(r.targetSchemaVersion).orElse(r.initialSchemaVersion));
        }
    }

    private static void requireMigrated(Database db) {
        int pending = Migrations.pending(db.dataSource());
        if (pending > 0) {
            fail(pending + " database migration(s) are pending: run `./switchboard migrate` first");
        }
    }

    /** For server and worker: the key files must be named, since every process has to share them. */
    static ControlPlane controlPlane(Config config, Database db) {
        Optional<Path> keyFile = auditKeyFile(config);
        if (keyFile.isEmpty()) {
            fail("audit.signing-key-file (env AUDIT_SIGNING__KEY__FILE) is not set: name the Ed25519 key file that "
                    + "signs audit checkpoints. It is created on first use if missing; give every server and worker "
                    + "the same file");
        }
        Optional<Path> masterKey = masterKeyFile(config);
        if (masterKey.isEmpty()) {
            fail("encryption.master-key-file (env ENCRYPTION_MASTER__KEY__FILE) is not set: name the AES-256 master "
                    + "key file that wraps the data keys of HIPAA-mode organisations. It is created on first use if "
                    + "missing; give every server and worker the same file and back it up apart from the database");
        }
        return controlPlane(config, db, keyFile.orElseThrow(), masterKey.orElseThrow());
    }

    /**
     * {@code server.grpc-web.cors.allowed-origins}: a list, or one comma-separated value (as the environment
     * gives it, {@code SERVER_GRPC__WEB_CORS_ALLOWED__ORIGINS}); {@code otherwise} when not configured.
     */
    static GrpcWebCors grpcWebCors(Config config, List<String> otherwise) {
        Config origins = config.get("server.grpc-web.cors.allowed-origins");
        return new GrpcWebCors(origins.exists() ? Configs.list(origins) : otherwise);
    }

    /**
     * {@code server.tls.certificate-file} and {@code server.tls.private-key-file}: the API serves TLS with them (both
     * set), or plaintext (neither).
     */
    static Optional<Listener.TlsFiles> serverTls(Config config) {
        Optional<String> cert = config.get("server.tls.certificate-file").asString().asOptional().filter(s -> !s.isBlank());
        Optional<String> key = config.get("server.tls.private-key-file").asString().asOptional().filter(s -> !s.isBlank());
        if (cert.isPresent() != key.isPresent()) {
            fail("server.tls.certificate-file (env SERVER_TLS_CERTIFICATE__FILE) and server.tls.private-key-file (env "
                    + "SERVER_TLS_PRIVATE__KEY__FILE) go together: set both for TLS, or neither for plaintext");
        }
        return cert.map(c -> new Listener.TlsFiles(Path.of(c), Path.of(key.orElseThrow())));
    }

    static Optional<Path> auditKeyFile(Config config) {
        return config.get("audit.signing-key-file").asString().filter(s -> !s.isBlank()).map(Path::of);
    }

    static Optional<Path> masterKeyFile(Config config) {
        return config.get("encryption.master-key-file").asString().filter(s -> !s.isBlank()).map(Path::of);
    }

    /**
     * @param keyFile       the Ed25519 key pair signing audit checkpoints (created if missing)
     * @param masterKeyFile the current AES-256 master key (created if missing)
     */
    static ControlPlane controlPlane(Config config, Database db, Path keyFile, Path masterKeyFile) {
        List<Path> previous = Configs.list(config.get("encryption.previous-master-key-files")).stream()
                .map(Path::of).toList();
        return ControlPlane.create(db, Clock.systemUTC(), PlanCatalog.fromConfig(config), AuditSigner.fromFile(keyFile),
                AuditSink.logging(), config.get("retention.downgrade-grace").as(Duration.class)
                        .orElse(PolicyChanges.DEFAULT_GRACE), MasterKeys.fromFiles(masterKeyFile, previous),
                Voices.fromConfig(config));
    }

    private static void awaitShutdown(Runnable stop) throws InterruptedException {
        Shutdown.await(stop);
    }

    private static void fail(String message) {
        System.err.println("switchboard: " + message);
        System.exit(2);
    }
}
