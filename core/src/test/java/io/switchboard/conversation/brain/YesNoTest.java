package io.switchboard.conversation.brain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class YesNoTest {

    @ParameterizedTest
    @ValueSource(strings = {"Yes.", "yeah", "Yeah, sure!", "yep", "yup", "sure", "of course", "absolutely",
            "yes please", "i would", "uh huh", "mhm", "that's right", "thats right", "go ahead", "sounds good",
            "okay", "ok sure", "i don't mind", "why not", "yeah i think so", "definitely yes", "no wait yes",
            "i guess so", "YES I DO", "yes i am interested", "correct", "please", "oh please", "please, thank you",
            "please do", "yes, please take it", "sure, please call me"})
    void readsYes(String answer) {
        assertEquals(Optional.of(true), YesNo.extract(answer), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"No.", "nope", "nah", "not really", "no thanks", "no thank you", "not at all",
            "I don't think so", "i dont think so", "absolutely not", "of course not", "not interested",
            "i'm not", "im not", "never", "not right now", "yeah no", "no i don't", "I'd rather not", "know",
            "that's not right", "NO"})
    void readsNo(String answer) {
        assertEquals(Optional.of(false), YesNo.extract(answer), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "i don't know", "not sure", "i'm not sure yet", "perhaps", "what",
            "how much is it", "", "   ", "the blue one", "i am not sure", "please call me later",
            "please take me on to your list", "please repeat that", "can you please say that again"})
    void readsNeither(String answer) {
        assertEquals(Optional.empty(), YesNo.extract(answer), answer);
    }
}
