package io.switchboard.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

class RedactingFormatterTest {

    @Test
    void phoneNumbersAndEmailsAreMaskedInMessagesAndStackTraces() {
        LogRecord r = new LogRecord(Level.WARNING, "contact {0} <{1}> refused; call 415-555-0123 or (415) 555 0199");
        r.setParameters(new Object[] {"+14155550123", "ada.lovelace@example.com"});
        r.setThrown(new IllegalStateException("duplicate key value (phone_e164)=(+442071838750)"));
        r.setLoggerName("io.switchboard.test");
        String line = new RedactingFormatter().format(r);
        for (String pii : new String[] {"4155550123", "ada.lovelace", "example.com", "415-555-0123", "555 0199",
                "442071838750"}) {
            assertFalse(line.contains(pii), pii + " leaked: " + line);
        }
        assertTrue(line.contains("+*********23"), line);
        assertTrue(line.contains("[email]") && line.contains("[phone]"), line);
        assertTrue(line.contains("IllegalStateException"), "the rest of the line stays useful: " + line);
    }

    @Test
    void idsTimestampsAndNumbersThatAreNotPhonesSurvive() {
        String s = "2026-11-23T10:06:00.123Z call 01a207d7-1841-7e08-8b26-2caa8d4375b3 took 1234567 ms, port 50051, "
                + "connection org.postgresql.jdbc.PgConnection@5f0c1b9e broken";
        assertEquals(s, RedactingFormatter.redact(s));
    }
}
