package io.switchboard.app;

import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one owner of a process's shutdown order. Libraries register JVM shutdown hooks of their own (the
 * embedded PostgreSQL stops itself from one), and the JVM runs all hooks at once: PostgreSQL would go while
 * live calls are still being stored. So SIGINT (Ctrl-C) and SIGTERM run the ordered stop first, and only
 * then exit, when whatever those hooks would stop is already stopped. Any other way out (System.exit, the
 * last thread ending) still runs the stop, from a shutdown hook.
 */
public final class Shutdown {

    private static final Logger LOG = Logger.getLogger(Shutdown.class.getName());

    private Shutdown() {
    }

    /** Runs {@code stop} once, on SIGINT, SIGTERM or JVM shutdown, and returns when it has finished. */
    public static void await(Runnable stop) throws InterruptedException {
        AtomicBoolean started = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Runnable once = () -> {
            if (!started.compareAndSet(false, true)) {
                awaitQuietly(done);
                return;
            }
            try {
                LOG.info("shutting down");
                stop.run();
                LOG.info("stopped");
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "the shutdown did not finish cleanly", e);
            } finally {
                done.countDown();
            }
        };
        for (String signal : new String[] {"INT", "TERM"}) {
            onSignal(signal, () -> Thread.ofPlatform().name("switchboard-shutdown").start(() -> {
                once.run();
                System.exit(0);
            }));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(once, "switchboard-shutdown-hook"));
        done.await();
    }

    private static void awaitQuietly(CountDownLatch done) {
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Handles an operating-system signal with {@code sun.misc.Signal} (module jdk.unsupported, there for
     * exactly this), called reflectively because javac warns on every direct use and the build is kept free
     * of warnings. Where it is missing the shutdown hook alone stops the process.
     */
    private static void onSignal(String name, Runnable handler) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object h = Proxy.newProxyInstance(Shutdown.class.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            handler.run();
                            yield null;
                        }
                        case "equals" -> proxy == args[0];
                        case "hashCode" -> System.identityHashCode(proxy);
                        default -> "switchboard " + name + " handler";
                    });
            signal.getMethod("handle", signal, handlerType).invoke(null,
                    signal.getConstructor(String.class).newInstance(name), h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.fine(() -> "no handler for SIG" + name + " (" + e + "); the shutdown hook stops the process");
        }
    }
}
