package io.switchboard.conversation.turns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which words said over the agent's opening are only a pickup greeting, as typed and as a recogniser writes them. */
class PickupGreetingTest {

    private final PickupGreeting forAnna = new PickupGreeting(List.of("Anna", "Lee"));

    @ParameterizedTest
    @ValueSource(strings = {"hello", "Hello?", "hello hello", "Hello, hello?", "hi", "Hi.", "hey", "hiya",
            "hello there", "Hi there!", "good morning", "Good afternoon.", "yes hello", "Yeah, hello?", "hello yes",
            "okay hello", "um hello", "yellow", "hollow", "oh", "oh oh", "yeah oh", "speaking", "Yes, speaking.",
            "hello this is anna", "This is Anna.", "Anna speaking", "hi anna here", "it's me", "this is she",
            "hello [noise] hello", "<sil> hello"})
    void aGreetingOrWhoAnsweredIsAPickup(String heard) {
        assertTrue(forAnna.matches(heard), heard);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "yes", "yeah", "okay", "um", "yes yes", "hello who is this", "Hello, who's this?",
            "who is this", "hello sorry who is calling please", "hi I'm busy", "hello take me off your list",
            "hello can you call me back later", "this is the wrong number", "this is a bad time", "this is bob",
            "bob speaking", "hello yes I can come", "hi not interested", "no", "hello no", "hello what",
            "hello is this the clinic", "hi how are you", "oh where", "five", "cool", "hello three people",
            "wrong number hello", "this is"})
    void anythingElseIsNot(String heard) {
        assertFalse(forAnna.matches(heard), heard);
    }

    @ParameterizedTest
    @ValueSource(strings = {"this is anna", "anna speaking", "anna here"})
    void aNameCountsOnlyWhenItIsTheContacts(String heard) {
        assertFalse(PickupGreeting.anonymous().matches(heard), heard);
        assertTrue(forAnna.matches(heard), heard);
    }
}
