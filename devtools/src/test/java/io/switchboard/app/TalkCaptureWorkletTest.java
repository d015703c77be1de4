package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The talk page's microphone worklet without a browser: console/e2e/capture-worklet.check.mjs runs its source in
 * Node with tones at 48 kHz. Speech frequencies must come out of the 16 kHz frames, and tones above 8 kHz must
 * not fold back onto them (the one-pole "anti-aliasing" the worklet had let a 12 kHz tone through as 4 kHz, and
 * PocketSphinx heard the page's "three people" as "the eagle").
 */
class TalkCaptureWorkletTest {

    private static final Path CONSOLE = Path.of("").toAbsolutePath().getParent().resolve("console");

    @TempDir
    Path dir;

    @Test
    void theWorkletPassesSpeechAndFiltersWhatWouldAlias() throws Exception {
        Path log = dir.resolve("worklet.log");
        Process p = new ProcessBuilder("node", "e2e/capture-worklet.check.mjs").directory(CONSOLE.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(exited, "the worklet check did not finish:\n" + out);
        assertEquals(0, p.exitValue(), "the worklet check failed:\n" + out);
        assertTrue(out.contains("ok 12000 Hz"), out);
    }
}
