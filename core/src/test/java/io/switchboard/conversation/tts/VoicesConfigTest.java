package io.switchboard.conversation.tts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

/** tts.* settings: what a deployment configures, and the messages a wrong configuration stops the start with. */
class VoicesConfigTest {

    private static Config config(Map<String, String> settings) {
        return Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(settings)).build();
    }

    @Test
    void theConfiguredEnginesAndDefaultVoiceAreLoaded() {
        try (Voices v = Voices.fromConfig(config(Map.of("tts.engines", "flite,openai", "tts.default-voice", "openai:nova",
                "tts.openai.base-url", "http://127.0.0.1:9/v1", "tts.openai.voices", "alloy,nova")))) {
            assertEquals("openai:nova", v.defaultVoice());
            assertEquals(List.of("flite", "openai"), v.list().stream().map(Voice::engine).distinct().toList());
            assertTrue(v.list().stream().map(Voice::id).toList().containsAll(List.of("flite:slt", "openai:alloy",
                    "openai:nova")));
            assertTrue(v.list().stream().noneMatch(x -> x.engine().equals("espeak")));
        }
    }

    @Test
    void aWrongConfigurationStopsTheStartSayingWhatToFix() {
        var engine = assertThrows(IllegalStateException.class, () -> Voices.fromConfig(config(Map.of("tts.engines", "flite,polly"))));
        assertTrue(engine.getMessage().contains("tts.engines: unknown engine 'polly'"), engine.getMessage());
        var voice = assertThrows(IllegalStateException.class, () -> Voices.fromConfig(config(Map.of(
                "tts.engines", "flite", "tts.default-voice", "espeak:en-us"))));
        assertTrue(voice.getMessage().contains("tts.default-voice") && voice.getMessage().contains("no engine 'espeak'"),
                voice.getMessage());
        var library = assertThrows(IllegalStateException.class, () -> Voices.fromConfig(config(Map.of(
                "tts.engines", "flite", "tts.flite.library-dir", "/nonexistent"))));
        assertTrue(library.getMessage().contains("libflite.so.1 not found in [/nonexistent]")
                && library.getMessage().contains("libflite1"), library.getMessage());
        var program = assertThrows(IllegalStateException.class, () -> Voices.fromConfig(config(Map.of(
                "tts.engines", "espeak", "tts.espeak.command", "/nonexistent/espeak-ng"))));
        assertTrue(program.getMessage().contains("Install Debian's espeak-ng"), program.getMessage());
        var format = assertThrows(IllegalStateException.class, () -> Voices.fromConfig(config(Map.of(
                "tts.engines", "openai", "tts.default-voice", "openai:alloy", "tts.openai.response-format", "mp3"))));
        assertTrue(format.getMessage().contains("pcm or wav"), format.getMessage());
    }
}
