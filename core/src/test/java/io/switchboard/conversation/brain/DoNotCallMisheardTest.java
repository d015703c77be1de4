package io.switchboard.conversation.brain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Do-not-call requests as a phone recogniser writes them, which must be honoured, and ordinary answers that share
 * their words, which must not end the call. The first table holds what PocketSphinx made of real and synthesised
 * requests over an 8 kHz μ-law line ({@link DoNotCallHeardTest} produces more of them live).
 */
class DoNotCallMisheardTest {

    private static final Meanings MEANINGS = Meanings.shared();

    @ParameterizedTest
    @ValueSource(strings = {
            // heard in a real end-to-end run (the particle lost)
            "please take me a lot your list",
            // flite's voices over the phone line, as PocketSphinx heard them (DoNotCallHeardTest)
            "please take me you want your list",
            "take me off more galling lead",
            "take me off your clothing list",
            "removed my number from your list",
            "please don't ever call that number again",
            "unsubscribed me",
            "never call me then",
            // the particle or a key word misheard the ways PocketSphinx does on a phone line
            "take me of your list",
            "take me all your calling list",
            "please take me off your lest",
            "take me off your least",
            "remove me a from your list",
            "stop colin me",
            "stop calling may",
            "stop collin me please",
            "don call me again",
            "dont call me a gain",
            "don't cole me again",
            "never call me again",
            "never call again",
            "please don't call again",
            "remove my numbers from your list",
            "re move my number from your list",
            "put me on your do not call lest",
            "on subscribe",
            "un subscribe me",
            "unsubscribed me please",
            // the phrasings the brief lists, said cleanly
            "stop calling",
            "don't call me",
            "remove my number",
            "take me off your list",
            "put me on your do not call list",
            "unsubscribe",
    })
    void misheardRequestsAreStillDoNotCall(String heard) {
        assertEquals(Optional.of(BuiltInIntents.Kind.DO_NOT_CALL), BuiltInIntents.recognise(heard, MEANINGS), heard);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "yes that's fine",
            "call me tomorrow",
            "my list is long",
            "take me to the office",
            "take me through your list",
            "take me along your list",
            "get me one of your lists",
            "can you send me the list",
            "add me to your list",
            "put me on your mailing list",
            "don't call me before noon",
            "don't call me at work",
            "you can call me again next week",
            "call me anytime",
            "i never call anyone back",
            "my number is five five five one two one two",
            "the last one",
            "take my name down",
            "i subscribe to that magazine",
            "stop by anytime",
            "please call me again",
            "collin is my son",
            "may i ask who is calling",
            "remove the old address",
            "take me off speaker",
            "take me off hold please",
            "take me off the waiting list",
            "you can take me through your list of options",
            "put me on your list for the newsletter",
            "what's on your list",
            // look-alikes of the meaning fallback's examples that are not themselves among its "none" examples
            "could you call me again on friday",
            "walk me through your list",
            "run me through your price list",
            "sure call me again after lunch",
    })
    void ordinaryAnswersAreNotDoNotCall(String answer) {
        assertEquals(Optional.empty(), BuiltInIntents.recognise(answer, MEANINGS).filter(
                k -> k == BuiltInIntents.Kind.DO_NOT_CALL), answer);
    }
}
