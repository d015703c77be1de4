package io.switchboard.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.switchboard.common.Database;
import io.switchboard.migrations.Migrations;
import io.switchboard.testing.TestDatabase;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

/**
 * V18 replaced the " —" an agent sentence's text ended with when the caller cut it short by the
 * {@code interrupted} flag. A database written before it (at V17) is migrated here to the current schema, in a
 * database of its own on the test PostgreSQL, and its rows are read as an operator would.
 */
class InterruptedMarkerMigrationTest {

    @Test
    void agentSentencesMarkedCutInTheirTextBeforeV18AreFlaggedAndLoseTheMarkerAndNoOtherRowChanges() {
        TestDatabase shared = TestDatabase.get();
        String name = "v17_" + UUID.randomUUID().toString().replace("-", "");
        shared.database().dsl().execute("create database " + name);
        try (Database old = Database.connect(shared.jdbcUrl().replaceFirst("(//[^/]+/)[^?]*", "$1" + name),
                shared.user(), shared.password(), 2)) {
            Flyway.configure().dataSource(old.dataSource()).locations(Migrations.LOCATION).target("17").load().migrate();
            DSLContext dsl = old.dsl();
            UUID org = UUID.randomUUID();
            UUID agent = UUID.randomUUID();
            UUID call = UUID.randomUUID();
            dsl.execute("insert into organizations (id, name, plan_id, created_at, updated_at) values (?, 'Shop', 'growth', now(), now())", org);
            dsl.execute("insert into agents (id, organization_id, name, language, created_at, updated_at)"
                    + " values (?, ?, 'A', 'en-US', now(), now())", agent, org);
            dsl.execute("insert into agent_versions (agent_id, organization_id, version, name, language, system_prompt,"
                    + " first_message, voice, summary_instructions, variables, created_at)"
                    + " values (?, ?, 1, 'A', 'en-US', '', '', '', '', '[]'::jsonb, now())", agent, org);
            dsl.execute("insert into calls (id, organization_id, agent_id, agent_version, direction, state, audio_encoding,"
                    + " sample_rate, channels, started_at, created_at, updated_at)"
                    + " values (?, ?, ?, 1, 'outbound', 'ended', 'mulaw', 8000, 1, now(), now(), now())", call, org, agent);
            Map<Integer, Row> before = new LinkedHashMap<>();
            before.put(0, new Row(0, "agent", "live", "Hello, this is the clinic —", null));
            before.put(1, new Row(1, "customer", "live", "wait —", null)); // the recogniser's words, never a marker
            before.put(2, new Row(0, "agent", "live", "Goodbye.", null));
            before.put(3, new Row(0, "agent", "recording", "Hello, this is —", null)); // transcribed later, not played
            before.put(4, new Row(0, "agent", "live", "—", null)); // no space before the dash: not the marker
            before.put(5, new Row(0, "agent", "live", "Pay at the desk — or online.", null));
            before.put(6, new Row(0, "agent", "live", "", new byte[] {1, 2, 3})); // sealed: the application strips it
            before.put(7, new Row(0, "agent", "live", " —", null)); // cut before its first word
            for (var e : before.entrySet()) {
                Row r = e.getValue();
                dsl.execute("insert into transcript_segments (call_id, organization_id, channel, seq, speaker, start_ms,"
                        + " end_ms, text, source, created_at, sealed) values (?, ?, ?, ?, ?, 0, 100, ?, ?, now(), ?)",
                        call, org, (short) r.channel(), e.getKey(), r.speaker(), r.text(), r.source(), r.sealed());
            }

            Migrations.migrate(old.dataSource());

            assertEquals(0, Migrations.pending(old.dataSource()), "at the current schema");
            Map<Integer, String> after = new LinkedHashMap<>();
            dsl.fetch("select seq, text, interrupted from transcript_segments where call_id = ? order by seq", call)
                    .forEach(r -> after.put(r.get(0, Integer.class), r.get(1, String.class) + "|" + r.get(2, Boolean.class)));
            Map<Integer, String> expected = new LinkedHashMap<>();
            expected.put(0, "Hello, this is the clinic|true");
            expected.put(1, "wait —|false");
            expected.put(2, "Goodbye.|false");
            expected.put(3, "Hello, this is —|false");
            expected.put(4, "—|false");
            expected.put(5, "Pay at the desk — or online.|false");
            expected.put(6, "|false");
            expected.put(7, "|true");
            assertEquals(expected, after);
            // and the schema keeps the rule the migration follows: only the agent's sentences can be cut
            assertThrows(DataAccessException.class, () -> dsl.execute(
                    "update transcript_segments set interrupted = true where call_id = ? and seq = 1", call));
        } finally {
            shared.database().dsl().execute("drop database if exists " + name + " with (force)");
        }
    }

    private record Row(int channel, String speaker, String source, String text, byte[] sealed) {
    }
}
