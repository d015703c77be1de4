package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.switchboard.common.Configs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Configuration" table is the operator's contract: every variable it documents reaches its key in a
 * real process that has nothing but that environment (issue 15: the names with {@code __} were silently ignored).
 */
class ReadmeConfigurationTest {

    /** Rows that document no variable: a structured list that only YAML can write. */
    private static final List<String> YAML_ONLY = List.of("plans.catalog", "dev.softphone.callees");

    record Row(String line, List<String> keys, List<String> variables) {
    }

    static List<Row> readmeTable() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("\n## Configuration\n");
        assertTrue(section >= 0, "README has a Configuration section");
        List<Row> rows = new ArrayList<>();
        for (String line : readme.substring(section).split("\n")) {
            if (line.startsWith("## ") && !rows.isEmpty()) {
                break;
            }
            String[] cells = line.split("\\|");
            if (line.startsWith("| `") && cells.length >= 3) {
                rows.add(new Row(line, code(cells[1]), code(cells[2])));
            }
        }
        assertTrue(rows.size() > 30, "the table was found and read: " + rows.size() + " rows");
        return rows;
    }

    private static List<String> code(String cell) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("`([^`]+)`").matcher(cell);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Every documented key with its documented variable. */
    static Map<String, String> documentedVariables() throws IOException {
        Map<String, String> byKey = new LinkedHashMap<>();
        for (Row row : readmeTable()) {
            if (!row.variables().isEmpty()) {
                for (int i = 0; i < row.keys().size(); i++) {
                    byKey.put(row.keys().get(i), row.variables().get(i));
                }
            }
        }
        return byKey;
    }

    @Test
    void everyRowNamesOneVariablePerKeyAsTheRuleDerivesIt() throws IOException {
        for (Row row : readmeTable()) {
            if (row.variables().isEmpty()) {
                assertTrue(row.keys().stream().allMatch(YAML_ONLY::contains), "a row without a variable: " + row.line());
                continue;
            }
            assertEquals(row.keys().size(), row.variables().size(), "one variable per key, none left as …: " + row.line());
            for (int i = 0; i < row.keys().size(); i++) {
                assertEquals(Configs.variable(row.keys().get(i)), row.variables().get(i), row.line());
            }
        }
    }

    @Test
    void everyDocumentedVariableReachesItsKeyInAProcessConfiguredOnlyByItsEnvironment(@TempDir Path logs)
            throws Exception {
        Map<String, String> documented = documentedVariables();
        Map<String, String> environment = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        int n = 0;
        for (var e : documented.entrySet()) {
            String value = "value-" + n++ + (e.getKey().contains("origins") || e.getKey().endsWith("-files")
                    ? ",second-value" : "");
            environment.put(e.getValue(), value);
            expected.put(e.getKey(), value);
        }
        try (var probe = SwitchboardProcess.start(logs, environment, List.of(), ConfigProbe.class.getName(),
                documented.keySet().toArray(String[]::new))) {
            assertEquals(0, probe.exitCode(), probe.output());
            Map<String, String> seen = new LinkedHashMap<>();
            for (String line : probe.stdout().split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    seen.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            for (var e : expected.entrySet()) {
                assertEquals(e.getValue(), seen.get(e.getKey()),
                        e.getKey() + " from " + documented.get(e.getKey()) + "; the process saw:\n" + probe.output());
            }
        }
    }
}
