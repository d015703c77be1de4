package io.switchboard.conversation.turns;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.switchboard.transcription.PocketSphinxRecognizer;
import io.switchboard.transcription.SpeechAudio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pickup greetings as the engine reads them: said by the softphone's voices (flite's rms, awb and kal, espeak-ng),
 * carried over an 8 kHz μ-law line and recognised by PocketSphinx. What the recogniser wrote is printed; this is
 * where {@link PickupGreeting}'s mishearings of "hello" come from (espeak-ng's "Hello?" is heard as "oh"; flite's awb
 * as "cool", which no matcher may take for a greeting, hence a floor: 21 of 28 were heard as pickups when this was
 * written, and the floor of 19 leaves the recogniser's tuning a little room). Content said at
 * pickup must never read as a pickup, however it was heard. (Decoding with the yes/no expectation the opening's first
 * question leaves in force changed none of these texts when measured, so it is not repeated here.)
 */
class PickupGreetingHeardTest {

    static final List<String> PICKUPS = List.of("Hello?", "Hello.", "Hi.", "Hello there.", "Yes, hello?",
            "Hello, hello?", "Good morning.");
    static final List<String> CONTENT = List.of("Hello, who is this?", "Hi, I'm busy right now.",
            "Hello, please take me off your list.", "This is a bad time.", "Hello, can you call me back later?");
    static final List<String> VOICES = List.of("flite:rms", "flite:awb", "flite:kal", "espeak:en-us");
    @Test
    void pickupGreetingsOverAPhoneLineAreHeardAsPickupsAndContentNever(@TempDir Path dir) throws Exception {
        PickupGreeting pickup = new PickupGreeting(List.of("Sam", "Lee"));
        List<String> heard = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        int pickups = 0;
        try (PocketSphinxRecognizer r = PocketSphinxRecognizer.load("", Path.of("/usr/share/pocketsphinx/model/en-us"),
                2, Duration.ofSeconds(60));
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Map<String, Future<String>> decoded = new LinkedHashMap<>();
            for (String voice : VOICES) {
                for (String text : concat(PICKUPS, CONTENT)) {
                    short[] line = SpeechAudio.throughPhoneLine(SpeechAudio.spoken(dir, voice, text));
                    decoded.put(voice + ": \"" + text + "\"", pool.submit(() ->
                            SpeechAudio.transcribe(r, line, 160, 8000).finalText().strip()));
                }
            }
            for (var d : decoded.entrySet()) {
                String got = d.getValue().get();
                boolean isPickup = PICKUPS.stream().anyMatch(p -> d.getKey().endsWith("\"" + p + "\""));
                heard.add(d.getKey() + " -> \"" + got + "\"" + (pickup.matches(got) ? " [pickup]" : ""));
                if (isPickup) {
                    pickups++;
                    if (!pickup.matches(got)) {
                        missed.add(d.getKey() + " heard as \"" + got + "\"");
                    }
                } else if (pickup.matches(got)) {
                    wrong.add(d.getKey() + " heard as \"" + got + "\"");
                }
            }
        }
        heard.forEach(System.out::println);
        assertTrue(wrong.isEmpty(), "content taken for a pickup: " + wrong);
        assertTrue(pickups - missed.size() >= 19, "heard " + (pickups - missed.size()) + " of "
                + pickups + " pickups; missed " + missed);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
