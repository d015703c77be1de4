package io.switchboard.compliance;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.switchboard.contacts.PhoneNumbers;

/**
 * Whom an outbound call reaches, read once for the guards (do-not-call, calling window): the number dialled
 * (as given, and as E.164 when it parses as one) and, for a call to a contact, the contact's number and time
 * zone. The dialer and the calls API both build one, so both guard the same way.
 *
 * @param contactZone the contact's IANA zone, blank if unknown
 */
public record Callee(Optional<UUID> contactId, String dialled, Optional<String> dialledE164,
                     Optional<String> contactPhone, String contactZone) {

    /** A contact dialled at its own (E.164) number. */
    public static Callee contact(UUID contactId, String phoneE164, String timeZone) {
        return new Callee(Optional.of(contactId), phoneE164, Optional.of(phoneE164), Optional.of(phoneE164),
                timeZone == null ? "" : timeZone);
    }

    /**
     * Numbers to check, each with the name a refusal gives it: the number dialled first (named
     * {@code dialledName}), then the contact's.
     */
    public Map<String, String> numbers(String dialledName) {
        Map<String, String> n = new LinkedHashMap<>();
        dialledE164.ifPresent(p -> n.put(p, dialledName));
        if (!dialled.isEmpty()) {
            n.putIfAbsent(dialled, dialledName);
        }
        contactPhone.ifPresent(p -> n.putIfAbsent(p, "the contact's number"));
        return n;
    }

    /**
     * Where the callee may be: the contact's zone, else every zone the contact's number may ring in, else every
     * zone of the number dialled, else {@code fallback}; empty when none is known. A contact zone the JDK does
     * not know (stored zones are validated, but zone ids get retired) counts as unknown rather than failing.
     */
    public List<ZoneId> zones(Optional<ZoneId> fallback) {
        if (!contactZone.isBlank()) {
            try {
                return List.of(ZoneId.of(contactZone));
            } catch (DateTimeException e) {
                // fall through to the numbers' zones
            }
        }
        List<String> ids = contactPhone.map(PhoneNumbers::zonesOf).filter(l -> !l.isEmpty())
                .or(() -> dialledE164.map(PhoneNumbers::zonesOf)).orElse(List.of());
        Set<ZoneId> zones = new LinkedHashSet<>();
        for (String z : ids) {
            zones.add(ZoneId.of(z));
        }
        if (zones.isEmpty()) {
            fallback.ifPresent(zones::add);
        }
        return new ArrayList<>(zones);
    }
}
