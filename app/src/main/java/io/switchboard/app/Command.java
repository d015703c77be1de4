package io.switchboard.app;

import java.io.PrintStream;
import java.util.List;

/**
 * One command of the launcher ({@code switchboard <name> args...}): its arguments after the name in, the process's
 * exit status out. Commands never end the process themselves; {@link Main} does, once, with what they return.
 */
@FunctionalInterface
public interface Command {

    int run(List<String> args, PrintStream out, PrintStream err) throws Exception;

    /**
     * A command that cannot go on for a reason the person at the terminal can fix (a missing file, an unset key
     * file, pending migrations). The message is printed as it is; the exit status is 2.
     */
    final class Failed extends RuntimeException {

        public Failed(String message) {
            super(message);
        }
    }

    /** An old name that still works: says so on stderr, then runs {@code now}. */
    record Renamed(String old, String now, Command target) implements Command {

        @Override
        public int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
            err.println("switchboard: '" + old + "' is now '" + now + "'; the old name will go in a later release");
            return target.run(args, out, err);
        }
    }
}
