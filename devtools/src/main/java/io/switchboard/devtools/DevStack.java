package io.switchboard.devtools;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.switchboard.ControlPlane;
import io.switchboard.app.CallsWiring;
import io.switchboard.app.Main;
import io.switchboard.app.Ports;
import io.switchboard.calls.CallService;
import io.switchboard.common.Database;
import io.switchboard.common.Violations;
import io.switchboard.contacts.PhoneNumbers;
import io.switchboard.common.Notifications;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.server.observe.Observability;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.transcription.SpeechRecognizer;
import io.switchboard.worker.WorkerRuntime;
import io.switchboard.migrations.Migrations;
import io.switchboard.server.Listener;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.storage.ObjectStore;
import io.switchboard.tenancy.OrganizationService;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Everything of {@code ./switchboard dev} in one process: embedded PostgreSQL and S3 under a home
 * directory, migrations, bootstrap key, API server with live calls, and a worker running the call pipeline.
 * Also what the end-to-end tests and the benchmarks start. It wires the same parts as {@code Main}'s
 * {@code server} and {@code worker}, through the same helpers ({@link Main}, {@link CallsWiring}).
 */
public final class DevStack implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DevStack.class.getName());

    private final Path home;
    private final EmbeddedServices embedded;
    private final Database db;
    private final ObjectStore store;
    private final ControlPlane plane;
    private final Notifications notifications;
    private final SwitchboardServer server;
    private final Optional<WorkerRuntime> worker;
    private final Optional<SpeechRecognizer> recognizer;
    private final String operatorKey;
    private final String schemaVersion;
    private final Optional<Softphone> softphone;
    private final Config config;

    private DevStack(Path home, EmbeddedServices embedded, Database db, ObjectStore store, ControlPlane plane,
                     Notifications notifications, SwitchboardServer server, Optional<WorkerRuntime> worker, Optional<SpeechRecognizer> recognizer,
                     String operatorKey, String schemaVersion, Optional<Softphone> softphone, Config config) {
        this.softphone = softphone;
        this.config = config;
        this.home = home;
        this.embedded = embedded;
        this.db = db;
        this.store = store;
        this.plane = plane;
        this.notifications = notifications;
        this.server = server;
        this.worker = worker;
        this.recognizer = recognizer;
        this.operatorKey = operatorKey;
        this.schemaVersion = schemaVersion;
    }

    /** Where the stack keeps its data, key files and bootstrap key ({@code dev.home}). */
    public Path home() {
        return home;
    }

    /** The embedded PostgreSQL and S3 (tests stop and start them to play outages). */
    public EmbeddedServices embedded() {
        return embedded;
    }

    public Database db() {
        return db;
    }

    public ObjectStore store() {
        return store;
    }

    public ControlPlane plane() {
        return plane;
    }

    public SwitchboardServer server() {
        return server;
    }

    /** The worker pool, unless {@code dev.worker} is false. */
    public Optional<WorkerRuntime> worker() {
        return worker;
    }

    /** The simulated carrier, unless a real one is configured or {@code dev.softphone.enabled} is false. */
    public Optional<Softphone> softphone() {
        return softphone;
    }

    /** The gRPC API's port (server.port; 0 picks a free one). */
    public int grpcPort() {
        return server.port();
    }

    /** The bootstrap organisation owner's API key. */
    public String operatorKey() {
        return operatorKey;
    }

    public static DevStack start(Config config) throws Exception {
        io.switchboard.common.Tracing.configure(config.get("tracing"), "switchboard-dev");
        Path home = Path.of(config.get("dev.home").asString().orElse(".switchboard")).toAbsolutePath();
        EmbeddedServices embedded = EmbeddedServices.start(home,
                config.get("dev.postgres-port").asInt().orElse(54329), config.get("dev.s3-port").asInt().orElse(9190));
        // what started so far, stopped again (last first) when a later part cannot start, e.g. on a taken port
        Deque<AutoCloseable> started = new ArrayDeque<>(List.of(embedded));
        try {
            return start(config, home, embedded, started);
        } catch (Exception | Error e) {
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static DevStack start(Config config, Path home, EmbeddedServices embedded, Deque<AutoCloseable> started)
            throws Exception {
        Database db = Database.connect(embedded.jdbcUrl(), "postgres", "postgres",
                config.get("db.pool-size").asInt().orElse(16),
                config.get("db.connection-timeout").as(Duration.class).orElse(Database.CONNECTION_TIMEOUT));
        started.push(db);
        MigrateResult migrated = Migrations.migrate(db.dataSource());
        ObjectStore store = new ObjectStore(embedded.s3Endpoint(), EmbeddedServices.S3_ACCESS_KEY,
                EmbeddedServices.S3_SECRET_KEY, "us-east-1", config.get("s3.bucket").asString().orElse("switchboard"));
        store.ensureBucket();
        ControlPlane plane = Main.controlPlane(config, db,
                Main.auditKeyFile(config).orElse(home.resolve("audit-signing.key")),
                Main.masterKeyFile(config).orElse(home.resolve("master.key")), store);
        String key = bootstrapKey(plane, home);
        CallService calls = plane.calls();
        Optional<SpeechRecognizer> recognizer = CallsWiring.recognizer(config);
        recognizer.ifPresent(r -> started.push(r::close));
        int port = config.get("server.port").asInt().orElse(50051);
        if (port == 0) {
            port = freePort(); // the carrier needs the address before the server starts
        }
        Optional<TwilioTelephony.Settings> carrier = CallsWiring.twilio(config);
        Optional<Softphone> softphone = Optional.empty();
        if (carrier.isEmpty() && config.get("dev.softphone.enabled").asBoolean().orElse(true)) {
            Path speech = Path.of(config.get("dev.softphone.speech").asString().orElse(DEFAULT_SPEECH));
            if (Files.isReadable(speech)) {
                String sid = "AC" + HexFormat.of().formatHex(random(16));
                String token = HexFormat.of().formatHex(random(16));
                int phonePort = config.get("dev.softphone.port").asInt().orElse(0);
                Softphone phone = Ports.listen("dev.softphone.port", "127.0.0.1", phonePort,
                        () -> Softphone.start(sid, token, speech, phonePort));
                started.push(phone);
                callees(config).forEach(phone::persona);
                textReplies(config).forEach((number, replies) -> phone.textsBack(number, replies.toArray(String[]::new)));
                phone.messagingWebhook(URI.create("http://127.0.0.1:" + port + TwilioMessaging.INBOUND_PATH));
                softphone = Optional.of(phone);
                carrier = Optional.of(new TwilioTelephony.Settings(phone.apiUrl(), sid, token,
                        URI.create("http://127.0.0.1:" + port),
                        config.get("telephony.ring-timeout").as(Duration.class).orElse(Duration.ofSeconds(30))));
            } else {
                LOG.warning("no softphone: " + speech + " is missing (./switchboard setup installs pocketsphinx-testdata);"
                        + " campaigns will not dial");
            }
        }
        Notifications notifications = Notifications.start(db.dataSource());
        started.push(notifications); // before PostgreSQL stops, or its poll reports the lost connection
        CallGrpcService grpc = CallsWiring.grpc(config, plane, calls, recognizer, notifications);
        Optional<TwilioTelephony.Settings> bridged = carrier;
        int serverPort = port;
        SwitchboardServer server = Ports.listen("server.port", "127.0.0.1", serverPort, () -> {
                    var builder = SwitchboardServer.builder().controlPlane(plane).notifications(notifications).calls(grpc)
                            .addServices(CallsWiring.contentServices(plane, calls, grpc, bridged))
                            .addReadiness(List.of(Observability.objectStore(store), Observability.recognizer(recognizer)))
                            .cors(Main.grpcWebCors(config, DEV_ORIGINS))
                            .listener(new Listener("127.0.0.1", serverPort, Main.serverTls(config)));
                    bridged.ifPresent(c -> builder.carrier(CallsWiring.bridge(c, plane, grpc))
                            .messagingCarrier(CallsWiring.messagingWebhooks(c, plane)));
                    return builder.start();
                }, SwitchboardServer::port);
        started.push(server);
        Optional<TwilioTelephony.Settings> dialing = carrier;
        // dev.worker: false runs the server side only, for workers in processes of their own (fault tests)
        Optional<WorkerRuntime> worker = config.get("dev.worker").asBoolean().orElse(true)
                ? Optional.of(WorkerRuntime.start(config, plane, recognizer,
                        dialing.map(TwilioTelephony::new), CallsWiring.nationalDoNotCall(config),
                        dialing.map(TwilioMessaging::new)))
                : Optional.empty();
        return new DevStack(home, embedded, db, store, plane, notifications, server, worker, recognizer, key,
                Optional.ofNullable(migrated.targetSchemaVersion).orElse(migrated.initialSchemaVersion), softphone,
                config);
    }

    /**
     * Who answers the demo campaign's four numbers ({@code CampaignClient.DEMO_NUMBERS}): someone who says yes and
     * gives a number, someone who asks to be taken off the list, an answering machine, and someone who says no
     * thanks (and answers the follow-up text with STOP, see {@link #DEMO_TEXT_REPLIES}), each in a voice agents
     * do not use by default (they speak {@code flite:slt}).
     */
    public static final Map<String, Persona> DEMO_CALLEES = Map.of(
            "+12125550301", Persona.talking("Hello?", "Yes, that's me.", "Yes, I am interested.", "Forty two.",
                    "Thank you, goodbye."),
            "+12125550302", Persona.talking("Hello, who is this?", "Please take me off your list.")
                    .voice("flite:rms"),
            "+12125550303", Persona.machine("Hi, you have reached the Miller family. We can't come to the phone right "
                    + "now. Please leave a message after the tone.").voice("flite:awb"),
            "+12125550304", Persona.talking("Hello?", "No, thank you.", "No.", "Goodbye.").voice("espeak:en-us"));

    /**
     * The softphone's personas: {@code dev.softphone.callees} (see {@link Persona} for the format), else, unless
     * {@code dev.softphone.demo-callees} is false, {@link #DEMO_CALLEES}. Other numbers read the default recording.
     */
    static Map<String, Persona> callees(Config config) {
        Config list = config.get("dev.softphone.callees");
        if (list.exists()) {
            Map<String, Persona> out = new java.util.LinkedHashMap<>();
            for (Config c : list.asNodeList().orElse(List.of())) {
                Violations v = new Violations();
                String number = PhoneNumbers.strictE164("dev.softphone.callees." + c.name() + ".number",
                        c.get("number").asString().orElse(""), v).orElse("");
                v.throwIfAny();
                out.put(number, Persona.fromConfig(c));
            }
            return out;
        }
        return config.get("dev.softphone.demo-callees").asBoolean().orElse(true) ? DEMO_CALLEES : Map.of();
    }

    /**
     * How the demo callees answer texts (the demo campaign's follow-ups): the interested one thanks us, the one who
     * only wants texts no more answers STOP.
     */
    public static final Map<String, List<String>> DEMO_TEXT_REPLIES = Map.of(
            "+12125550301", List.of("Thanks! Talk soon."),
            "+12125550304", List.of("STOP"));

    /**
     * What the softphone's people text back: each {@code dev.softphone.callees} entry's {@code texts-back} (a list,
     * one reply per text received, e.g. {@code ["Thanks!", "STOP"]}), else, with the demo callees,
     * {@link #DEMO_TEXT_REPLIES}.
     */
    static Map<String, List<String>> textReplies(Config config) {
        Config list = config.get("dev.softphone.callees");
        if (list.exists()) {
            Map<String, List<String>> out = new java.util.LinkedHashMap<>();
            for (Config c : list.asNodeList().orElse(List.of())) {
                List<String> replies = io.switchboard.common.Configs.list(c.get("texts-back"));
                if (!replies.isEmpty()) {
                    out.put(c.get("number").asString().orElse("").strip(), replies);
                }
            }
            return out;
        }
        return config.get("dev.softphone.demo-callees").asBoolean().orElse(true) ? DEMO_TEXT_REPLIES : Map.of();
    }

    /** Pages a developer serves locally (a console's dev server) may call the dev API with grpc-web. */
    public static final List<String> DEV_ORIGINS = List.of("http://localhost:*", "http://127.0.0.1:*");

    /** Real recorded speech the softphone's callee plays (Debian's pocketsphinx-testdata). */
    public static final String DEFAULT_SPEECH =
            "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav";

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Another worker process's worth of the pool against the same database and store (its own call service,
     * job loop and recogniser pool, no dialer): for load tests of more than one worker on one machine.
     */
    public AutoCloseable startExtraWorker() {
        WorkerRuntime extra = WorkerRuntime.start(config, plane, recognizer);
        return extra::close;
    }

    /** Another API server process's worth: its own pool, LISTEN connection and call service, on a free port. */
    public record ExtraServer(SwitchboardServer server, Notifications notifications, Database db) implements AutoCloseable {
        public int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.close();
            notifications.close();
            db.close();
        }
    }

    /**
     * A second API server against the same database and object store (live calls, the carrier bridge aside), as
     * a deployment behind a load balancer runs them: for tests of what crosses servers.
     */
    public ExtraServer startExtraServer() {
        Database other = Database.connect(embedded.jdbcUrl(), "postgres", "postgres",
                config.get("db.pool-size").asInt().orElse(16));
        ControlPlane otherPlane = Main.controlPlane(config, other,
                Main.auditKeyFile(config).orElse(home.resolve("audit-signing.key")),
                Main.masterKeyFile(config).orElse(home.resolve("master.key")), store);
        Notifications heard = Notifications.start(other.dataSource());
        CallService calls = otherPlane.calls();
        CallGrpcService grpc = CallsWiring.grpc(config, otherPlane, calls, recognizer, heard);
        SwitchboardServer s = SwitchboardServer.builder().controlPlane(otherPlane).notifications(heard).calls(grpc)
                .addServices(CallsWiring.contentServices(otherPlane, calls, grpc, Optional.empty()))
                .addReadiness(List.of(Observability.objectStore(store), Observability.recognizer(recognizer)))
                .cors(Main.grpcWebCors(config, DEV_ORIGINS))
                .listener(new Listener("127.0.0.1", 0, Main.serverTls(config))).start();
        return new ExtraServer(s, heard, other);
    }

    /** Bootstraps on first run and keeps the key in {@code home/bootstrap-key} (mode 600) for later runs. */
    private static String bootstrapKey(ControlPlane plane, Path home) throws IOException {
        Path file = home.resolve("bootstrap-key");
        Optional<OrganizationService.Created> created = plane.organizations()
                .bootstrap("Dev organisation", "operator@localhost");
        if (created.isPresent()) {
            String key = created.get().ownerKey().secret();
            Files.writeString(file, key + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return key;
        }
        return Files.isRegularFile(file) ? Files.readString(file).trim()
                : "(bootstrapped earlier; " + file + " is missing — create a key with ApiKeyService)";
    }

    void printBanner() {
        System.out.printf("""

                Switchboard dev is running (data in %s)
                  gRPC API      127.0.0.1:%d   (plaintext; reflection and grpc.health.v1 enabled; grpc-web too)
                  web console   http://127.0.0.1:%d/console/   (sign in with the operator key below)
                  PostgreSQL    %s   (user postgres, password postgres)
                  S3            %s   bucket '%s'   (access key %s, secret %s)
                  migrations    schema at version %s
                  operator key  %s
                                (owner of the bootstrap organisation, may create organisations; also in %s)

                Try:
                  grpcurl -plaintext -H 'authorization: Bearer %s' 127.0.0.1:%d switchboard.v1.PlanService/ListPlans
                  ./switchboard demo-call /usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav

                Ctrl-C stops everything.
                %n""", home, server.port(), server.port(), embedded.jdbcUrl(), embedded.s3Endpoint(), store.bucket(),
                EmbeddedServices.S3_ACCESS_KEY, EmbeddedServices.S3_SECRET_KEY, schemaVersion,
                operatorKey, home.resolve("bootstrap-key"), operatorKey, server.port());
    }

    /**
     * Stops everything in the one safe order: no new outbound calls and no new streams; the live calls
     * hung up, their audio stored and their pipelines queued (the server's close); the carrier; the worker
     * pool, which finishes or releases the jobs it holds; then the database and the object store.
     */
    @Override
    public void close() {
        worker.ifPresent(WorkerRuntime::stopDialing);
        server.close();
        store.close(java.time.Duration.ofSeconds(30)); // the ended calls' last segments, before the database goes
        notifications.close();
        softphone.ifPresent(Softphone::close);
        worker.ifPresent(WorkerRuntime::close);
        recognizer.ifPresent(SpeechRecognizer::close);
        db.close();
        io.switchboard.common.Tracing.shutdown();
        try {
            embedded.close();
        } catch (IOException e) {
            LOG.warning("embedded services did not stop cleanly: " + e.getMessage());
        }
    }
}
