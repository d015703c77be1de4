package io.switchboard.app;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.function.ToIntFunction;

import io.switchboard.common.Configs;

/**
 * The ports a process listens on, bound so that a conflict names the setting to change: an operator who starts a
 * second {@code switchboard dev}, or a server beside something else on 50051, reads which key and environment
 * variable moves the port instead of a {@code BindException} from deep inside a library.
 */
public final class Ports {

    private Ports() {
    }

    /** A port some other process holds. The message is one line, for the operator. */
    public static final class InUse extends RuntimeException {

        InUse(String key, int port, Throwable cause) {
            super("port " + port + " is already in use, so " + key + " (env " + Configs.variable(key)
                    + ") cannot listen on it: stop what holds the port, or set " + key + " to another port", cause);
        }
    }

    /** Something that listens on a port when it starts. */
    public interface Listener<T> {
        T start() throws Exception;
    }

    /**
     * Starts {@code listener} on {@code host:port}, failing with {@link InUse} naming {@code key} when the port is
     * taken: checked first, since Helidon's WebServer reports a failed bind only in its log (with a stack trace) and
     * then returns not running; a bind failure thrown anyway (a port taken in between) is translated too.
     *
     * @param boundPort the port the started listener holds, negative when it is not running
     */
    public static <T> T listen(String key, String host, int port, Listener<T> listener, ToIntFunction<T> boundPort)
            throws Exception {
        requireFree(key, host, port);
        T started;
        try {
            started = listener.start();
        } catch (Exception e) {
            if (isBindFailure(e)) {
                throw new InUse(key, port, e);
            }
            throw e;
        }
        if (boundPort.applyAsInt(started) < 0) {
            throw new InUse(key, port, null);
        }
        return started;
    }

    /** As above, for a listener that throws when it cannot bind. */
    public static <T> T listen(String key, String host, int port, Listener<T> listener) throws Exception {
        return listen(key, host, port, listener, started -> port);
    }

    /**
     * Fails with {@link InUse} when {@code host:port} is taken; port 0 (any free one) never is. Also for a server in
     * another process that cannot tell us it failed to bind (the embedded PostgreSQL: its launcher only waits until
     * something answers on the port, which may be another PostgreSQL).
     */
    public static void requireFree(String key, String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new InUse(key, port, e);
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }
}
