package io.switchboard.messaging;

import java.util.Locale;

/** Where a text travels: SMS to an E.164 number, or WhatsApp to {@code whatsapp:+E164}. */
public enum Channel {
    SMS, WHATSAPP;

    public static final String WHATSAPP_PREFIX = "whatsapp:";

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Channel of(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT));
    }

    /** The channel an address is on. */
    public static Channel ofAddress(String address) {
        return address.startsWith(WHATSAPP_PREFIX) ? WHATSAPP : SMS;
    }

    /** The address of E.164 {@code phone} on this channel. */
    public String address(String phone) {
        return this == WHATSAPP ? WHATSAPP_PREFIX + phone : phone;
    }

    /** The E.164 number of an address on either channel. */
    public static String phoneOf(String address) {
        return address.startsWith(WHATSAPP_PREFIX) ? address.substring(WHATSAPP_PREFIX.length()) : address;
    }
}
