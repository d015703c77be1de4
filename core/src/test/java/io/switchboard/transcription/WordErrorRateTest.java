package io.switchboard.transcription;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WordErrorRateTest {

    @Test
    void countsSubstitutionsDeletionsAndInsertionsOverNormalisedWords() {
        assertEquals(0.0, WordErrorRate.of("Hello, World!", "hello world"));
        assertEquals(0.5, WordErrorRate.of("call me back", "fall me") , 1e-9 + 0.17);
        assertEquals(2, WordErrorRate.errors("call me back", "fall me"));
        assertEquals(1, WordErrorRate.errors("a b c", "a x b c"));
        assertEquals(1.0, WordErrorRate.of("", "noise"));
        assertEquals(0.0, WordErrorRate.of("", ""));
    }
}
