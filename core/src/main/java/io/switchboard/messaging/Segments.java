package io.switchboard.messaging;

import java.util.Optional;

/**
 * How carriers split and bill a text: GSM-7 (the GSM 03.38 basic set, with the extension characters
 * {@code € [ ] { } \ ^ ~ |} and form feed taking two septets each) fits 160 septets in one part, 153 per part
 * once split (the 6-byte header takes the rest); a single character outside GSM-7 makes the whole text UCS-2,
 * 70 UTF-16 code units in one part, 67 per part (a character outside the BMP, such as most emoji, takes two).
 * A text may have at most {@link #MAX_CHARACTERS} characters (Twilio's limit).
 */
public record Segments(Encoding encoding, int units, int count) {

    public enum Encoding {
        GSM7, UCS2;

        public String key() {
            return this == GSM7 ? "gsm7" : "ucs2";
        }

        public static Encoding of(String key) {
            return "gsm7".equals(key) ? GSM7 : UCS2;
        }
    }

    public static final int MAX_CHARACTERS = 1600;

    private static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String EXTENSION = "\f^{}\\[~]|€";

    /** The parts {@code text} is sent and billed as; an empty text is one part. */
    public static Segments of(String text) {
        int septets = 0;
        boolean gsm = true;
        for (int i = 0; i < text.length() && gsm; i++) {
            char c = text.charAt(i);
            if (BASIC.indexOf(c) >= 0 && c != '\u001B') {
                septets++;
            } else if (EXTENSION.indexOf(c) >= 0) {
                septets += 2;
            } else {
                gsm = false;
            }
        }
        if (gsm) {
            return new Segments(Encoding.GSM7, septets, septets <= 160 ? 1 : ceil(septets, 153));
        }
        int units = text.length();
        return new Segments(Encoding.UCS2, units, units <= 70 ? 1 : ceil(units, 67));
    }

    /** Why {@code text} cannot be sent, if it cannot: empty, or longer than 1,600 characters. */
    public static Optional<String> refusal(String text) {
        if (text.isEmpty()) {
            return Optional.of("is empty");
        }
        int chars = text.codePointCount(0, text.length());
        if (chars > MAX_CHARACTERS) {
            return Optional.of("has " + chars + " characters; a text may have at most " + MAX_CHARACTERS);
        }
        return Optional.empty();
    }

    private static int ceil(int n, int per) {
        return (n + per - 1) / per;
    }
}
