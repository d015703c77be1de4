package io.switchboard.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class AskedAgainTest {

    @Test
    void theLineIsSaidAgainWhenTheAgentAsksTheSameQuestionAgainAsOftenAsAllowed() {
        AskedAgain<String> person = new AskedAgain<>(1);
        assertEquals(Optional.empty(), person.agentSaid("Can you come tomorrow?", 1_000));
        person.said("sure", 3_000);
        assertEquals(Optional.empty(), person.agentSaid("How many people will come?", 4_000), "the next question");
        person.said("three people", 7_000);
        assertEquals(Optional.empty(), person.agentSaid("Sorry, I didn't catch that.", 8_000), "no question");
        assertEquals(Optional.of("three people"), person.agentSaid("How many people will come?", 9_000));
        person.said("three people", 11_000);
        assertEquals(Optional.empty(), person.agentSaid("How many people will come?", 13_000), "once only");
    }

    @Test
    void theQuestionBeforeTheLineMayArriveAfterIt() {
        AskedAgain<String> person = new AskedAgain<>(2);
        person.said("two", 5_000);
        assertEquals(Optional.empty(), person.agentSaid("How many?", 3_000), "started before the line: no re-ask");
        assertEquals(Optional.of("two"), person.agentSaid("How many?", 8_000));
    }

    @Test
    void anotherQuestionOrNoRepeatsLeftIsNoRepeat() {
        AskedAgain<String> person = new AskedAgain<>(1);
        person.agentSaid("How many?", 1_000);
        person.said("two", 3_000);
        assertEquals(Optional.empty(), person.agentSaid("Which day?", 5_000));

        AskedAgain<String> never = new AskedAgain<>(0);
        never.agentSaid("How many?", 1_000);
        never.said("two", 3_000);
        assertEquals(Optional.empty(), never.agentSaid("How many?", 5_000));
    }
}
