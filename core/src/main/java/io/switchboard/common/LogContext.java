package io.switchboard.common;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ids that describe the work a thread is doing — {@code trace_id}, {@code call_id}, {@code organization_id},
 * {@code rpc}, {@code job_id} — for the structured log lines written meanwhile ({@link JsonLogFormatter}).
 * {@code LogContext.run(LogContext.of("call_id", id), () -> ...)} sets them for the work and restores what
 * was there before. Only ids go here, never content or personal data.
 */
public final class LogContext {

    private static final ThreadLocal<Map<String, String>> CURRENT = ThreadLocal.withInitial(LinkedHashMap::new);

    private LogContext() {
    }

    /** Work that may throw. */
    public interface Work<T, E extends Exception> {
        T call() throws E;
    }

    /** What the current thread's log lines carry. */
    public static Map<String, String> current() {
        return Collections.unmodifiableMap(CURRENT.get());
    }

    public static String get(String key) {
        return CURRENT.get().get(key);
    }

    /** Key-value pairs, leaving out those whose value is null or blank. */
    public static Map<String, String> of(String... keysAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null && !keysAndValues[i + 1].isBlank()) {
                m.put(keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return m;
    }

    public static void run(Map<String, String> ids, Runnable work) {
        call(ids, () -> {
            work.run();
            return null;
        });
    }

    /** Runs {@code work} with {@code ids} added to the context, then restores it. */
    public static <T, E extends Exception> T call(Map<String, String> ids, Work<T, E> work) throws E {
        Map<String, String> m = CURRENT.get();
        if (m.isEmpty()) { // the usual case (an RPC's or a job's outermost context): nothing to copy and restore
            m.putAll(ids);
            try {
                return work.call();
            } finally {
                m.clear();
            }
        }
        Map<String, String> before = new LinkedHashMap<>(m);
        m.putAll(ids);
        try {
            return work.call();
        } finally {
            m.clear();
            m.putAll(before);
        }
    }
}
