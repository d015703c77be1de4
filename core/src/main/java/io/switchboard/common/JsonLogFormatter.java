package io.switchboard.common;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One JSON object per line: time, level, logger, thread, the message and any stack trace (both with personal
 * data masked, as {@link RedactingFormatter} does), and the ids of the work in progress from
 * {@link LogContext} ({@code trace_id}, {@code call_id}, {@code organization_id}, {@code rpc}, {@code job_id}).
 * Selected with {@code SWITCHBOARD_LOG_FORMAT=json} (or as {@code java.util.logging.ConsoleHandler.formatter}).
 */
public class JsonLogFormatter extends Formatter {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String format(LogRecord r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("ts", Instant.ofEpochMilli(r.getMillis()).toString());
        n.put("level", r.getLevel().getName());
        n.put("logger", r.getLoggerName());
        n.put("thread", Thread.currentThread().getName());
        n.put("message", RedactingFormatter.redact(formatMessage(r)));
        for (Map.Entry<String, String> e : LogContext.current().entrySet()) {
            n.put(e.getKey(), e.getValue());
        }
        if (r.getThrown() != null) {
            StringWriter w = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(w));
            n.put("exception", RedactingFormatter.redact(w.toString()));
        }
        return n.toString() + System.lineSeparator();
    }
}
