package io.switchboard.app.cli;

import static io.switchboard.app.cli.Output.col;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.switchboard.sdk.ApiKeyCredentials;
import io.switchboard.sdk.SingleResponse;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.ApiKey;
import io.switchboard.v1.ApiKeyServiceGrpc;
import io.switchboard.v1.Call;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.CallingWindow;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignStats;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.CreateApiKeyRequest;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreatedApiKey;
import io.switchboard.v1.GetAgentRequest;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.GetCampaignStatsRequest;
import io.switchboard.v1.GetRecordingUrlRequest;
import io.switchboard.v1.ImportContactsRequest;
import io.switchboard.v1.ImportContactsResponse;
import io.switchboard.v1.ImportOptions;
import io.switchboard.v1.ImportRowError;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.ListApiKeysRequest;
import io.switchboard.v1.ListCallsRequest;
import io.switchboard.v1.ListCampaignsRequest;
import io.switchboard.v1.ListContactListsRequest;
import io.switchboard.v1.ListContactsRequest;
import io.switchboard.v1.RevokeApiKeyRequest;
import io.switchboard.v1.Role;
import io.switchboard.v1.TranscriptEvent;

/**
 * The scripting client: {@code switchboard <resource> <verb> [options]} over the gRPC API, printing tables
 * for people or, with {@code --json}, the API's answers in its JSON mapping. Exit status 0 when the request
 * succeeded, 1 when the API refused it (its status and every field violation on stderr), 2 for bad usage.
 */
public final class Cli {

    /** One verb of a resource, run against the client's connection and arguments. */
    @FunctionalInterface
    private interface Verb {
        int run(Cli cli) throws IOException;
    }

    /** Every command of this client, {@code "resource verb"} to what runs it. */
    private static final Map<String, Verb> COMMANDS = commands();

    /** The first words that name this client's commands, in the order {@link #USAGE} lists them. */
    public static final Set<String> RESOURCES = COMMANDS.keySet().stream().map(c -> c.substring(0, c.indexOf(' ')))
            .collect(Collectors.collectingAndThen(Collectors.toCollection(LinkedHashSet::new),
                    Collections::unmodifiableSet));

    private static Map<String, Verb> commands() {
        Map<String, Verb> table = new LinkedHashMap<>();
        table.put("keys list", Cli::keysList);
        table.put("keys create", Cli::keysCreate);
        table.put("keys revoke", Cli::keysRevoke);
        table.put("agents list", Cli::agentsList);
        table.put("agents get", Cli::agentsGet);
        table.put("agents create", Cli::agentsCreate);
        table.put("lists list", Cli::listsList);
        table.put("lists create", Cli::listsCreate);
        table.put("contacts list", Cli::contactsList);
        table.put("contacts import", Cli::contactsImport);
        table.put("campaigns list", Cli::campaignsList);
        table.put("campaigns get", Cli::campaignsGet);
        table.put("campaigns create", Cli::campaignsCreate);
        table.put("campaigns stats", Cli::campaignsStats);
        for (String transition : List.of("start", "pause", "resume", "cancel")) {
            table.put("campaigns " + transition, cli -> cli.campaignsTransition(transition));
        }
        table.put("calls list", Cli::callsList);
        table.put("calls get", cli -> cli.callsGet(false));
        table.put("calls transcript", cli -> cli.callsGet(true));
        table.put("calls recording", Cli::callsRecording);
        return Collections.unmodifiableMap(table);
    }

    static final String USAGE = """
            usage: switchboard <resource> <verb> [options] [--json] [--target HOST:PORT] [--key KEY]

              keys list                                  API keys of your organisation (never their secrets)
              keys create NAME [--role owner|admin|agent|viewer]
                                                         a new key; its secret is printed once
              keys revoke ID
              agents list | agents get ID
              agents create --name NAME [--language en-US] [--prompt TEXT] [--first-message TEXT]
                            [--variable NAME:TYPE[:A|B|C]]...   TYPE: string, number, boolean, date, enum
              lists list | lists create NAME
              contacts list [--list ID]
              contacts import FILE.csv [--list ID] [--region US]
                                                         CSV with a header row (phone_number required); every
                                                         refused row is reported with its line
              campaigns list | campaigns get ID | campaigns stats ID
              campaigns create --name NAME --agent ID --list ID --caller-id NUMBER [--concurrency N]
                               [--window 09:00-17:00] [--max-attempts N]
              campaigns start|pause|resume|cancel ID
              calls list [--state active|ended|failed] [--campaign ID] [--agent ID] [--limit N]
              calls get ID | calls transcript ID | calls recording ID   (a presigned URL, 15 minutes)

            The key: --key, else SWITCHBOARD_API_KEY, else ./.switchboard/bootstrap-key (./switchboard dev).
            The server: --target, else SWITCHBOARD_TARGET, else 127.0.0.1:50051 (plaintext).
            """;

    private final Args args;
    private final Output output;
    private final PrintStream err;
    private final ManagedChannel channel;
    private final CallCredentials credentials;

    private Cli(Args args, Output output, PrintStream err, ManagedChannel channel, CallCredentials credentials) {
        this.args = args;
        this.output = output;
        this.err = err;
        this.channel = channel;
        this.credentials = credentials;
    }

    /**
     * Runs one command.
     *
     * @param env     the environment ({@code SWITCHBOARD_API_KEY}, {@code SWITCHBOARD_TARGET})
     * @param workDir where {@code .switchboard/bootstrap-key} is looked for
     * @return the exit status
     */
    public static int run(List<String> argv, Map<String, String> env, Path workDir, PrintStream out, PrintStream err) {
        Args args;
        try {
            args = new Args(argv);
        } catch (Args.UsageError e) {
            err.println("switchboard: " + e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
        if (args.flag("--help") || args.flag("-h") || args.words() < 2) {
            (args.words() < 2 && !args.flag("--help") && !args.flag("-h") ? err : out).print(USAGE);
            return args.words() < 2 && !args.flag("--help") && !args.flag("-h") ? 2 : 0;
        }
        String target = args.option("--target").orElse(Optional.ofNullable(env.get("SWITCHBOARD_TARGET"))
                .filter(s -> !s.isBlank()).orElse("127.0.0.1:50051"));
        Optional<String> key = apiKey(args.option("--key"), env, workDir);
        if (key.isEmpty()) {
            err.println("switchboard: no API key: pass --key, set SWITCHBOARD_API_KEY, or start `./switchboard dev` here");
            return 2;
        }
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            Cli cli = new Cli(args, new Output(out, args.flag("--json")), err, channel, ApiKeyCredentials.of(key.get()));
            return cli.dispatch(args.required(0, "resource"), args.required(1, "verb"));
        } catch (Args.UsageError e) {
            err.println("switchboard: " + e.getMessage() + "\n\n" + USAGE);
            return 2;
        } catch (StatusRuntimeException e) {
            err.println(describe(e));
            return 1;
        } catch (IOException e) {
            err.println("switchboard: " + e.getMessage());
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }

    /** The key to call with: {@code --key}, else {@code SWITCHBOARD_API_KEY}, else the dev stack's bootstrap key. */
    public static Optional<String> apiKey(Optional<String> given, Map<String, String> env, Path workDir) {
        return given.or(() -> Optional.ofNullable(env.get("SWITCHBOARD_API_KEY")).filter(s -> !s.isBlank()))
                .or(() -> bootstrapKey(workDir));
    }

    private static Optional<String> bootstrapKey(Path workDir) {
        Path k = workDir.resolve(".switchboard").resolve("bootstrap-key");
        try {
            return Files.isRegularFile(k) ? Optional.of(Files.readString(k).trim()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The API's refusal as a person needs it: code, message, and each field that was wrong and why. */
    static String describe(StatusRuntimeException e) {
        Status s = e.getStatus();
        StringBuilder b = new StringBuilder("error: ").append(s.getCode());
        if (s.getCode() == Status.Code.UNAVAILABLE && s.getDescription() == null) {
            b.append(": the server is not reachable (is `./switchboard dev` running? see --target)");
        } else if (s.getDescription() != null) {
            b.append(": ").append(s.getDescription());
        }
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        if (details != null) {
            for (com.google.protobuf.Any any : details.getDetailsList()) {
                if (any.is(BadRequest.class)) {
                    try {
                        for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
                            b.append("\n  ").append(v.getField()).append(": ").append(v.getDescription());
                        }
                    } catch (InvalidProtocolBufferException ignored) {
                        // the message above still says what went wrong
                    }
                }
            }
        }
        return b.toString();
    }

    private int dispatch(String resource, String verb) throws IOException {
        Verb command = COMMANDS.get(resource + " " + verb);
        if (command != null) {
            return command.run(this);
        }
        if (!RESOURCES.contains(resource)) {
            throw new Args.UsageError("unknown resource '" + resource + "'");
        }
        throw new Args.UsageError("unknown command '" + resource + " " + verb + "'; " + resource + " takes: "
                + COMMANDS.keySet().stream().filter(c -> c.startsWith(resource + " "))
                        .map(c -> c.substring(resource.length() + 1)).collect(Collectors.joining(", ")));
    }

    // ------------------------------------------------------------------ keys

    private ApiKeyServiceGrpc.ApiKeyServiceBlockingStub keys() {
        return ApiKeyServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private int keysList() {
        args.done(2);
        List<ApiKey> all = pages(token -> {
            var r = keys().listApiKeys(ListApiKeysRequest.newBuilder().setPageSize(100).setPageToken(token).build());
            return new Page<>(r.getApiKeysList(), r.getNextPageToken());
        });
        output.table(all, List.of(col("ID", ApiKey::getId), col("NAME", ApiKey::getName), col("PREFIX", ApiKey::getPrefix),
                col("ROLE", k -> Output.name(k.getRole())), col("CREATED", k -> Output.time(k.getCreateTime())),
                col("LAST USED", k -> Output.time(k.getLastUsedTime()))));
        return 0;
    }

    private int keysCreate() {
        String name = args.required(2, "the key's NAME");
        Role role = enumOption("--role", "owner|admin|agent|viewer", Role.class, "ROLE_", Role.ROLE_ADMIN);
        args.done(3);
        CreatedApiKey k = create(id -> keys().createApiKey(CreateApiKeyRequest.newBuilder().setName(name).setRole(role)
                .setRequestId(id).build()));
        output.one(k, c -> "key " + c.getApiKey().getId() + " (" + Output.name(c.getApiKey().getRole()) + ") created.\n"
                + "secret (shown once, store it now): " + c.getSecret());
        return 0;
    }

    private int keysRevoke() {
        String id = args.required(2, "the key's ID");
        args.done(3);
        ApiKey k = keys().revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(id).build());
        output.one(k, r -> "key " + r.getId() + " revoked at " + Output.time(r.getRevokeTime()));
        return 0;
    }

    // ------------------------------------------------------------------ agents

    private AgentServiceGrpc.AgentServiceBlockingStub agents() {
        return AgentServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static final List<Output.Column<Agent>> AGENT_COLUMNS = List.of(col("ID", Agent::getId),
            col("NAME", Agent::getName), col("LANGUAGE", Agent::getLanguage),
            col("VARIABLES", a -> String.join(", ", a.getVariablesList().stream().map(CaptureVariable::getName).toList())),
            col("UPDATED", a -> Output.time(a.getUpdateTime())));

    private int agentsList() {
        args.done(2);
        output.table(pages(token -> {
            var r = agents().listAgents(ListAgentsRequest.newBuilder().setPageSize(100).setPageToken(token).build());
            return new Page<>(r.getAgentsList(), r.getNextPageToken());
        }), AGENT_COLUMNS);
        return 0;
    }

    private int agentsGet() {
        String id = args.required(2, "the agent's ID");
        args.done(3);
        output.one(agents().getAgent(GetAgentRequest.newBuilder().setId(id).build()), Cli::describeAgent);
        return 0;
    }

    private int agentsCreate() {
        Agent.Builder a = Agent.newBuilder().setName(args.option("--name", "")).setLanguage(args.option("--language", "en-US"))
                .setSystemPrompt(args.option("--prompt", "")).setFirstMessage(args.option("--first-message", ""));
        for (String spec : args.all("--variable")) {
            a.addVariables(variable(spec));
        }
        args.done(2);
        output.one(create(id -> agents().createAgent(CreateAgentRequest.newBuilder().setAgent(a).setRequestId(id).build())),
                created -> "agent " + created.getId() + " created\n" + describeAgent(created));
        return 0;
    }

    /** {@code name:type} or {@code name:enum:a|b|c}. */
    static CaptureVariable variable(String spec) {
        String[] parts = spec.split(":", 3);
        if (parts.length < 2) {
            throw new Args.UsageError("--variable needs NAME:TYPE (e.g. renewal_date:date or intent:enum:yes|no), got '"
                    + spec + "'");
        }
        CaptureVariable.Type type;
        try {
            type = CaptureVariable.Type.valueOf("TYPE_" + parts[1].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageError("--variable " + spec + ": type must be string, number, boolean, date or enum");
        }
        CaptureVariable.Builder v = CaptureVariable.newBuilder().setName(parts[0]).setType(type);
        if (parts.length == 3) {
            v.addAllEnumValues(List.of(parts[2].split("\\|")));
        }
        return v.build();
    }

    private static String describeAgent(Agent a) {
        StringBuilder b = new StringBuilder().append(a.getName()).append(" (").append(a.getId()).append(", ")
                .append(a.getLanguage()).append(")");
        if (!a.getSystemPrompt().isBlank()) {
            b.append("\n  prompt: ").append(a.getSystemPrompt());
        }
        for (CaptureVariable v : a.getVariablesList()) {
            b.append("\n  variable ").append(v.getName()).append(": ").append(Output.name(v.getType()))
                    .append(v.getEnumValuesCount() > 0 ? " " + v.getEnumValuesList() : "");
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ lists and contacts

    private ContactServiceGrpc.ContactServiceBlockingStub contacts() {
        return ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private int listsList() {
        args.done(2);
        output.table(pages(token -> {
            var r = contacts().listContactLists(ListContactListsRequest.newBuilder().setPageSize(100).setPageToken(token).build());
            return new Page<>(r.getContactListsList(), r.getNextPageToken());
        }), List.of(col("ID", ContactList::getId), col("NAME", ContactList::getName),
                col("CREATED", l -> Output.time(l.getCreateTime()))));
        return 0;
    }

    private int listsCreate() {
        String name = args.required(2, "the list's NAME");
        args.done(3);
        output.one(create(id -> contacts().createContactList(CreateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setName(name)).setRequestId(id).build())),
                l -> "list " + l.getId() + " created");
        return 0;
    }

    private int contactsList() {
        String list = args.option("--list", "");
        args.done(2);
        output.table(pages(token -> {
            var r = contacts().listContacts(ListContactsRequest.newBuilder().setPageSize(500).setPageToken(token)
                    .setListId(list).build());
            return new Page<>(r.getContactsList(), r.getNextPageToken());
        }), List.of(col("ID", Contact::getId), col("PHONE", Contact::getPhoneNumber),
                col("NAME", c -> (c.getFirstName() + " " + c.getLastName()).strip()), col("TIME ZONE", Contact::getTimeZone)));
        return 0;
    }

    private int contactsImport() throws IOException {
        Path file = Path.of(args.required(2, "the CSV FILE"));
        ImportOptions options = ImportOptions.newBuilder().setListId(args.option("--list", ""))
                .setDefaultRegion(args.option("--region", "")).build();
        args.done(3);
        if (!Files.isRegularFile(file)) {
            throw new Args.UsageError("no such file: " + file);
        }
        SingleResponse<ImportContactsResponse> result = new SingleResponse<>();
        StreamObserver<ImportContactsRequest> up = ContactServiceGrpc.newStub(channel).withCallCredentials(credentials)
                .withDeadlineAfter(10, TimeUnit.MINUTES).importContacts(result);
        up.onNext(ImportContactsRequest.newBuilder().setOptions(options).build());
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                up.onNext(ImportContactsRequest.newBuilder().setChunk(ByteString.copyFrom(buf, 0, n)).build());
            }
        } catch (IOException e) {
            up.onError(Status.CANCELLED.withDescription("the client could not read " + file).asRuntimeException());
            throw e;
        }
        up.onCompleted();
        ImportContactsResponse r = await(result);
        output.one(r, s -> {
            StringBuilder b = new StringBuilder().append(s.getRowsRead()).append(" rows: ").append(s.getCreated())
                    .append(" created, ").append(s.getUpdated()).append(" updated, ").append(s.getUnchanged())
                    .append(" unchanged, ").append(s.getFailed()).append(" refused");
            for (ImportRowError e : s.getErrorsList()) {
                b.append("\n  line ").append(e.getLine()).append(": ").append(e.getField()).append(": ").append(e.getReason());
            }
            if (s.getFailed() > s.getErrorsCount()) {
                b.append("\n  (").append(s.getFailed() - s.getErrorsCount()).append(" more not listed)");
            }
            return b.toString();
        });
        return r.getFailed() > 0 ? 1 : 0; // a script must notice rows that were not taken
    }

    // ------------------------------------------------------------------ campaigns

    private CampaignServiceGrpc.CampaignServiceBlockingStub campaigns() {
        return CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static final List<Output.Column<Campaign>> CAMPAIGN_COLUMNS = List.of(col("ID", Campaign::getId),
            col("NAME", Campaign::getName), col("STATE", c -> Output.name(c.getState())), col("AGENT", Campaign::getAgentId),
            col("LIST", Campaign::getContactListId), col("CALLER ID", Campaign::getCallerId));

    private int campaignsList() {
        args.done(2);
        output.table(pages(token -> {
            var r = campaigns().listCampaigns(ListCampaignsRequest.newBuilder().setPageSize(100).setPageToken(token).build());
            return new Page<>(r.getCampaignsList(), r.getNextPageToken());
        }), CAMPAIGN_COLUMNS);
        return 0;
    }

    private int campaignsGet() {
        String id = args.required(2, "the campaign's ID");
        args.done(3);
        output.one(campaigns().getCampaign(GetCampaignRequest.newBuilder().setId(id).build()), Cli::describeCampaign);
        return 0;
    }

    private int campaignsCreate() {
        Campaign.Builder c = Campaign.newBuilder().setName(args.option("--name", "")).setAgentId(args.option("--agent", ""))
                .setContactListId(args.option("--list", "")).setCallerId(args.option("--caller-id", ""));
        args.option("--concurrency").ifPresent(v -> c.setMaxConcurrency(args.intOption("--concurrency", 1)));
        args.option("--max-attempts").ifPresent(v -> c.setRetryPolicy(c.getRetryPolicy().toBuilder()
                .setMaxAttempts(args.intOption("--max-attempts", 1))));
        args.option("--window").ifPresent(w -> {
            String[] hours = w.split("-", 2);
            if (hours.length != 2) {
                throw new Args.UsageError("--window needs START-END in the callee's local time, e.g. 09:00-17:00");
            }
            c.setCallingWindow(CallingWindow.newBuilder().setStartLocalTime(hours[0]).setEndLocalTime(hours[1]));
        });
        args.done(2);
        output.one(create(id -> campaigns().createCampaign(CreateCampaignRequest.newBuilder().setCampaign(c)
                        .setRequestId(id).build())),
                created -> "campaign " + created.getId() + " created (" + Output.name(created.getState()) + ")");
        return 0;
    }

    private int campaignsTransition(String verb) {
        String id = args.required(2, "the campaign's ID");
        args.done(3);
        CampaignTransitionRequest req = CampaignTransitionRequest.newBuilder().setId(id).build();
        Campaign c = switch (verb) {
            case "start" -> campaigns().startCampaign(req);
            case "pause" -> campaigns().pauseCampaign(req);
            case "resume" -> campaigns().resumeCampaign(req);
            default -> campaigns().cancelCampaign(req);
        };
        output.one(c, r -> "campaign " + r.getId() + " is " + Output.name(r.getState()));
        return 0;
    }

    private int campaignsStats() {
        String id = args.required(2, "the campaign's ID");
        args.done(3);
        output.one(campaigns().getCampaignStats(GetCampaignStatsRequest.newBuilder().setId(id).build()), Cli::describeStats);
        return 0;
    }

    private static String describeCampaign(Campaign c) {
        return c.getName() + " (" + c.getId() + "): " + Output.name(c.getState()) + "\n  agent " + c.getAgentId()
                + ", list " + c.getContactListId() + ", caller id " + c.getCallerId() + ", " + c.getMaxConcurrency()
                + " call(s) at once, window " + c.getCallingWindow().getStartLocalTime() + "–"
                + c.getCallingWindow().getEndLocalTime();
    }

    private static String describeStats(CampaignStats s) {
        return Output.toJson(s).replace("\n", "\n  ").replaceFirst("^\\{", "stats {");
    }

    // ------------------------------------------------------------------ calls

    private CallServiceGrpc.CallServiceBlockingStub calls() {
        return CallServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private int callsList() {
        ListCallsRequest.Builder q = ListCallsRequest.newBuilder().setCampaignId(args.option("--campaign", ""))
                .setAgentId(args.option("--agent", ""))
                .setState(enumOption("--state", "active|ended|failed", Call.State.class, "STATE_", Call.State.STATE_UNSPECIFIED));
        int limit = args.intOption("--limit", 100);
        args.done(2);
        List<Call> found = new ArrayList<>();
        String token = "";
        do {
            var r = calls().listCalls(q.setPageSize(Math.min(100, limit - found.size())).setPageToken(token).build());
            found.addAll(r.getCallsList());
            token = r.getNextPageToken();
        } while (!token.isEmpty() && found.size() < limit);
        output.table(found, List.of(col("ID", Call::getId), col("STATE", c -> Output.name(c.getState())),
                col("DIRECTION", c -> Output.name(c.getDirection())), col("TO", Call::getToNumber),
                col("STARTED", c -> Output.time(c.getStartTime())),
                col("AUDIO", c -> c.getAudioDuration().getSeconds() + " s"), col("END", Call::getEndReason)));
        return 0;
    }

    private int callsGet(boolean transcriptOnly) {
        String id = args.required(2, "the call's ID");
        args.done(3);
        Call c = calls().getCall(GetCallRequest.newBuilder().setId(id).build());
        if (transcriptOnly && output.json()) {
            output.array(c.getTranscriptList());
            return 0;
        }
        output.one(c, call -> transcriptOnly ? transcript(call) : describeCall(call));
        return 0;
    }

    private int callsRecording() {
        String id = args.required(2, "the call's ID");
        args.done(3);
        output.one(calls().getRecordingUrl(GetRecordingUrlRequest.newBuilder().setId(id).build()),
                u -> u.getUrl() + "\n(valid until " + Output.time(u.getExpireTime()) + " UTC)");
        return 0;
    }

    private static String transcript(Call c) {
        if (c.getTranscriptCount() == 0) {
            return "(no transcript yet: state " + Output.name(c.getState()) + ")";
        }
        List<String> lines = new ArrayList<>();
        for (TranscriptEvent e : c.getTranscriptList()) {
            lines.add("[" + e.getSpeaker() + " " + Output.offset(e.getStartOffset()) + "] " + e.getText());
        }
        return String.join("\n", lines);
    }

    private static String describeCall(Call c) {
        StringBuilder b = new StringBuilder().append("call ").append(c.getId()).append(": ").append(Output.name(c.getState()))
                .append(c.getEndReason().isBlank() ? "" : " (" + c.getEndReason() + ")").append("\n  ")
                .append(Output.name(c.getDirection())).append(" ").append(c.getFromNumber()).append(" → ")
                .append(c.getToNumber()).append(", agent ").append(c.getAgentId()).append(", started ")
                .append(Output.time(c.getStartTime())).append(" UTC, ").append(c.getAudioDuration().getSeconds())
                .append(" s of audio");
        c.getStagesList().forEach(s -> b.append("\n  stage ").append(s.getName()).append(": ").append(s.getState())
                .append(s.getDetail().isBlank() ? "" : " — " + s.getDetail()));
        if (c.hasSummary()) {
            b.append("\nsummary (").append(c.getSummary().getProvider()).append("): ").append(c.getSummary().getText());
            if (!c.getSummary().getDisposition().isBlank()) {
                b.append("\ndisposition: ").append(c.getSummary().getDisposition());
            }
            c.getSummary().getVariablesMap().forEach((k, v) -> b.append("\n  ").append(k).append(" = ").append(v));
        }
        b.append("\ntranscript:\n").append(transcript(c).indent(2).stripTrailing());
        return b.toString();
    }

    // ------------------------------------------------------------------ helpers

    /** How often a create is tried when its answer is lost. */
    static final int CREATE_ATTEMPTS = 3;

    /**
     * A create with a fresh {@code request_id}, tried again with the same id while its answer is lost to a
     * server or database briefly away (UNAVAILABLE) or late (DEADLINE_EXCEEDED): a retry gets what an earlier
     * attempt made, never a second one.
     */
    private <T> T create(Function<String, T> call) {
        String requestId = UUID.randomUUID().toString();
        for (int attempt = 1; ; attempt++) {
            try {
                return call.apply(requestId);
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (attempt >= CREATE_ATTEMPTS
                        || (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED)) {
                    throw e;
                }
                err.println("switchboard: " + code + ", trying again (request_id " + requestId + ")");
                try {
                    Thread.sleep(1000L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    record Page<T>(List<T> items, String next) {
    }

    /** Every page of a list, from the first. */
    private static <T> List<T> pages(Function<String, Page<T>> fetch) {
        List<T> all = new ArrayList<>();
        String token = "";
        do {
            Page<T> p = fetch.apply(token);
            all.addAll(p.items());
            token = p.next();
        } while (!token.isEmpty());
        return all;
    }

    private <E extends Enum<E>> E enumOption(String option, String allowed, Class<E> type, String prefix, E otherwise) {
        Optional<String> v = args.option(option);
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            return Enum.valueOf(type, prefix + v.get().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageError(option + " must be one of " + allowed + ", got '" + v.get() + "'");
        }
    }

    private static <T> T await(SingleResponse<T> result) {
        try {
            return result.future().get(10, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw Status.UNKNOWN.withCause(e.getCause()).withDescription(String.valueOf(e.getCause())).asRuntimeException();
        } catch (java.util.concurrent.TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("no answer within 10 minutes").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }
}
