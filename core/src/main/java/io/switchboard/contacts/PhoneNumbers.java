package io.switchboard.contacts;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberToTimeZonesMapper;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import io.switchboard.common.Violations;

/**
 * Phone numbers in, E.164 out, through libphonenumber: national formats are read with a default region,
 * numbers that cannot exist in their country's plan are refused, and a time zone is derived when the
 * number maps to exactly one.
 */
public final class PhoneNumbers {

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    private static final PhoneNumberToTimeZonesMapper ZONES = PhoneNumberToTimeZonesMapper.getInstance();

    private PhoneNumbers() {
    }

    /** The number in E.164, or empty after adding a violation on {@code field}. */
    public static Optional<String> normalize(String field, String input, String defaultRegion, Violations v) {
        if (input == null || input.isBlank()) {
            v.add(field, "is required");
            return Optional.empty();
        }
        String region = defaultRegion == null || defaultRegion.isBlank() ? "ZZ" : defaultRegion.strip().toUpperCase(Locale.ROOT);
        try {
            Phonenumber.PhoneNumber n = UTIL.parse(input, region);
            if (!UTIL.isValidNumber(n)) {
                v.add(field, "'" + abbreviate(input) + "' is not a valid number in its country's numbering plan");
                return Optional.empty();
            }
            return Optional.of(UTIL.format(n, PhoneNumberUtil.PhoneNumberFormat.E164));
        } catch (NumberParseException e) {
            String hint = e.getErrorType() == NumberParseException.ErrorType.INVALID_COUNTRY_CODE
                    ? "; give it in +<country code> form or set default_region (e.g. US)" : "";
            v.add(field, "'" + abbreviate(input) + "' is not a phone number: " + e.getMessage() + hint);
            return Optional.empty();
        }
    }

    /**
     * A number that must already be written in E.164 (a caller id shown to callees): the text itself, stripped,
     * or empty after adding a violation on {@code field}. Unlike {@link #normalize} no other format is read.
     */
    public static Optional<String> strictE164(String field, String input, Violations v) {
        String c = input == null ? "" : input.strip();
        try {
            Phonenumber.PhoneNumber n = UTIL.parse(c, "ZZ");
            if (!UTIL.format(n, PhoneNumberUtil.PhoneNumberFormat.E164).equals(c)) {
                v.add(field, "must be an E.164 number like +14155550100, got '" + abbreviate(c) + "'");
            } else if (!UTIL.isValidNumber(n)) {
                v.add(field, c + " is not a valid phone number in its country's numbering plan");
            } else {
                return Optional.of(c);
            }
        } catch (NumberParseException e) {
            v.add(field, "must be an E.164 number like +14155550100, got '" + abbreviate(c) + "'");
        }
        return Optional.empty();
    }

    /** Whether {@code region} is an ISO 3166 region libphonenumber knows (empty is allowed: no default). */
    public static boolean isKnownRegion(String region) {
        return region == null || region.isBlank() || UTIL.getSupportedRegions().contains(region.strip().toUpperCase(Locale.ROOT));
    }

    /** The IANA zone of an E.164 number, when its prefix maps to exactly one. */
    public static Optional<String> zoneOf(String e164) {
        try {
            List<String> zones = ZONES.getTimeZonesForNumber(UTIL.parse(e164, "ZZ"));
            if (zones.size() == 1 && !zones.getFirst().equals(PhoneNumberToTimeZonesMapper.getUnknownTimeZone())) {
                return Optional.of(zones.getFirst());
            }
            return Optional.empty();
        } catch (NumberParseException e) {
            return Optional.empty();
        }
    }

    /** Every zone the number may ring in (one for most numbers); empty if it does not parse or is unknown. */
    public static List<String> zonesOf(String e164) {
        try {
            return ZONES.getTimeZonesForNumber(UTIL.parse(e164, "ZZ")).stream()
                    .filter(z -> !z.equals(PhoneNumberToTimeZonesMapper.getUnknownTimeZone())).toList();
        } catch (NumberParseException e) {
            return List.of();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
