package io.switchboard.conversation.tts;

import java.util.Locale;

/**
 * One voice a synthesiser offers. Agents name it as {@link #id()}, {@code engine:name} (e.g. {@code flite:slt},
 * {@code espeak:en-us}, {@code openai:alloy}).
 *
 * @param language   BCP 47-ish tag of the language it speaks ({@code en-US}), {@code mul} for voices that speak
 *                   whatever the text is in
 * @param sampleRate the rate the engine produces natively; streams are resampled to what the caller asks
 */
public record Voice(String engine, String name, String language, Gender gender, int sampleRate) {

    public enum Gender {
        FEMALE, MALE, UNKNOWN
    }

    public Voice {
        if (engine.isBlank() || engine.contains(":") || name.isBlank()) {
            throw new IllegalArgumentException("a voice needs an engine without ':' and a name: " + engine + ":" + name);
        }
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate must be positive: " + sampleRate);
        }
    }

    public String id() {
        return engine + ":" + name;
    }

    static Gender gender(String text) {
        return switch (text.strip().toUpperCase(Locale.ROOT)) {
            case "F", "FEMALE" -> Gender.FEMALE;
            case "M", "MALE" -> Gender.MALE;
            default -> Gender.UNKNOWN;
        };
    }
}
