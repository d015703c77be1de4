package io.switchboard.transcription;

import java.nio.file.Path;
import java.time.Duration;

import io.helidon.config.Config;

/** Builds the configured recogniser (keys under {@code transcription}). */
public final class SpeechRecognizers {

    /** The nice value of the decoding threads: the API keeps about 90% of a contended core (CFS weights 1024:110). */
    public static final int DEFAULT_DECODER_NICE = 10;

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
        int nice = t.get("decoder-nice").asInt().orElse(DEFAULT_DECODER_NICE);
        return DecodingThreads.wrap(engine(t, engine, pool, wait), pool, nice);
    }

    private static SpeechRecognizer engine(Config t, String engine, int pool, Duration wait) {
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
