package io.switchboard.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.EmbeddedServices;

/**
 * A worker of the pool in a JVM of its own ({@code Main worker}), against a dev stack's database and object
 * store: for fault tests that kill a worker the way an operating system or an OOM killer does.
 */
final class WorkerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** @param settings configuration beside the stack's connection settings, e.g. {@code worker.lease} */
    static WorkerProcess start(DevStack stack, Map<String, String> settings) throws IOException {
        Path log = Files.createTempFile(stack.home(), "worker-", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Ddb.url=" + stack.embedded().jdbcUrl(), "-Ddb.user=postgres", "-Ddb.password=postgres",
                "-Ds3.endpoint=" + stack.embedded().s3Endpoint(),
                "-Ds3.access-key=" + EmbeddedServices.S3_ACCESS_KEY, "-Ds3.secret-key=" + EmbeddedServices.S3_SECRET_KEY,
                "-Daudit.signing-key-file=" + stack.home().resolve("audit-signing.key"),
                "-Dencryption.master-key-file=" + stack.home().resolve("master.key"),
                "-Dworker.observe-host=127.0.0.1", "-Dworker.observe-port=0"));
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new WorkerProcess(p, log);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, no lease is released, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** What the worker logged, for failure messages. */
    String log() {
        try {
            String s = Files.readString(log);
            return s.length() > 4000 ? "…" + s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
