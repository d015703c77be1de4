package io.switchboard.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.common.SwitchboardException;
import org.junit.jupiter.api.Test;

/** The softphone's personas as {@code dev.softphone.callees} configures them, and what a bad entry is told. */
class CalleesConfigTest {

    private static Config config(Map<String, String> settings) {
        return Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(settings)).build();
    }

    @Test
    void eachEntryIsAPersonaForItsNumber() {
        Map<String, Persona> callees = DevStack.callees(config(Map.of(
                "dev.softphone.callees.0.number", "+14155550111",
                "dev.softphone.callees.0.lines.0", "Hello?",
                "dev.softphone.callees.0.lines.1", "No thanks.",
                "dev.softphone.callees.0.barge-in", "PT0.8S",
                "dev.softphone.callees.0.echo", "true",
                "dev.softphone.callees.1.number", "+14155550112",
                "dev.softphone.callees.1.kind", "machine",
                "dev.softphone.callees.1.voice", "espeak:en-us",
                "dev.softphone.callees.1.lines.0", "Leave a message.")));
        assertEquals(new Persona(Persona.Kind.TALK, Persona.DEFAULT_VOICE, List.of("Hello?", "No thanks."),
                Optional.of(Duration.ofMillis(800)), true, false), callees.get("+14155550111"));
        assertEquals(Persona.machine("Leave a message.").voice("espeak:en-us"), callees.get("+14155550112"));
    }

    @Test
    void withoutEntriesTheDemoNumbersGetTheDemoPersonasUnlessTurnedOff() {
        assertEquals(DevStack.DEMO_CALLEES, DevStack.callees(config(Map.of())));
        assertEquals(Map.of(), DevStack.callees(config(Map.of("dev.softphone.demo-callees", "false"))));
        assertEquals(4, DevStack.DEMO_CALLEES.values().stream().map(Persona::kind).count());
        assertTrue(DevStack.DEMO_CALLEES.values().stream().noneMatch(p -> p.voice().equals("flite:slt")),
                "no callee speaks in the agents' default voice");
    }

    @Test
    void calleesTextBackTheirScriptedRepliesAndTheDemoOnesAnswerThanksAndStop() {
        assertEquals(Map.of("+14155550111", List.of("Thanks!", "STOP")), DevStack.textReplies(config(Map.of(
                "dev.softphone.callees.0.number", "+14155550111",
                "dev.softphone.callees.0.texts-back.0", "Thanks!",
                "dev.softphone.callees.0.texts-back.1", "STOP",
                "dev.softphone.callees.1.number", "+14155550112"))));
        assertEquals(DevStack.DEMO_TEXT_REPLIES, DevStack.textReplies(config(Map.of())));
        assertEquals(List.of("STOP"), DevStack.DEMO_TEXT_REPLIES.get("+12125550304"));
        assertTrue(DevStack.DEMO_CALLEES.keySet().containsAll(DevStack.DEMO_TEXT_REPLIES.keySet()));
        assertEquals(Map.of(), DevStack.textReplies(config(Map.of("dev.softphone.demo-callees", "false"))));
    }

    @Test
    void aBadEntryIsRefusedNamingItsField() {
        SwitchboardException number = assertThrows(SwitchboardException.class, () -> DevStack.callees(config(Map.of(
                "dev.softphone.callees.0.number", "555-0111"))));
        assertTrue(number.toString().contains("dev.softphone.callees.0.number"), number.toString());
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> DevStack.callees(config(
                Map.of("dev.softphone.callees.0.number", "+14155550111", "dev.softphone.callees.0.kind", "robot"))));
        assertEquals("dev.softphone.callees.0.kind: 'robot' is not talk, silent or machine", kind.getMessage());
        IllegalArgumentException machine = assertThrows(IllegalArgumentException.class, () -> DevStack.callees(config(
                Map.of("dev.softphone.callees.0.number", "+14155550111", "dev.softphone.callees.0.kind", "machine"))));
        assertEquals("dev.softphone.callees.0.lines: an answering machine needs its greeting", machine.getMessage());
        IllegalArgumentException keys = assertThrows(IllegalArgumentException.class, () -> DevStack.callees(config(
                Map.of("dev.softphone.callees.0.number", "+14155550111", "dev.softphone.callees.0.lines.0", "dtmf:1a"))));
        assertEquals("dev.softphone.callees.0.lines: 'dtmf:1a' presses no keys; after dtmf: come only 0-9, * and #",
                keys.getMessage());
    }
}
