package io.switchboard.conversation.brain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpokenNumbersTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "twenty three|23",
            "Twenty-three.|23",
            "one hundred and five|105",
            "a hundred|100",
            "two thousand five hundred|2500",
            "two thousand and twelve|2012",
            "three million|3000000",
            "23|23",
            "1,500|1500",
            "about 40 people|40",
            "we need about fifteen seats|15",
            "i think seven|7",
            "zero|0",
            "three point five|3.5",
            "two point two five|2.25",
            "two and a half|2.5",
            "a dozen|12",
            "two dozen|24",
            "for|4",
            "uh for|4",
            "twenty for|24",
            "for hundred|400",
            "to|2",
            "too|2",
            "won|1",
            "ate|8",
            "for twelve people|12",
            "i need it for my team of nine|9",
            "nineteen|19",
            "ninety nine|99",
            "five hundred k|500",
            "5 thousand|5000",
            "its 12th|12",
            "eleven hundred|1100",
            "oh|0",
    })
    void readsNumbers(String answer, String expected) {
        assertEquals(Optional.of(new BigDecimal(expected)), SpokenNumbers.extract(answer), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "i need it for my team", "none of your business", "going to the shop",
            "a lot", "i dont know", "not sure to be honest"})
    void readsNoNumber(String answer) {
        assertEquals(Optional.empty(), SpokenNumbers.extract(answer), answer);
    }
}
