package io.switchboard.server.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;

import io.switchboard.calls.CallService;
import io.switchboard.common.SwitchboardException;
import org.junit.jupiter.api.Test;

/** Core's names for a call's bad fields become the stream's, and nothing else changes. */
class OpenCallErrorsTest {

    @Test
    void violationsMoveUnderOpenAndTheDirectionNamesTheProtoEnum() {
        var core = new SwitchboardException.InvalidArgument(List.of(
                new SwitchboardException.Violation("agent_id", "must be a UUID"),
                new SwitchboardException.Violation("direction", "is required: inbound or outbound"),
                new SwitchboardException.Violation("format.sample_rate", "G.711 μ-law is 8000 Hz, got 16000")));
        var stream = OpenCallErrors.translate(core);
        assertEquals(List.of(
                new SwitchboardException.Violation("open.agent_id", "must be a UUID"),
                new SwitchboardException.Violation("open.direction", "is required: DIRECTION_INBOUND or DIRECTION_OUTBOUND"),
                new SwitchboardException.Violation("open.format.sample_rate", "G.711 μ-law is 8000 Hz, got 16000")),
                stream.violations());
    }

    @Test
    void aRefusalNamingTheDialledNumberNamesTheStreamsFieldAndOthersPassUnchanged() {
        var dnc = new SwitchboardException.FailedPrecondition("DO_NOT_CALL",
                CallService.DIALLED_NUMBER + " is on the organisation's do-not-call list; the call was not placed");
        var translated = OpenCallErrors.translate(dnc);
        assertEquals("DO_NOT_CALL", translated.type());
        assertEquals("open.to_number is on the organisation's do-not-call list; the call was not placed",
                translated.getMessage());
        var contact = new SwitchboardException.FailedPrecondition("DO_NOT_CALL",
                "the contact's number is on the organisation's do-not-call list; the call was not placed");
        assertSame(contact, OpenCallErrors.translate(contact));
    }
}
