package io.switchboard.common;

import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.regex.Pattern;

/**
 * {@link SimpleFormatter} (same {@code java.util.logging.SimpleFormatter.format}) that masks personal data in
 * every line it writes, messages and stack traces alike: phone numbers (E.164, and the common national forms)
 * and e-mail addresses. Switchboard logs ids, not content, but messages can quote input (a number a client
 * sent, a driver's error echoing a value), and logs travel further than the database does.
 */
public class RedactingFormatter extends SimpleFormatter {

    /** A domain with a top-level part, so Java's {@code Object@1a2b3c} identity strings are left alone. */
    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\\.)+[A-Za-z]{2,}");
    private static final Pattern E164 = Pattern.compile("\\+[1-9]\\d{6,14}\\b");
    private static final Pattern NATIONAL = Pattern.compile("(?<![\\w-])\\(?\\d{3}\\)?[ .-]\\d{3}[ .-]\\d{4}(?![\\w-])");

    @Override
    public String format(LogRecord record) {
        return redact(super.format(record));
    }

    public static String redact(String text) {
        String s = EMAIL.matcher(text).replaceAll("[email]");
        s = E164.matcher(s).replaceAll(m -> "+" + "*".repeat(m.group().length() - 3) + m.group().substring(m.group().length() - 2));
        return NATIONAL.matcher(s).replaceAll("[phone]");
    }
}
