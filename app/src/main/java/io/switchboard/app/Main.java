package io.switchboard.app;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.switchboard.ControlPlane;
import io.switchboard.app.cli.Cli;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.audit.AuditSigner;
import io.switchboard.audit.AuditSink;
import io.switchboard.common.Configs;
import io.switchboard.common.Database;
import io.switchboard.common.JsonLogFormatter;
import io.switchboard.common.Notifications;
import io.switchboard.encryption.MasterKeys;
import io.switchboard.messaging.MessagingService;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.migrations.Migrations;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.retention.PolicyChanges;
import io.switchboard.server.Listener;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.observe.Observability;
import io.switchboard.server.web.GrpcWebCors;
import io.switchboard.storage.ObjectStore;
import io.switchboard.telephony.TwilioTelephony;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The one entry point. Every command is one entry of {@link #commands()}, a table from its name to a
 * {@link Command}; {@link #run} looks the name up, and {@link #main} alone ends the process, with the status the
 * command returned:
 * <ul>
 *   <li>{@code server}, {@code worker}: production roles against the configured PostgreSQL and S3.</li>
 *   <li>{@code migrate}: applies pending migrations and exits.</li>
 *   <li>{@code demo-call}, {@code demo-campaign}: clients that show a running server at work.</li>
 *   <li>{@code keys}, {@code agents}, ...: the scripting client ({@link Cli}).</li>
 *   <li>{@code dev}: everything embedded in one process; it lives in the devtools module, whose
 *   {@code DevMain} adds it to this table (production jars and images leave devtools out).</li>
 * </ul>
 */
public final class Main {

    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    static final String USAGE = """
            usage: switchboard <command> [--config FILE]

              dev       everything on one machine: embedded PostgreSQL + S3 under ./.switchboard, API server, worker
              server    the gRPC API server (needs db.url and s3.endpoint)
              worker    a worker of the pool (needs db.url and s3.endpoint)
              migrate   apply database migrations and exit
              demo-call FILE.wav [--agent ID] [--fast] [--target HOST:PORT]
                        play a WAV file into a running server as a live call; prints live and final transcript,
                        summary and recording URL (key: SWITCHBOARD_API_KEY, else ./.switchboard/bootstrap-key)
              demo-campaign [NUMBER...] [--concurrency N] [--target HOST:PORT]
                        run a small outbound campaign through the server's dialer and carrier (in dev, the
                        softphone answers and speaks) and print its progress, transcripts, summaries, dispositions
                        (`call` and `campaign`, their old names, still work)

              keys | agents | lists | contacts | campaigns | calls <verb> ...
                        the scripting client: tables, or --json; `switchboard agents --help` lists every verb

            Configuration: --config FILE (default ./application.yaml if present), then environment variables
            (DB_URL, DB_USER, DB_PASSWORD, S3_ENDPOINT, S3_ACCESS__KEY, S3_SECRET__KEY, S3_BUCKET, SERVER_PORT, ...).
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), commands(), System.out, System.err));
    }

    /** Every command of the production launcher, by name, in the order {@code help} lists them. */
    public static Map<String, Command> commands() {
        Map<String, Command> table = new LinkedHashMap<>();
        table.put("dev", (args, out, err) -> {
            throw new Command.Failed("dev is not part of this build: it lives in the devtools module, which production "
                    + "jars and the container image leave out; run ./switchboard dev from a source checkout");
        });
        table.put("server", configured(Main::server));
        table.put("worker", configured(Main::worker));
        table.put("migrate", configured(Main::migrate));
        Command demoCall = withRuntimeLogging(CallClient::command);
        Command demoCampaign = withRuntimeLogging(CampaignClient::command);
        table.put("demo-call", demoCall);
        table.put("demo-campaign", demoCampaign);
        for (String resource : Cli.RESOURCES) {
            table.put(resource, (args, out, err) -> {
                // the scripting client: its output is the API's answers; library chatter stays out of stderr
                Logger.getLogger("").setLevel(Level.WARNING);
                List<String> argv = new ArrayList<>(List.of(resource));
                argv.addAll(args);
                return Cli.run(argv, System.getenv(), Path.of(""), out, err);
            });
        }
        table.put("call", new Command.Renamed("call", "demo-call", demoCall));
        table.put("campaign", new Command.Renamed("campaign", "demo-campaign", demoCampaign));
        Command help = (args, out, err) -> {
            out.print(USAGE);
            return 0;
        };
        table.put("help", help);
        table.put("-h", help);
        table.put("--help", help);
        return table;
    }

    /**
     * Runs the command {@code argv} names (no name: {@code help}) from {@code commands}.
     *
     * @return the exit status: the command's, or 2 when the command is unknown or {@link Command.Failed failed}
     */
    public static int run(List<String> argv, Map<String, Command> commands, PrintStream out, PrintStream err) {
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
        String name = argv.isEmpty() ? "help" : argv.getFirst();
        Command command = commands.get(name);
        if (command == null) {
            err.println("switchboard: unknown command '" + name + "'. Commands: " + String.join(", ", listed(commands))
                    + " (switchboard help says what each does)");
            return 2;
        }
        try {
            return command.run(argv.isEmpty() ? List.of() : argv.subList(1, argv.size()), out, err);
        } catch (Command.Failed | Ports.InUse e) {
            err.println("switchboard: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            LOG.log(Level.SEVERE, "switchboard " + name + " failed", e);
            return 1;
        }
    }

    /** The names {@code help} would teach: not the old names, not the spellings of help. */
    static List<String> listed(Map<String, Command> commands) {
        return commands.entrySet().stream()
                .filter(e -> !(e.getValue() instanceof Command.Renamed) && !e.getKey().startsWith("-"))
                .map(Map.Entry::getKey).toList();
    }

    /** A role of the platform: reads configuration, then runs until it is stopped. */
    @FunctionalInterface
    public interface Role {
        void run(Config config) throws Exception;
    }

    /**
     * A command that takes only {@code --config FILE} (default {@code ./application.yaml} if present) and runs
     * {@code role} with it, logging as a long-running process does.
     */
    public static Command configured(Role role) {
        return withRuntimeLogging((args, out, err) -> {
            Path configFile = null;
            Deque<String> rest = new ArrayDeque<>(args);
            while (!rest.isEmpty()) {
                String a = rest.pop();
                if (a.equals("--config") && !rest.isEmpty()) {
                    configFile = Path.of(rest.pop());
                } else {
                    throw new Command.Failed("unknown argument '" + a + "'\n\n" + USAGE);
                }
            }
            if (configFile == null && Files.isRegularFile(Path.of("application.yaml"))) {
                configFile = Path.of("application.yaml");
            }
            role.run(Configs.load(configFile));
            return 0;
        });
    }

    private static Command withRuntimeLogging(Command command) {
        return (args, out, err) -> {
            LogConfig.configureRuntime();
            if ("json".equalsIgnoreCase(System.getenv("SWITCHBOARD_LOG_FORMAT"))
                    || "json".equalsIgnoreCase(System.getProperty("switchboard.log-format"))) {
                for (Handler h : Logger.getLogger("").getHandlers()) {
                    h.setFormatter(new JsonLogFormatter());
                }
            }
            return command.run(args, out, err);
        };
    }

    private static void server(Config config) throws Exception {
        io.switchboard.common.Tracing.configure(config.get("tracing"), "switchboard-server");
        Database db = Database.fromConfig(config.get("db"));
        requireMigrated(db);
        ObjectStore store = ObjectStore.fromConfig(config.get("s3"));
        store.ensureBucket();
        ControlPlane plane = controlPlane(config, db, store);
        plane.organizations().bootstrap("Default organisation", "operator@localhost").ifPresent(c ->
                System.out.println("Bootstrap operator key (shown once, store it now): " + c.ownerKey().secret()));
        var calls = plane.calls();
        var recognizer = CallsWiring.recognizer(config);
        Notifications notifications = Notifications.start(db.dataSource());
        var grpc = CallsWiring.grpc(config, plane, calls, recognizer, notifications);
        String host = config.get("server.host").asString().orElse("0.0.0.0");
        int port = config.get("server.port").asInt().orElse(50051);
        SwitchboardServer server = Ports.listen("server.port", host, port, () -> {
            var builder = SwitchboardServer.builder().controlPlane(plane).notifications(notifications).calls(grpc)
                    .addServices(CallsWiring.contentServices(plane, calls, grpc, CallsWiring.twilio(config)))
                    .addReadiness(List.of(Observability.objectStore(store), Observability.recognizer(recognizer)))
                    .cors(grpcWebCors(config, List.of())).listener(new Listener(host, port, serverTls(config)));
            CallsWiring.twilio(config).ifPresent(t -> builder.carrier(CallsWiring.bridge(t, plane, grpc))
                    .messagingCarrier(CallsWiring.messagingWebhooks(t, plane)));
            return builder.start();
        }, SwitchboardServer::port);
        awaitShutdown(() -> {
            server.close();
            store.close(java.time.Duration.ofSeconds(30)); // the ended calls' last segments, before the database goes
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
        ControlPlane plane = controlPlane(config, db, store);
        var recognizer = CallsWiring.recognizer(config);
        // bound before the worker claims any job, so a taken port stops it with nothing half done
        String observeHost = config.get("worker.observe-host").asString().orElse("0.0.0.0");
        int observePort = config.get("worker.observe-port").asInt().orElse(8081);
        WebServer observe = Ports.listen("worker.observe-port", observeHost, observePort, () -> WebServer.builder()
                .shutdownHook(false).host(observeHost).port(observePort)
                .addFeature(Observability.feature(List.of(Observability.database(db.dataSource()),
                        Observability.objectStore(store), Observability.recognizer(recognizer)))).build().start(),
                WebServer::port);
        var worker = io.switchboard.worker.WorkerRuntime.start(config, plane, recognizer,
                CallsWiring.twilio(config).map(TwilioTelephony::new),
                CallsWiring.nationalDoNotCall(config), CallsWiring.twilio(config).map(TwilioMessaging::new));
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
            throw new Command.Failed(pending + " database migration(s) are pending: run `./switchboard migrate` first");
        }
    }

    /** For server and worker: the key files must be named, since every process has to share them. */
    static ControlPlane controlPlane(Config config, Database db, ObjectStore store) {
        Optional<Path> keyFile = auditKeyFile(config);
        if (keyFile.isEmpty()) {
            throw new Command.Failed("audit.signing-key-file (env AUDIT_SIGNING__KEY__FILE) is not set: name the Ed25519 key file that "
                    + "signs audit checkpoints. It is created on first use if missing; give every server and worker "
                    + "the same file");
        }
        Optional<Path> masterKey = masterKeyFile(config);
        if (masterKey.isEmpty()) {
            throw new Command.Failed("encryption.master-key-file (env ENCRYPTION_MASTER__KEY__FILE) is not set: name the AES-256 master "
                    + "key file that wraps the data keys of HIPAA-mode organisations. It is created on first use if "
                    + "missing; give every server and worker the same file and back it up apart from the database");
        }
        return controlPlane(config, db, keyFile.orElseThrow(), masterKey.orElseThrow(), store);
    }

    /**
     * {@code server.grpc-web.cors.allowed-origins}: a list, or one comma-separated value (as the environment
     * gives it, {@code SERVER_GRPC__WEB_CORS_ALLOWED__ORIGINS}); {@code otherwise} when not configured.
     */
    public static GrpcWebCors grpcWebCors(Config config, List<String> otherwise) {
        Config origins = config.get("server.grpc-web.cors.allowed-origins");
        return new GrpcWebCors(origins.exists() ? Configs.list(origins) : otherwise);
    }

    /**
     * {@code server.tls.certificate-file} and {@code server.tls.private-key-file}: the API serves TLS with them (both
     * set), or plaintext (neither).
     */
    public static Optional<Listener.TlsFiles> serverTls(Config config) {
        Optional<String> cert = config.get("server.tls.certificate-file").asString().asOptional().filter(s -> !s.isBlank());
        Optional<String> key = config.get("server.tls.private-key-file").asString().asOptional().filter(s -> !s.isBlank());
        if (cert.isPresent() != key.isPresent()) {
            throw new Command.Failed("server.tls.certificate-file (env SERVER_TLS_CERTIFICATE__FILE) and server.tls.private-key-file (env "
                    + "SERVER_TLS_PRIVATE__KEY__FILE) go together: set both for TLS, or neither for plaintext");
        }
        return cert.map(c -> new Listener.TlsFiles(Path.of(c), Path.of(key.orElseThrow())));
    }

    public static Optional<Path> auditKeyFile(Config config) {
        return config.get("audit.signing-key-file").asString().filter(s -> !s.isBlank()).map(Path::of);
    }

    public static Optional<Path> masterKeyFile(Config config) {
        return config.get("encryption.master-key-file").asString().filter(s -> !s.isBlank()).map(Path::of);
    }

    /**
     * @param keyFile       the Ed25519 key pair signing audit checkpoints (created if missing)
     * @param masterKeyFile the current AES-256 master key (created if missing)
     * @param store         where call audio and recordings are kept
     */
    public static ControlPlane controlPlane(Config config, Database db, Path keyFile, Path masterKeyFile, ObjectStore store) {
        List<Path> previous = Configs.list(config.get("encryption.previous-master-key-files")).stream()
                .map(Path::of).toList();
        return ControlPlane.builder(db, PlanCatalog.fromConfig(config), store).auditSigner(AuditSigner.fromFile(keyFile))
                .alsoAuditTo(AuditSink.logging()).downgradeGrace(config.get("retention.downgrade-grace").as(Duration.class)
                        .orElse(PolicyChanges.DEFAULT_GRACE)).masterKeys(MasterKeys.fromFiles(masterKeyFile, previous))
                .voices(Voices.fromConfig(config)).messaging(new MessagingService.Settings(config.get("messaging.help-text")
                        .asString().orElse(MessagingService.Settings.DEFAULT.helpText()))).build();
    }

    private static void awaitShutdown(Runnable stop) throws InterruptedException {
        Shutdown.await(stop);
    }
}
