package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.switchboard.app.cli.Cli;
import org.junit.jupiter.api.Test;

/** The launcher's one command table: what each name runs, what an unknown name or an old name gets. */
class CommandTableTest {

    record Run(int status, String out, String err) {
    }

    private static Run main(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(List.of(argv), Main.commands(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownCommandExitsTwoNamingItAndEveryCommand() {
        Run r = main("dail");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("switchboard: unknown command 'dail'. Commands: dev, server, worker, migrate, "
                + "demo-call, demo-campaign, keys, agents, lists, contacts, campaigns, calls, help"), r.err());
        assertFalse(r.err().contains(" call,"), "old names are not taught: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void theOldDemoNamesStillRunTheirCommandsAfterAOneLineNote() {
        Run call = main("call", "no-such-file.wav");
        assertEquals(2, call.status());
        assertEquals(List.of("switchboard: 'call' is now 'demo-call'; the old name will go in a later release",
                "switchboard: demo-call needs a WAV file: ./switchboard demo-call FILE.wav (no file at no-such-file.wav)"),
                call.err().lines().toList());

        Run campaign = main("campaign", "--concurrency", "many");
        assertEquals(2, campaign.status());
        assertEquals(List.of("switchboard: 'campaign' is now 'demo-campaign'; the old name will go in a later release",
                "switchboard: --concurrency needs a number of calls at once, e.g. --concurrency 2"),
                campaign.err().lines().toList());
    }

    @Test
    void theNewDemoNamesRunWithoutANote() {
        Run call = main("demo-call");
        assertEquals(2, call.status());
        assertEquals("switchboard: demo-call needs a WAV file: ./switchboard demo-call FILE.wav\n",
                call.err());
    }

    @Test
    void noCommandOrHelpPrintsTheUsageNamingTheDemoCommands() {
        for (String[] argv : new String[][] {{}, {"help"}, {"--help"}, {"-h"}}) {
            Run r = main(argv);
            assertEquals(0, r.status());
            assertTrue(r.out().contains("demo-call FILE.wav") && r.out().contains("demo-campaign [NUMBER...]"), r.out());
        }
    }

    @Test
    void aRoleRefusesArgumentsOtherThanConfig() {
        Run r = main("migrate", "--bogus");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("switchboard: unknown argument '--bogus'"), r.err());
    }

    @Test
    void everyResourceOfTheScriptingClientIsACommandThatReachesIt() {
        assertTrue(Main.commands().keySet().containsAll(Cli.RESOURCES), Main.commands().keySet().toString());
        Run r = main("calls");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("usage: switchboard <resource> <verb>"), r.err());
    }

    @Test
    void anUnknownVerbIsNamedWithTheVerbsItsResourceTakes() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Cli.run(List.of("agents", "explode"), Map.of("SWITCHBOARD_API_KEY", "sb_unused"), Path.of(""),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith(
                "switchboard: unknown command 'agents explode'; agents takes: list, get, create"), err.toString());
    }
}
