package io.switchboard.transcription;

import java.nio.file.Path;
import java.time.Duration;

import io.helidon.config.Config;

/** Builds the configured recogniser (keys under {@code transcription}). */
public final class SpeechRecognizers {

    private SpeechRecognizers() {
    }

    public static SpeechRecognizer fromConfig(Config config) {
        Config t = config.get("transcription");
        String engine = t.get("engine").asString().orElse("pocketsphinx").strip();
        int pool = t.get("pool-size").asInt().orElse(0);
        if (pool <= 0) {
            pool = Runtime.getRuntime().availableProcessors();
        }
        Duration wait = t.get("max-wait").as(Duration.class).orElse(Duration.ofSeconds(30));
        return switch (engine) {
            case "pocketsphinx" -> PocketSphinxRecognizer.load(t.get("pocketsphinx.library-dir").asString().orElse(""),
                    Path.of(t.get("pocketsphinx.model-dir").asString().orElse("/usr/share/pocketsphinx/model/en-us")),
                    pool, wait);
            case "vosk" -> VoskRecognizer.load(t.get("vosk.model-path").asString().orElse(""), pool, wait);
            default -> throw new IllegalStateException("transcription.engine must be pocketsphinx or vosk, got '"
                    + engine + "'");
        };
    }
}
