package io.switchboard.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Structured log lines: one JSON object, the work's ids from the context, personal data masked. */
class JsonLogFormatterTest {

    private final JsonLogFormatter formatter = new JsonLogFormatter();

    @Test
    void aLineCarriesTheContextsIdsAndMasksPersonalData() throws Exception {
        LogRecord r = new LogRecord(Level.WARNING, "calling +14155550123 for ada@example.com failed");
        r.setLoggerName("io.switchboard.test");
        r.setThrown(new IllegalStateException("number +14155550123 refused"));
        String line = LogContext.call(LogContext.of("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", "call_id", "c-1",
                "organization_id", ""), () -> formatter.format(r));
        assertTrue(line.endsWith(System.lineSeparator()));
        assertEquals(1, line.strip().lines().count(), "one line");
        JsonNode n = new ObjectMapper().readTree(line);
        assertEquals("WARNING", n.path("level").asText());
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", n.path("trace_id").asText());
        assertEquals("c-1", n.path("call_id").asText());
        assertFalse(n.has("organization_id"), "blank ids are left out");
        assertFalse(line.contains("+14155550123") || line.contains("ada@example.com"), line);
        assertTrue(n.path("message").asText().contains("[email]"), line);
        assertTrue(n.path("exception").asText().contains("IllegalStateException"), line);
        // the context ends with the work
        assertFalse(new ObjectMapper().readTree(formatter.format(r)).has("call_id"));
    }
}
