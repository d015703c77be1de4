package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.app.cli.Cli;
import io.switchboard.transcription.SpeechAudio;
import io.switchboard.v1.CallServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scripting client against the real dev stack: each command as a script would run it (arguments, exit
 * status, stdout, stderr), tables for people and JSON in the API's field names, refusals naming the field,
 * and nothing of another organisation's in reach.
 */
class CliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;
    private static String acme;
    private static String globex;

    record Run(int status, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
        acme = TestStacks.organization(channel, stack.operatorKey(), "Acme", "growth");
        globex = TestStacks.organization(channel, stack.operatorKey(), "Globex", "growth");
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    private static Run run(String key, String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--target", "127.0.0.1:" + stack.grpcPort()));
        if (key != null) {
            argv.addAll(List.of("--key", key));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Cli.run(argv, Map.of(), home, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aScriptSetsUpAnAgentAListAndACampaignAndReadsThemBackAsJson() throws Exception {
        Run agent = run(acme, "agents", "create", "--name", "Renewals", "--prompt", "Remind customers of renewals.",
                "--variable", "renewal_intent:enum:yes|no|maybe", "--variable", "callback_date:date", "--json");
        assertEquals(0, agent.status(), agent.err());
        String agentId = agent.json().get("id").asText();
        assertEquals("TYPE_ENUM", agent.json().at("/variables/0/type").asText(), "the API's own JSON names");
        assertEquals(List.of("yes", "no", "maybe"), JSON.convertValue(agent.json().at("/variables/0/enum_values"), List.class));

        Run table = run(acme, "agents", "list");
        assertEquals(0, table.status(), table.err());
        assertTrue(table.out().lines().findFirst().orElseThrow().matches("ID\\s+NAME\\s+LANGUAGE\\s+VARIABLES\\s+UPDATED"),
                table.out());
        assertTrue(table.out().contains("renewal_intent, callback_date"), table.out());

        String listId = run(acme, "lists", "create", "Q3 renewals", "--json").json().get("id").asText();
        Path csv = Files.writeString(home.resolve("contacts.csv"), """
                phone_number,first_name,last_name
                (415) 555-0132,Ada,Lovelace
                +1 212 555 0199,Grace,Hopper
                not a number,Bad,Row
                """);
        Run imported = run(acme, "contacts", "import", csv.toString(), "--list", listId, "--region", "US");
        assertEquals(1, imported.status(), "a refused row makes the exit status 1 so scripts notice: " + imported.out());
        assertTrue(imported.out().startsWith("3 rows: 2 created, 0 updated, 0 unchanged, 1 refused"), imported.out());
        assertTrue(imported.out().contains("line 4: phone_number:"), imported.out());
        Run contacts = run(acme, "contacts", "list", "--list", listId, "--json");
        assertEquals(2, contacts.json().size());
        assertTrue(contacts.out().contains("+14155550132"), contacts.out());

        Run campaign = run(acme, "campaigns", "create", "--name", "Q3", "--agent", agentId, "--list", listId,
                "--caller-id", "+14155550100", "--concurrency", "2", "--window", "09:00-17:00", "--json");
        assertEquals(0, campaign.status(), campaign.err());
        String campaignId = campaign.json().get("id").asText();
        assertEquals("09:00", campaign.json().at("/calling_window/start_local_time").asText());
        Run paused = run(acme, "campaigns", "pause", campaignId);
        assertEquals(1, paused.status(), "a draft cannot be paused");
        assertTrue(paused.err().startsWith("error: FAILED_PRECONDITION"), paused.err());
        Run stats = run(acme, "campaigns", "stats", campaignId, "--json");
        assertEquals(0, stats.status(), stats.err());
        assertEquals(campaignId, stats.json().get("campaign_id").asText());

        Run key = run(acme, "keys", "create", "ci-bot", "--role", "viewer");
        assertEquals(0, key.status(), key.err());
        assertTrue(key.out().contains("secret (shown once, store it now): sb_"), key.out());
        String secret = key.out().substring(key.out().indexOf("sb_")).strip();
        Run viewer = run(secret, "agents", "list");
        assertEquals(0, viewer.status(), "the new key works: " + viewer.err());
        Run keys = run(acme, "keys", "list");
        assertTrue(keys.out().contains("ci-bot") && !keys.out().contains(secret), "secrets are never listed");
    }

    @Test
    void everyCreateSendsItsOwnRequestIdSoItsRetriesCannotDuplicate() throws Exception {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            made.add(run(acme, "lists", "create", "Same name", "--json").json().get("id").asText());
        }
        made.add(run(acme, "agents", "create", "--name", "Retried", "--json").json().get("id").asText());
        List<String> requestIds = new ArrayList<>();
        try (java.sql.Connection db = java.sql.DriverManager.getConnection(stack.embedded().jdbcUrl(), "postgres",
                "postgres");
             java.sql.PreparedStatement q = db.prepareStatement(
                     "SELECT request_id FROM request_ids WHERE resource_id = ?::uuid")) {
            for (String id : made) {
                q.setString(1, id);
                try (java.sql.ResultSet r = q.executeQuery()) {
                    assertTrue(r.next(), "resource " + id + " was created with a request_id");
                    requestIds.add(r.getString(1));
                }
            }
        }
        assertEquals(3, requestIds.stream().distinct().count(), "a fresh id per create: " + requestIds);
    }

    @Test
    void aProcessedCallsTranscriptAndSummaryArePrintedWithSpeakersAndOffsets() throws Exception {
        String agentId = run(acme, "agents", "create", "--name", "Reception", "--json").json().get("id").asText();
        var calls = CallServiceGrpc.newStub(channel).withCallCredentials(TestStacks.bearer(acme));
        String callId = TestCalls.upload(calls, TestCalls.wav16k(agentId),
                TestCalls.wav(SpeechAudio.librivox().get(0).samples())).getId();
        TestCalls.awaitPipeline(CallServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(acme)),
                callId, Duration.ofSeconds(90));

        Run transcript = run(acme, "calls", "transcript", callId);
        assertEquals(0, transcript.status(), transcript.err());
        assertTrue(transcript.out().matches("(?s)\\[unknown 00:0\\d\\.\\d] \\w.*"), transcript.out());
        Run call = run(acme, "calls", "get", callId);
        assertTrue(call.out().contains("stage transcribe: succeeded") && call.out().contains("summary (in-process): "),
                call.out());
        Run json = run(acme, "calls", "transcript", callId, "--json");
        assertTrue(json.json().isArray() && json.json().get(0).has("start_offset"), json.out());
        Run list = run(acme, "calls", "list", "--state", "ended");
        assertTrue(list.out().contains(callId), list.out());
        Run url = run(acme, "calls", "recording", callId);
        assertTrue(url.out().startsWith("http://127.0.0.1:"), url.out());

        Run foreign = run(globex, "calls", "get", callId);
        assertEquals(1, foreign.status());
        assertTrue(foreign.err().startsWith("error: NOT_FOUND"), foreign.err());
        assertFalse(foreign.out().contains(callId));
        Run foreignList = run(globex, "calls", "list", "--json");
        assertEquals(0, foreignList.json().size(), "another organisation lists none of Acme's calls");
    }

    @Test
    void badInputIsRefusedNamingTheFieldOrTheUsage() throws Exception {
        Run noName = run(acme, "agents", "create", "--language", "en-US");
        assertEquals(1, noName.status());
        assertTrue(noName.err().startsWith("error: INVALID_ARGUMENT"), noName.err());
        assertTrue(noName.err().contains("agent.name"), "the field is named: " + noName.err());

        Run badType = run(acme, "agents", "create", "--name", "X", "--variable", "when:time");
        assertEquals(2, badType.status());
        assertTrue(badType.err().contains("type must be string, number, boolean, date or enum"), badType.err());

        Run typo = run(acme, "agents", "list", "--lmit", "3");
        assertEquals(2, typo.status());
        assertTrue(typo.err().contains("unknown option --lmit"), typo.err());

        Run unknown = run(acme, "agents", "explode");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown command 'agents explode'"), unknown.err());

        Run badState = run(acme, "calls", "list", "--state", "ringing");
        assertEquals(2, badState.status());
        assertTrue(badState.err().contains("--state must be one of active|ended|failed"), badState.err());

        Run missing = run(acme, "contacts", "import", home.resolve("nope.csv").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("no such file"), missing.err());

        Run badKey = run("sb_not_a_key", "agents", "list");
        assertEquals(1, badKey.status());
        assertTrue(badKey.err().startsWith("error: UNAUTHENTICATED"), badKey.err());

        Run help = run(null, "agents", "--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("agents create --name NAME"), help.out());
    }
}
