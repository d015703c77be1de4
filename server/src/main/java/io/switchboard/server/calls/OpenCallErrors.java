package io.switchboard.server.calls;

import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;
import io.switchboard.common.SwitchboardException;
import io.switchboard.tenancy.Principal;

/**
 * Opens a call for a stream and says what was wrong in the stream's own terms: core names a bad field of the
 * call ({@code agent_id}, {@code direction}); a stream client sent it as {@code open.agent_id}, an enum as
 * {@code DIRECTION_INBOUND}. Only the names change, never which fields are reported or why.
 */
final class OpenCallErrors {

    static final String PREFIX = "open.";

    private OpenCallErrors() {
    }

    static Call open(CallService calls, Principal actor, CallSpec spec, Origin origin) {
        try {
            return calls.open(actor, spec, origin);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** A refusal of the call's fields in the stream's terms; anything else (a stream fault) unchanged. */
    static RuntimeException translate(RuntimeException e) {
        return switch (e) {
            case SwitchboardException.InvalidArgument ia -> translate(ia);
            case SwitchboardException.FailedPrecondition fp -> translate(fp);
            default -> e;
        };
    }

    /** Whether {@code field} is one of the call's own fields (the stream's faults name {@code open}, {@code audio}…). */
    private static boolean callField(String field) {
        return CALL_FIELDS.contains(field) || field.startsWith("format.");
    }

    private static final java.util.Set<String> CALL_FIELDS = java.util.Set.of("agent_id", "campaign_id", "contact_id",
            "direction", "from_number", CallService.DIALLED_NUMBER);

    /** The same violations, on the fields of {@code StreamCallRequest.open}. */
    static SwitchboardException.InvalidArgument translate(SwitchboardException.InvalidArgument e) {
        return new SwitchboardException.InvalidArgument(e.violations().stream()
                .map(v -> !callField(v.field()) ? v : new SwitchboardException.Violation(PREFIX + v.field(), v.field().equals("direction")
                        ? v.reason().replace(Call.Direction.INBOUND.name().toLowerCase(java.util.Locale.ROOT)
                                + " or " + Call.Direction.OUTBOUND.name().toLowerCase(java.util.Locale.ROOT),
                        "DIRECTION_INBOUND or DIRECTION_OUTBOUND") : v.reason()))
                .toList());
    }

    /** A refusal that names the number dialled names it as the stream's field. */
    static SwitchboardException.FailedPrecondition translate(SwitchboardException.FailedPrecondition e) {
        if (e.getMessage() != null && e.getMessage().startsWith(CallService.DIALLED_NUMBER + " ")) {
            return new SwitchboardException.FailedPrecondition(e.type(), PREFIX + e.getMessage());
        }
        return e;
    }
}
