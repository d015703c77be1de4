package io.switchboard.conversation.tts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.helidon.config.Config;
import io.switchboard.common.Configs;
import io.switchboard.common.Violations;

/**
 * The voices this deployment can speak with, by id ({@code engine:voice}), and the engines behind them. Agents
 * name a voice in {@code agent.voice}; an empty value means the deployment's {@link #defaultVoice()}. An id
 * naming no engine or no voice of its engine is refused with a message that says what exists, at agent save
 * ({@link #check}) and when a call resolves it ({@link #resolve}).
 */
public final class Voices implements AutoCloseable {

    /** An id that names no voice of this deployment. */
    public static final class UnknownVoice extends IllegalArgumentException {
        private final String voiceId;

        public UnknownVoice(String voiceId, String message) {
            super(message);
            this.voiceId = voiceId;
        }

        public String voiceId() {
            return voiceId;
        }
    }

    /** A voice with the engine that speaks it. */
    public record Resolved(SpeechSynthesizer engine, Voice voice) {
        public SpeechStream synthesize(String sentence, int sampleRate) {
            return engine.synthesize(voice.name(), sentence, sampleRate);
        }
    }

    /** What ListVoices answers. */
    public record Listing(String defaultVoice, List<Voice> voices) {
        public Listing {
            voices = List.copyOf(voices);
        }
    }

    private static final int LISTED_PER_ENGINE = 12;
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Voices.class.getName());

    private final Map<String, SpeechSynthesizer> engines = new LinkedHashMap<>();
    private final String defaultVoice;
    private boolean shared;

    /**
     * @param defaultVoice the id an agent without a voice speaks with; must be one of the engines' voices
     */
    public Voices(String defaultVoice, List<SpeechSynthesizer> engines) {
        for (SpeechSynthesizer e : engines) {
            if (this.engines.putIfAbsent(e.engine(), e) != null) {
                throw new IllegalArgumentException("two synthesisers named " + e.engine());
            }
        }
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("no speech synthesiser configured (tts.engines)");
        }
        this.defaultVoice = defaultVoice;
        problem(defaultVoice, false).ifPresent(p -> {
            throw new IllegalStateException("tts.default-voice: " + p);
        });
    }

    /**
     * The engines listed in {@code tts.engines}, loaded now: a missing library or program fails the start with a
     * message saying what to install.
     */
    public static Voices fromConfig(Config config) {
        Config t = config.get("tts");
        List<String> names = Configs.list(t.get("engines"));
        List<SpeechSynthesizer> engines = new ArrayList<>();
        try {
            for (String name : names.isEmpty() ? List.of("flite", "espeak") : names) {
                engines.add(switch (name.strip().toLowerCase(Locale.ROOT)) {
                    case "flite" -> FliteSynthesizer.load(t.get("flite.library-dir").asString().orElse(""));
                    case "espeak" -> EspeakSynthesizer.load(t.get("espeak.command").asString().orElse("espeak-ng"),
                            t.get("espeak.words-per-minute").asInt().orElse(EspeakSynthesizer.DEFAULT_WORDS_PER_MINUTE));
                    case "openai" -> new OpenAiSpeechSynthesizer(openAi(t.get("openai")));
                    default -> throw new IllegalStateException("tts.engines: unknown engine '" + name
                            + "'; the engines are flite, espeak and openai");
                });
            }
            return new Voices(t.get("default-voice").asString().orElse("flite:slt"), engines);
        } catch (RuntimeException e) {
            engines.forEach(SpeechSynthesizer::close);
            throw e;
        }
    }

    static OpenAiSpeechSynthesizer.Settings openAi(Config o) {
        List<String> voices = Configs.list(o.get("voices"));
        String format = o.get("response-format").asString().orElse("pcm").strip().toUpperCase(Locale.ROOT);
        if (!format.equals("PCM") && !format.equals("WAV")) {
            throw new IllegalStateException("tts.openai.response-format must be pcm or wav, got '" + format + "'");
        }
        return new OpenAiSpeechSynthesizer.Settings(o.get("base-url").asString().orElse("https://api.openai.com/v1"),
                o.get("api-key").asString().orElse(""), o.get("model").asString().orElse("gpt-4o-mini-tts"),
                voices.isEmpty() ? OpenAiSpeechSynthesizer.OPENAI_VOICES : voices,
                OpenAiSpeechSynthesizer.Format.valueOf(format),
                o.get("timeout").as(Duration.class).orElse(Duration.ofSeconds(10)));
    }

    private static Voices installed;

    /**
     * The local engines that are installed (Flite, espeak-ng), default {@code flite:slt} or the first voice found:
     * for tests and tools that build a control plane without configuration. One instance per process, loaded on
     * first use; closing it does nothing.
     */
    public static synchronized Voices installed() {
        if (installed == null) {
            installed = findInstalled();
            installed.shared = true;
        }
        return installed;
    }

    private static Voices findInstalled() {
        List<SpeechSynthesizer> engines = new ArrayList<>();
        if (FliteSynthesizer.installed("")) {
            engines.add(FliteSynthesizer.load(""));
        }
        if (EspeakSynthesizer.installed("espeak-ng")) {
            engines.add(EspeakSynthesizer.load("espeak-ng", EspeakSynthesizer.DEFAULT_WORDS_PER_MINUTE));
        }
        if (engines.isEmpty()) {
            throw new IllegalStateException("no speech synthesiser installed: install Debian's libflite1 or espeak-ng "
                    + "(./switchboard setup does)");
        }
        return new Voices(engines.getFirst().engine().equals("flite") ? "flite:slt" : engines.getFirst().voices()
                .getFirst().id(), engines);
    }

    public String defaultVoice() {
        return defaultVoice;
    }

    public Listing listing() {
        return new Listing(defaultVoice, list());
    }

    /** Every voice, engine by engine in configuration order. */
    public List<Voice> list() {
        return engines.values().stream().flatMap(e -> e.voices().stream()).toList();
    }

    /** The voice an agent's {@code voice} names ({@code ""}: the default). */
    public Resolved resolve(String voiceId) {
        String id = voiceId == null || voiceId.isBlank() ? defaultVoice : voiceId.strip();
        problem(id, false).ifPresent(p -> {
            throw new UnknownVoice(id, p);
        });
        int colon = id.indexOf(':');
        SpeechSynthesizer engine = engines.get(id.substring(0, colon));
        String name = id.substring(colon + 1);
        return new Resolved(engine, engine.voices().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow());
    }

    /**
     * The voice a call speaks with: the agent's, or the default when the agent names a voice this deployment no
     * longer has (saved before voices were checked, e.g. a bare "alloy", or an engine since removed from
     * tts.engines). A call is not the place to refuse; the agent's next save is, and the log says why.
     */
    public Resolved forCall(String voiceId) {
        try {
            return resolve(voiceId);
        } catch (UnknownVoice e) {
            LOG.warning(() -> "speaking with the default voice " + defaultVoice + ": " + e.getMessage());
            return resolve(defaultVoice);
        }
    }

    /** Adds a violation to {@code v} under {@code field} when {@code voiceId} is neither empty nor a voice here. */
    public void check(String field, String voiceId, Violations v) {
        problem(voiceId, true).ifPresent(p -> v.add(field, p));
    }

    private Optional<String> problem(String id, boolean emptyAllowed) {
        if (id == null || id.isBlank()) {
            return emptyAllowed ? Optional.empty() : Optional.of("no voice given");
        }
        int colon = id.indexOf(':');
        if (colon < 0) {
            List<String> elsewhere = engines.values().stream()
                    .filter(e -> e.voices().stream().anyMatch(x -> x.name().equals(id.strip())))
                    .map(e -> e.engine() + ":" + id.strip()).toList();
            return Optional.of("'" + id + "' names no engine: a voice is engine:voice"
                    + (elsewhere.isEmpty() ? "" : " (did you mean " + String.join(" or ", elsewhere) + "?)")
                    + "; this deployment has " + summary());
        }
        String engineName = id.substring(0, colon);
        String name = id.substring(colon + 1);
        SpeechSynthesizer engine = engines.get(engineName);
        if (engine == null) {
            return Optional.of("voice '" + id + "': no engine '" + engineName + "' in this deployment; it has "
                    + summary());
        }
        if (engine.voices().stream().noneMatch(v -> v.name().equals(name))) {
            return Optional.of("voice '" + id + "': " + engineName + " has no voice '" + name + "'; it has "
                    + names(engine.voices(), LISTED_PER_ENGINE) + " (ListVoices lists every voice)");
        }
        return Optional.empty();
    }

    private String summary() {
        List<String> parts = new ArrayList<>();
        for (SpeechSynthesizer e : engines.values()) {
            parts.add(e.engine() + " (" + names(e.voices(), LISTED_PER_ENGINE) + ")");
        }
        return String.join(", ", parts) + " (ListVoices lists every voice)";
    }

    static String names(List<Voice> voices, int max) {
        List<String> names = voices.stream().limit(max).map(Voice::name).toList();
        String s = String.join(", ", names);
        return voices.size() > max ? s + " and " + (voices.size() - max) + " more" : s;
    }

    @Override
    public void close() {
        if (shared) {
            return;
        }
        engines.values().forEach(SpeechSynthesizer::close);
    }
}
