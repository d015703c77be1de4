package io.switchboard.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@code switchboard} command ({@code Main server}, {@code worker}, {@code dev}, ...) in a JVM of its own, configured
 * only through the environment it is given: nothing of this JVM's environment or system properties leaks in, so a
 * test sees what an operator's container would.
 */
final class SwitchboardProcess implements AutoCloseable {

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private SwitchboardProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Runs {@code java [jvmOptions] -cp <test class path> mainClass args} with exactly {@code environment}. */
    static SwitchboardProcess start(Path logs, Map<String, String> environment, List<String> jvmOptions,
                                    String mainClass, String... args) throws IOException {
        Files.createDirectories(logs);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return start(logs, environment, command, logs);
    }

    /** The application's own {@code Main} with {@code args}, e.g. {@code server}. */
    static SwitchboardProcess main(Path logs, Map<String, String> environment, String... args) throws IOException {
        return start(logs, environment, List.of(), Main.class.getName(), args);
    }

    /** Any command line, in {@code workingDirectory}, with exactly {@code environment} (plus PATH). */
    static SwitchboardProcess start(Path logs, Map<String, String> environment, List<String> command,
                                    Path workingDirectory) throws IOException {
        Files.createDirectories(logs);
        Path out = Files.createTempFile(logs, "stdout-", ".log");
        Path err = Files.createTempFile(logs, "stderr-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().putAll(environment);
        return new SwitchboardProcess(builder.start(), out, err);
    }

    /** Waits (up to a generous bound, so a hang fails instead of blocking the build) until the process ends. */
    int exitCode() throws InterruptedException {
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            throw new AssertionError("the process did not end; it wrote:\n" + output());
        }
        return process.exitValue();
    }

    /** Waits until its standard output or error shows {@code ready}; fails if it ends first. */
    void awaitOutput(Predicate<String> ready) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (!ready.test(stdout() + stderr())) {
            if (!process.isAlive()) {
                throw new AssertionError("the process ended (exit " + process.exitValue() + ") before it was ready:\n"
                        + output());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the process was not ready after 3 minutes:\n" + output());
            }
            Thread.sleep(100);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL ({@code kill -9}): no shutdown hook runs, nothing is flushed or handed back. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    /** Both streams, the end of each, for failure messages. */
    String output() {
        return "--- stdout\n" + tail(stdout()) + "\n--- stderr\n" + tail(stderr());
    }

    /** SIGTERM, as a container runtime stops it: the shutdown hooks run. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(1, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                stop();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(String s) {
        return s.length() > 6000 ? "…" + s.substring(s.length() - 6000) : s;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
