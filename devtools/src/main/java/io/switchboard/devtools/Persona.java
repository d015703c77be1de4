package io.switchboard.devtools;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.helidon.config.Config;
import io.switchboard.common.Configs;

/**
 * Who answers a number on the softphone: a scripted person who speaks in a synthetic voice that agents do not use
 * (agents default to {@code flite:slt}), waits for the agent to finish (no agent audio for
 * {@link #AGENT_DONE} after a played mark) before each next line, and may barge in, stay silent, echo the agent,
 * hang up mid-sentence, or be an answering machine (a greeting, a 1 kHz beep of 400 ms, then it records).
 *
 * <p>In configuration ({@code dev.softphone.callees}, a list), one entry per number:
 * <pre>
 * - number: "+12125550301"
 *   voice: "flite:rms"                 # default flite:rms
 *   kind: talk | silent | machine      # default talk
 *   lines: ["Hello?", "Yes.", "Forty two.", "dtmf:42#"]   # "dtmf:" presses keys (once the agent has spoken)
 *   barge-in: PT0.8S                   # start each line this far into the agent's speech
 *   echo: true                         # the agent's audio comes back at -20 dB, 150 ms late
 *   hang-up-mid-sentence: true         # the last line is cut in half, then the callee hangs up
 * </pre>
 */
public record Persona(Kind kind, String voice, List<String> lines, Optional<Duration> bargeIn, boolean echo,
                      boolean hangUpMidSentence) {

    public enum Kind { TALK, SILENT, MACHINE }

    /** The agent has finished its turn when it sent no audio for this long after a mark came back. */
    public static final Duration AGENT_DONE = Duration.ofMillis(700);
    /** A line that presses these keys ({@code 0-9 * #}) instead of speaking, e.g. {@code dtmf:42#}. */
    public static final String KEYS = "dtmf:";
    /** A voice no agent uses by default. */
    public static final String DEFAULT_VOICE = "flite:rms";

    public Persona {
        lines = List.copyOf(lines);
        for (String line : lines) {
            if (line.startsWith(KEYS) && !line.substring(KEYS.length()).matches("[0-9*#]+")) {
                throw new IllegalArgumentException("lines: '" + line + "' presses no keys; after " + KEYS
                        + " come only 0-9, * and #");
            }
        }
        if (kind == Kind.MACHINE && lines.isEmpty()) {
            throw new IllegalArgumentException("lines: an answering machine needs its greeting");
        }
        if (bargeIn.isPresent() && bargeIn.get().isNegative()) {
            throw new IllegalArgumentException("barge-in: must not be negative, got " + bargeIn.get());
        }
    }

    /** A person who says these lines, one per agent turn. */
    public static Persona talking(String... lines) {
        return new Persona(Kind.TALK, DEFAULT_VOICE, List.of(lines), Optional.empty(), false, false);
    }

    /** Picks up and says nothing. */
    public static Persona silent() {
        return new Persona(Kind.SILENT, DEFAULT_VOICE, List.of(), Optional.empty(), false, false);
    }

    /** An answering machine: the greeting, the beep, then it records what the agent says. */
    public static Persona machine(String greeting) {
        return new Persona(Kind.MACHINE, DEFAULT_VOICE, List.of(greeting), Optional.empty(), false, false);
    }

    public Persona voice(String voiceId) {
        return new Persona(kind, voiceId, lines, bargeIn, echo, hangUpMidSentence);
    }

    public Persona bargingInAfter(Duration intoAgentSpeech) {
        return new Persona(kind, voice, lines, Optional.of(intoAgentSpeech), echo, hangUpMidSentence);
    }

    public Persona echoing() {
        return new Persona(kind, voice, lines, bargeIn, true, hangUpMidSentence);
    }

    public Persona hangingUpMidSentence() {
        return new Persona(kind, voice, lines, bargeIn, echo, true);
    }

    /** One entry of {@code dev.softphone.callees}; errors name the entry's field. */
    public static Persona fromConfig(Config c) {
        String where = "dev.softphone.callees." + c.name() + ".";
        String kindName = c.get("kind").asString().orElse("talk").strip().toUpperCase(Locale.ROOT);
        Kind kind;
        try {
            kind = Kind.valueOf(kindName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "kind: '" + kindName.toLowerCase(Locale.ROOT)
                    + "' is not talk, silent or machine");
        }
        try {
            return new Persona(kind, c.get("voice").asString().orElse(DEFAULT_VOICE), Configs.list(c.get("lines")),
                    c.get("barge-in").as(Duration.class).asOptional(), c.get("echo").asBoolean().orElse(false),
                    c.get("hang-up-mid-sentence").asBoolean().orElse(false));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }
}
