package io.switchboard.contacts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.switchboard.common.SwitchboardException;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.testing.Fixtures;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * CSV files come from customers' spreadsheets: the contact and do-not-call imports take any text, store the
 * rows that are valid, and account for every other row with an error naming its line and field; never an
 * unexpected exception, never a hang. Against the real database.
 */
class CsvImportFuzzTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(20);
    private static Fixtures f;
    private static Fixtures.Tenant acme;

    @BeforeContainer
    static void setUp() {
        f = Fixtures.fresh();
        acme = f.tenant("Acme", "growth");
    }

    @Property(tries = 150)
    void contactImportsAccountForEveryRow(@ForAll("csv") String body) {
        String file = "external_id,phone_number,first_name,email,tags,time_zone,plan\n" + body;
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try {
                ContactTransfer.ImportResult r = f.plane.contactTransfer().importCsv(acme.owner(),
                        new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)), "", "US");
                assertEquals(r.rowsRead(), r.created() + r.updated() + r.unchanged() + r.failed(), r.toString());
                assertTrue(r.errors().stream().allMatch(e -> e.line() >= 2 && !e.reason().isBlank()), r.errors().toString());
            } catch (SwitchboardException.InvalidArgument refused) {
                assertFalse(refused.violations().isEmpty()); // the whole file refused, naming why
            }
        });
    }

    @Property(tries = 150)
    void doNotCallImportsAccountForEveryRow(@ForAll("csv") String body, @ForAll boolean header) {
        String file = (header ? "phone_number,reason\n" : "") + body;
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try {
                DoNotCall.Imported r = f.plane.doNotCall().importCsv(acme.owner(),
                        new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)), "US", "", "import");
                long badRows = r.errors().stream().map(DoNotCall.RowError::line).distinct().count();
                assertEquals(r.rowsRead(), r.added() + r.alreadyListed() + badRows, r.toString());
                assertTrue(r.errors().stream().allMatch(e -> e.line() >= 1 && !e.reason().isBlank()), r.errors().toString());
            } catch (SwitchboardException.InvalidArgument refused) {
                assertFalse(refused.violations().isEmpty());
            }
        });
    }

    /** Rows built from spreadsheet-ish pieces: numbers in every format, quotes, separators, junk. */
    @Provide
    Arbitrary<String> csv() {
        Arbitrary<String> cell = Arbitraries.oneOf(
                Arbitraries.of("+14155550123", "(415) 555-0124", "415.555.0125", "+442071838750", "555", "", "x",
                        "\"a,b\"", "\"unterminated", "\"\"", "ada@example.com", "not an email", "vip;new", "America/Chicago",
                        "Mars/Olympus", "\t", "é", "=cmd()", "12345678901234567890"),
                Arbitraries.strings().ofMaxLength(12));
        Arbitrary<String> row = cell.list().ofMinSize(0).ofMaxSize(9).map(l -> String.join(",", l));
        return row.list().ofMaxSize(12).map(rows -> String.join(Arbitraries.of("\n", "\r\n").sample(), rows));
    }
}
